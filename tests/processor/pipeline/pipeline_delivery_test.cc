// A delivery failure is never ignored: the broker refuses output records, the
// pipeline counts them, stops with the error and commits neither state nor
// offsets past them; the restart produces them again with the same ids.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <vector>

#include "processor/pipeline/pipeline.h"
#include "state/partition_store.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int16_t kProduceApiKey = 0;  // Kafka protocol ProduceRequest

TEST(PipelineDeliveryTest, RefusedOutputsStopThePipelineUncommitted) {
  TempDir dir;
  const auto events = SimulatedEvents(1500, 23);
  const std::string input = dir.path() + "/input.jsonl";
  WriteJsonl(events, input);
  // One partition, so replay is the oracle (see the replay test).
  const Outputs expected = ReplayOutputs(input, dir.path() + "/replay");
  ASSERT_FALSE(expected.tasks.empty());

  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics = MakeTopics(**cluster, "", 1);
  const KafkaProperties kafka = MockKafka(**cluster);
  const std::string state_dir = dir.path() + "/state";
  const PipelineConfig config = TestConfig(topics, kafka);
  const size_t half = events.size() / 2;
  const int64_t total = static_cast<int64_t>(events.size());

  // 1. The first half, processed and committed.
  ProduceEvents(kafka, topics.events, {events.begin(), events.begin() + half});
  {
    PipelineThread pipeline(state_dir, config);
    ASSERT_TRUE(WaitCommitted(pipeline.stats(), half));
    ASSERT_THAT(pipeline.Stop(), IsOk());
  }

  // 2. The second half, while the broker refuses the next Produce requests
  // with a permanent error that is not about one record (no retry helps;
  // the client is refused, not a record: a record refused for good would be
  // skipped as unproducible, see pipeline_unproducible_test.cc).
  ProduceEvents(kafka, topics.events, {events.begin() + half, events.end()});
  (*cluster)->PushRequestErrors(
      kProduceApiKey,
      std::vector<int>(5, RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED));
  {
    PipelineThread pipeline(state_dir, config);
    ASSERT_TRUE(
        WaitFor([&] { return pipeline.stats().TotalDeliveryErrors() > 0; },
                std::chrono::seconds(60)));
    // The pipeline stops on its own, reporting the failure.
    EXPECT_THAT(pipeline.Join(), StatusIs(absl::StatusCode::kUnavailable,
                                          AllOf(HasSubstr("were not delivered"),
                                                HasSubstr("authoriz"))));
  }
  // RocksDB (the truth) and the group hold no offset past the failure.
  {
    auto env = state::StateEnv::Create(StateAt(state_dir));
    ASSERT_THAT(env, IsOk());
    auto store = state::PartitionStore::Open(**env, 0);
    ASSERT_THAT(store, IsOk());
    ASSERT_TRUE((*store)->next_offset().has_value());
    EXPECT_GE(*(*store)->next_offset(), static_cast<int64_t>(half));
    EXPECT_LT(*(*store)->next_offset(), total);
  }
  EXPECT_LT(GroupCommitted(kafka, config.options.group_id, topics.events, 1),
            total);

  // 3. The broker accepts again; the restart redoes what was not committed.
  (*cluster)->ClearRequestErrors(kProduceApiKey);
  {
    PipelineThread pipeline(state_dir, config);
    ASSERT_TRUE(WaitCommitted(pipeline.stats(), total));
    ASSERT_THAT(pipeline.Stop(), IsOk());
    EXPECT_EQ(pipeline.stats().TotalDeliveryErrors(), 0u);
  }

  // Nothing is missing; repeats are identical records (same ids).
  const Outputs got = ReadOutputs(kafka, topics);
  EXPECT_EQ(Distinct(got.tasks), Distinct(expected.tasks));
  EXPECT_EQ(Distinct(got.contacts), Distinct(expected.contacts));
  EXPECT_EQ(PerCallerAlerts(got.alerts), PerCallerAlerts(expected.alerts));
  EXPECT_GE(got.tasks.size(), expected.tasks.size());
}

}  // namespace
}  // namespace callflow::pipeline::testing
