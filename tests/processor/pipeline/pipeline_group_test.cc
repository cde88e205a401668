// Two processor instances in one consumer group, sharing a state dir (each
// partition is its own RocksDB in <dir>/p-N, opened on assignment and closed
// on revocation).
#include <gtest/gtest.h>

#include <thread>

#include "processor/pipeline/pipeline.h"
#include "tests/processor/pipeline/pipeline_test_util.h"

namespace callflow::pipeline::testing {
namespace {

constexpr int kPartitions = 8;

// A Pipeline running on its own thread.
class Instance {
 public:
  Instance(const std::string& state_dir, const Topics& topics,
           const KafkaProperties& kafka, const std::string& group) {
    auto env = state::StateEnv::Create(StateAt(state_dir));
    EXPECT_TRUE(env.ok());
    env_ = *std::move(env);
    PipelineConfig config;
  config.topics = topics;
  config.kafka = kafka;

    config.options.group_id = group;
    config.options.shards = 2;
    config.options.commit_interval_ms = 50;
    auto p = Pipeline::Create(config, *env_);
    EXPECT_TRUE(p.ok()) << p.status();
    pipeline_ = *std::move(p);
    thread_ = std::thread([this] { status_ = pipeline_->Run(); });
  }
  ~Instance() { Stop().IgnoreError(); }
  absl::Status Stop() {
    if (thread_.joinable()) {
      pipeline_->Stop();
      thread_.join();
    }
    return status_;
  }
  int Owned() const {
    int n = 0;
    for (const auto& p : pipeline_->stats().partitions) n += p.owned.load();
    return n;
  }
  const PipelineStats& stats() const { return pipeline_->stats(); }

 private:
  std::unique_ptr<state::StateEnv> env_;
  std::unique_ptr<Pipeline> pipeline_;
  std::thread thread_;
  absl::Status status_;
};

template <typename F>
bool WaitFor(F condition, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// The sum of the committed offsets of two instances (each partition's
// latest owner holds its highest offset).
int64_t CommittedTogether(const Instance& a, const Instance& b) {
  int64_t sum = 0;
  for (int p = 0; p < kPartitions; ++p) {
    sum += std::max<int64_t>({a.stats().partitions[p].committed_offset.load(),
                              b.stats().partitions[p].committed_offset.load(),
                              0});
  }
  return sum;
}

TEST(PipelineGroupTest, TwoInstancesSplitPartitionsAndTakeOver) {
  TempDir shared, single;
  auto cluster = MockCluster::Start(3);
  ASSERT_TRUE(cluster.ok());
  const KafkaProperties kafka = MockKafka(**cluster);
  const Topics group_topics = MakeTopics(**cluster, "g.", kPartitions);
  const Topics single_topics = MakeTopics(**cluster, "s.", kPartitions);
  const auto events = SimulatedEvents(1500, 3);
  const size_t third = events.size() / 3;
  auto slice = [&](size_t from, size_t to) {
    return std::vector<v1::CallEvent>(events.begin() + from,
                                      events.begin() + to);
  };

  ProduceEvents(kafka, group_topics.events, slice(0, third));
  Instance a(shared.path(), group_topics, kafka, "g");
  ASSERT_TRUE(WaitFor([&] { return a.Owned() == kPartitions; },
                      std::chrono::seconds(30)));
  Instance b(shared.path(), group_topics, kafka, "g");
  ASSERT_TRUE(WaitFor([&] { return a.Owned() > 0 && b.Owned() > 0 &&
                                   a.Owned() + b.Owned() == kPartitions; },
                      std::chrono::seconds(60)));
  ProduceEvents(kafka, group_topics.events, slice(third, 2 * third));
  ASSERT_TRUE(WaitFor(
      [&] { return CommittedTogether(a, b) >= static_cast<int64_t>(2 * third); },
      std::chrono::seconds(60)));
  EXPECT_GT(b.stats().TotalProcessed(), 0u);

  // B leaves; A takes its partitions over (opening their RocksDBs) and goes on.
  ASSERT_TRUE(b.Stop().ok());
  ASSERT_TRUE(WaitFor([&] { return a.Owned() == kPartitions; },
                      std::chrono::seconds(60)));
  ProduceEvents(kafka, group_topics.events, slice(2 * third, events.size()));
  ASSERT_TRUE(WaitCommitted(a.stats(), static_cast<int64_t>(events.size())));
  ASSERT_TRUE(a.Stop().ok());

  // One instance over the same events topic, its own group and state.
  Instance one(single.path(), single_topics, kafka, "single");
  ASSERT_TRUE(WaitCommitted(one.stats(), static_cast<int64_t>(events.size())));
  ASSERT_TRUE(one.Stop().ok());

  const Outputs together = ReadOutputs(kafka, group_topics);
  const Outputs alone = ReadOutputs(kafka, single_topics);
  ASSERT_FALSE(alone.tasks.empty());
  EXPECT_EQ(Distinct(together.tasks), Distinct(alone.tasks));
  EXPECT_EQ(Distinct(together.contacts), Distinct(alone.contacts));
}

}  // namespace
}  // namespace callflow::pipeline::testing
