// docs/RULES.md §9.3, the processor trusts no key: feeds written by an outside
// client (kcat) that are not keyed by the normalized caller are misrouted.
// Every event goes to the DLQ with reason MISROUTED; no task, contact, alert or
// caller state is made, and no watermark moves.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "processor/pipeline/pipeline.h"
#include "processor/rules/engine.h"
#include "state/partition_store.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;

constexpr int kMisroutedPartitions = 4;

// How the outside producer keys the feed.
enum class Keying {
  kNone,        // no key (a connector's default)
  kLineNumber,  // the dialled line's number: E.164, but not the caller
};

std::string KeyingName(const ::testing::TestParamInfo<Keying>& info) {
  return info.param == Keying::kNone ? "NotKeyed" : "KeyedByLineNumber";
}

// Produces `events` as protobuf with kcat, one file per message (kcat -P
// sends each file as one message), keyed as `keying` says. Returns the key
// of each event ("" = none).
std::vector<std::string> ProduceWithKcat(
    const std::vector<v1::CallEvent>& events, Keying keying,
    const std::string& dir, const std::string& brokers,
    const std::string& topic) {
  std::map<std::string, std::string> did_of_line;  // line -> "+7495000000N"
  std::map<std::string, std::vector<std::string>> files_by_key;
  std::vector<std::string> keys;
  std::string payload;
  for (size_t i = 0; i < events.size(); ++i) {
    const std::string path = absl::StrCat(dir, "/event-", i, ".pb");
    events[i].SerializeToString(&payload);
    std::ofstream(path, std::ios::binary) << payload;
    std::string key;
    if (keying == Keying::kLineNumber) {
      auto [it, added] = did_of_line.try_emplace(
          events[i].line(),
          absl::StrCat("+7495000000", did_of_line.size() + 1));
      key = it->second;
    }
    files_by_key[key].push_back(path);
    keys.push_back(key);
  }
  for (const auto& [key, files] : files_by_key) {
    std::string cmd = absl::StrCat("kcat -P -b ", brokers, " -t ", topic);
    if (!key.empty()) absl::StrAppend(&cmd, " -k '", key, "'");
    for (const std::string& f : files) absl::StrAppend(&cmd, " ", f);
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  return keys;
}

class PipelineMisroutedTest : public ::testing::TestWithParam<Keying> {};

TEST_P(PipelineMisroutedTest, EveryEventIsDeadLetteredAndNoStateIsMade) {
  TempDir dir;
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics = MakeTopics(**cluster, "", kMisroutedPartitions);
  const KafkaProperties kafka = MockKafka(**cluster);
  const auto events = SimulatedEvents(60, 21);
  ASSERT_GT(events.size(), 100u);
  const std::vector<std::string> keys = ProduceWithKcat(
      events, GetParam(), dir.path(), (*cluster)->bootstraps(), topics.events);
  const int64_t total = EndOffsets(kafka, topics.events, kMisroutedPartitions);
  ASSERT_EQ(total, static_cast<int64_t>(events.size()));

  const std::string state_dir = dir.path() + "/state";
  {
    PipelineThread pipeline(state_dir, TestConfig(topics, kafka));
    ASSERT_TRUE(WaitCommitted(pipeline.stats(), total));
    ASSERT_THAT(pipeline.Stop(), IsOk());
    EXPECT_EQ(pipeline.stats().dead_letters[v1::DeadLetter::MISROUTED].load(),
              events.size());
    EXPECT_EQ(pipeline.stats().TotalDeadLetters(), events.size());
  }

  const Outputs got = ReadOutputs(kafka, topics);
  EXPECT_TRUE(got.tasks.empty());
  EXPECT_TRUE(got.contacts.empty());
  EXPECT_TRUE(got.alerts.empty());
  ASSERT_EQ(got.dead_letters.size(), events.size());
  std::multiset<std::string> want_keys(keys.begin(), keys.end());
  std::multiset<std::string> dead_keys;
  for (const v1::DeadLetter& d : got.dead_letters) {
    EXPECT_EQ(d.reason(), v1::DeadLetter::MISROUTED) << d.error();
    EXPECT_NE(d.error().find("callflow ingest"), std::string::npos)
        << d.error();
    dead_keys.insert(d.key());
  }
  EXPECT_EQ(dead_keys, want_keys);

  // No caller record under the real callers nor under the keys, and no
  // partition's watermark moved.
  rules::EngineOptions options;
  rules::Engine engine(options);
  std::set<std::string> callers(keys.begin(), keys.end());
  for (const v1::CallEvent& e : events) callers.insert(engine.KeyFor(e));
  callers.erase("");
  for (const std::string& key : callers) {
    EXPECT_THAT(state::InspectCaller(state_dir, key),
                StatusIs(absl::StatusCode::kNotFound))
        << key;
  }
  auto env = state::StateEnv::Create(StateAt(state_dir));
  ASSERT_THAT(env, IsOk());
  for (int p = 0; p < kMisroutedPartitions; ++p) {
    auto store = state::PartitionStore::Open(**env, p);
    ASSERT_THAT(store, IsOk());
    EXPECT_EQ((*store)->MutablePartition().max_event_time(), 0) << "p" << p;
    EXPECT_EQ((*store)->MutablePartition().watermark(), 0) << "p" << p;
  }
}

INSTANTIATE_TEST_SUITE_P(OutsideClient, PipelineMisroutedTest,
                         ::testing::Values(Keying::kNone, Keying::kLineNumber),
                         KeyingName);

}  // namespace
}  // namespace callflow::pipeline::testing
