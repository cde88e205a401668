// RocksDB is the source of truth for offsets; the group's committed offsets
// follow it so lag tools see progress — also when a new owner finds nothing
// left to consume because its state already covers the whole topic (a
// previous owner stopped between its RocksDB write and its asynchronous
// group commit).
#include <gtest/gtest.h>

#include "processor/pipeline/event_producer.h"
#include "processor/pipeline/pipeline.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;

constexpr int kOffsetsPartitions = 4;

TEST(PipelineGroupOffsetsTest, NewOwnerPublishesStoredOffsetsToTheGroup) {
  TempDir dir;
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics = MakeTopics(**cluster, "", kOffsetsPartitions);
  const KafkaProperties kafka = MockKafka(**cluster);
  {
    auto producer =
        EventProducer::Create(rules::EngineOptions(), kafka, topics.events);
    ASSERT_THAT(producer, IsOk());
    for (const v1::CallEvent& e : SimulatedEvents(100, 9)) {
      ASSERT_THAT((*producer)->Send(e), IsOk());
    }
    ASSERT_THAT((*producer)->WaitAcknowledged(std::chrono::seconds(30)),
                IsOk());
  }
  const int64_t total = EndOffsets(kafka, topics.events, kOffsetsPartitions);
  ASSERT_GT(total, 0);

  PipelineConfig first = TestConfig(topics, kafka);
  first.options.group_id = "first";
  {
    PipelineThread pipeline(dir.path(), first);
    ASSERT_TRUE(WaitCommitted(pipeline.stats(), total));
    ASSERT_THAT(pipeline.Stop(), IsOk());
  }

  // Same state, a group that never committed: nothing is left to consume,
  // yet the group must end up at the offsets RocksDB holds.
  PipelineConfig second = TestConfig(topics, kafka);
  second.options.group_id = "second";
  PipelineThread pipeline(dir.path(), second);
  EXPECT_TRUE(WaitFor(
      [&] {
        return GroupCommitted(kafka, "second", topics.events,
                              kOffsetsPartitions) == total;
      },
      std::chrono::seconds(60)));
  EXPECT_EQ(CommittedSum(pipeline.stats()), total);
  ASSERT_THAT(pipeline.Stop(), IsOk());
}

}  // namespace
}  // namespace callflow::pipeline::testing
