// Two processor instances in one consumer group, sharing a state dir (each
// partition is its own RocksDB in <dir>/p-N, opened on assignment and closed
// on revocation).
#include <gtest/gtest.h>

#include "processor/pipeline/pipeline.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;

constexpr int kGroupPartitions = 8;

// The sum of the committed offsets of two instances (each partition's
// latest owner holds its highest offset).
int64_t CommittedTogether(const PipelineThread& a, const PipelineThread& b) {
  int64_t sum = 0;
  for (int p = 0; p < kGroupPartitions; ++p) {
    sum +=
        std::max<int64_t>({a.stats().partitions[p].committed_offset.load(),
                           b.stats().partitions[p].committed_offset.load(), 0});
  }
  return sum;
}

TEST(PipelineGroupTest, TwoInstancesSplitPartitionsAndTakeOver) {
  TempDir shared, single;
  auto cluster = MockCluster::Start(3);
  ASSERT_THAT(cluster, IsOk());
  const KafkaProperties kafka = MockKafka(**cluster);
  const Topics group_topics = MakeTopics(**cluster, "g.", kGroupPartitions);
  const Topics single_topics = MakeTopics(**cluster, "s.", kGroupPartitions);
  const auto events = SimulatedEvents(1500, 3);
  const size_t third = events.size() / 3;
  auto slice = [&](size_t from, size_t to) {
    return std::vector<v1::CallEvent>(events.begin() + from,
                                      events.begin() + to);
  };

  ProduceEvents(kafka, group_topics.events, slice(0, third));
  auto config = [&](const Topics& topics, const std::string& group) {
    PipelineConfig c = TestConfig(topics, kafka);
    c.options.group_id = group;
    return c;
  };
  PipelineThread a(shared.path(), config(group_topics, "g"));
  ASSERT_TRUE(WaitFor([&] { return a.Owned() == kGroupPartitions; },
                      std::chrono::seconds(30)));
  PipelineThread b(shared.path(), config(group_topics, "g"));
  ASSERT_TRUE(WaitFor(
      [&] {
        return a.Owned() > 0 && b.Owned() > 0 &&
               a.Owned() + b.Owned() == kGroupPartitions;
      },
      std::chrono::seconds(60)));
  ProduceEvents(kafka, group_topics.events, slice(third, 2 * third));
  ASSERT_TRUE(WaitFor(
      [&] {
        return CommittedTogether(a, b) >= static_cast<int64_t>(2 * third);
      },
      std::chrono::seconds(60)));
  EXPECT_GT(b.stats().TotalProcessed(), 0u);

  // B leaves; A takes its partitions over (opening their RocksDBs) and goes on.
  ASSERT_THAT(b.Stop(), IsOk());
  ASSERT_TRUE(WaitFor([&] { return a.Owned() == kGroupPartitions; },
                      std::chrono::seconds(60)));
  ProduceEvents(kafka, group_topics.events, slice(2 * third, events.size()));
  ASSERT_TRUE(WaitCommitted(a.stats(), static_cast<int64_t>(events.size())));
  ASSERT_THAT(a.Stop(), IsOk());

  // One instance over the same events topic, its own group and state.
  PipelineThread one(single.path(), config(single_topics, "single"));
  ASSERT_TRUE(WaitCommitted(one.stats(), static_cast<int64_t>(events.size())));
  ASSERT_THAT(one.Stop(), IsOk());

  const Outputs together = ReadOutputs(kafka, group_topics);
  const Outputs alone = ReadOutputs(kafka, single_topics);
  ASSERT_FALSE(alone.tasks.empty());
  EXPECT_EQ(Distinct(together.tasks), Distinct(alone.tasks));
  EXPECT_EQ(Distinct(together.contacts), Distinct(alone.contacts));
}

}  // namespace
}  // namespace callflow::pipeline::testing
