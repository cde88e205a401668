// A partition that reaches an instance without its state, while the group
// already consumed it, stops that instance with an error that says what to
// do; it never starts from an empty state. With [state] changelog = false
// and an empty state dir, and with the changelog on when the changelog
// topic lost the partition's records (deleted and recreated). And local
// state the changelog has none of (the changelog turned on over a
// single-host state dir) is written to it whole, so another host restores
// all of it, not just the changes made since.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "absl/strings/escaping.h"
#include "state/partition_store.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// One events partition with 200 simulated calls, processed to the end by a
// first instance A in a_state (with or without the changelog).
class PipelineSingleHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = MockCluster::Start(1);
    ASSERT_THAT(cluster, IsOk());
    cluster_ = *std::move(cluster);
    const Topics topics = MakeTopics(*cluster_, "single.", 1, "single.events");
    kafka_ = MockKafka(*cluster_);
    ProduceEvents(kafka_, topics.events, SimulatedEvents(200, 3));
    config_ = TestConfig(topics, kafka_, /*shards=*/1);
  }

  void RunA(bool changelog) {
    config_.options.changelog = changelog;
    PipelineThread a(a_state_, config_);
    ASSERT_TRUE(
        WaitCommitted(a.stats(), EndOffsets(kafka_, config_.topics.events, 1)));
    ASSERT_THAT(a.Stop(), IsOk());
    ASSERT_GT(GroupCommitted(kafka_, config_.options.group_id,
                             config_.topics.events, 1),
              0);
  }

  TempDir a_dir_, b_dir_;
  const std::string a_state_ = a_dir_.path() + "/state";
  const std::string b_state_ = b_dir_.path() + "/state";
  std::unique_ptr<MockCluster> cluster_;
  KafkaProperties kafka_;
  PipelineConfig config_;
};

TEST_F(PipelineSingleHostTest, MissingStateWithoutChangelogIsAnError) {
  ASSERT_NO_FATAL_FAILURE(RunA(/*changelog=*/false));
  PipelineThread b(b_state_, config_);
  EXPECT_THAT(b.Join(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                 AllOf(HasSubstr("has no local state"),
                                       HasSubstr("turn the changelog on"))));

  EXPECT_EQ(b.stats().TotalProcessed(), 0u);
}

TEST_F(PipelineSingleHostTest, AnEmptiedChangelogIsAnErrorNotAnEmptyState) {
  ASSERT_NO_FATAL_FAILURE(RunA(/*changelog=*/true));
  // The changelog topic deleted and created again: B, on a host of its
  // own, finds none of the partition's records.
  config_.topics.changelog = "single.changelog.recreated";
  ASSERT_THAT(cluster_->CreateTopic(config_.topics.changelog, 1), IsOk());
  PipelineThread b(b_state_, config_);
  ASSERT_TRUE(WaitFor([&] { return !b.Running(); }, std::chrono::seconds(60)))
      << "B carries on from an empty state";
  EXPECT_THAT(b.Join(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("has no local state"),
                             HasSubstr("single.changelog.recreated [0] holds "
                                       "none of it"),
                             HasSubstr("--delete-offsets"))));
  EXPECT_EQ(b.stats().TotalProcessed(), 0u);
}

// Every stored key of partition 0 in `state_dir` but the host's own
// changelog position (and the partition record's lines_emitted).
std::map<std::string, std::string> StoredKeys(const std::string& state_dir) {
  std::map<std::string, std::string> out;
  auto env = state::StateEnv::Create(StateAt(state_dir));
  EXPECT_THAT(env, IsOk());
  if (!env.ok()) return out;
  auto store = state::PartitionStore::Open(**env, 0);
  EXPECT_THAT(store, IsOk());
  if (!store.ok()) return out;
  auto n = (*store)->ForEachStored(
      [&](std::string_view key, const std::string& value) {
        out.emplace(std::string(key), value);
      });
  // Which line alerts partition 0's owner emitted: each owner moves it on
  // as it reads the lines topic, so it differs between owners by design.
  v1::PartitionState partition;
  if (partition.ParseFromString(out["mpartition"])) {
    partition.clear_lines_emitted();
    out["mpartition"] = partition.SerializeAsString();
  }
  EXPECT_THAT(n, IsOk());
  return out;
}

TEST_F(PipelineSingleHostTest, TurningTheChangelogOnWritesTheLocalStateToIt) {
  ASSERT_NO_FATAL_FAILURE(RunA(/*changelog=*/false));
  const auto single_host = StoredKeys(a_state_);
  ASSERT_GT(single_host.size(), 100u);
  // The same host, with the changelog on now.
  config_.options.changelog = true;
  {
    PipelineThread b(a_state_, config_);
    ASSERT_TRUE(
        WaitFor([&] { return b.Owned() == 1; }, std::chrono::seconds(60)));
    ASSERT_THAT(b.Stop(), IsOk());
  }
  // B kept every key (its own cycles may have moved the partition record).
  const auto on_b = StoredKeys(a_state_);
  ASSERT_EQ(on_b.size(), single_host.size());
  // Another host, with nothing: it restores the whole state.
  {
    PipelineThread c(b_state_, config_);
    ASSERT_TRUE(WaitFor([&] { return c.Owned() == 1 || !c.Running(); },
                        std::chrono::seconds(60)));
    ASSERT_THAT(c.Stop(), IsOk());
  }
  const auto restored = StoredKeys(b_state_);
  EXPECT_EQ(restored.size(), on_b.size());
  int differ = 0;
  for (const auto& [key, value] : on_b) {
    auto it = restored.find(key);
    if (it == restored.end() || it->second != value) {
      if (++differ <= 5) {
        ADD_FAILURE() << (it == restored.end() ? "missing: " : "differs: ")
                      << absl::CHexEscape(key);
      }
    }
  }
  EXPECT_EQ(differ, 0);
}

}  // namespace
}  // namespace callflow::pipeline::testing
