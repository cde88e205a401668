// Partitions are loaded side by side: one whose state its previous owner
// still holds (its RocksDB lock taken) does not hold back the others.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "processor/pipeline/pipeline.h"
#include "state/partition_store.h"
#include "state/state_env.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;

constexpr int kLoadingPartitions = 4;

bool Active(const PipelineStats& stats, int partition) {
  return stats.partitions[partition].phase.load() ==
         static_cast<int>(PartitionPhase::kActive);
}

TEST(PipelineLoadingTest, ALockedPartitionDoesNotHoldBackTheOthers) {
  TempDir dir;
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics =
      MakeTopics(**cluster, "load.", kLoadingPartitions, "load.events");
  const KafkaProperties kafka = MockKafka(**cluster);
  const auto events = SimulatedEvents(400, 5);
  ProduceEvents(kafka, topics.events, events);
  const std::string state_dir = dir.path() + "/state";

  // The previous owner, on the same state dir, still holds partitions 0, 1
  // and 2 (as while its last cycle waits for acknowledgements).
  auto previous = state::StateEnv::Create(StateAt(state_dir));
  ASSERT_THAT(previous, IsOk());
  std::vector<std::unique_ptr<state::PartitionStore>> held;
  for (int p = 0; p < kLoadingPartitions - 1; ++p) {
    auto store = state::PartitionStore::Open(**previous, p);
    ASSERT_THAT(store, IsOk());
    held.push_back(*std::move(store));
  }

  PipelineThread pipeline(state_dir, TestConfig(topics, kafka));
  const PipelineStats& stats = pipeline.stats();
  // One partition after the other, partition 3 would wait behind the
  // locked ones for as long as they stay locked.
  ASSERT_TRUE(WaitFor(
      [&] {
        return Active(stats, kLoadingPartitions - 1) &&
               stats.partitions[kLoadingPartitions - 1]
                       .committed_offset.load() > 0;
      },
      std::chrono::seconds(60)))
      << "partition 3 never processed while 0-2 were locked";
  for (int p = 0; p < kLoadingPartitions - 1; ++p) {
    EXPECT_FALSE(Active(stats, p)) << "partition " << p << " is locked";
  }

  held.clear();  // the previous owner lets go
  ASSERT_TRUE(WaitCommitted(stats, static_cast<int64_t>(events.size())));
  for (int p = 0; p < kLoadingPartitions; ++p)
    EXPECT_TRUE(Active(stats, p)) << p;
  ASSERT_THAT(pipeline.Stop(), IsOk());
}

}  // namespace
}  // namespace callflow::pipeline::testing
