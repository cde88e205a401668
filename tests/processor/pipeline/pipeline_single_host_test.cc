// [state] changelog = false: a partition that reaches an instance without
// its state, while the group already consumed it, stops that instance with
// an error that says what to do; it never starts from an empty state.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(PipelineSingleHostTest, MissingStateWithoutChangelogIsAnError) {
  TempDir a_dir, b_dir;
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics = MakeTopics(**cluster, "single.", 1, "single.events");
  const KafkaProperties kafka = MockKafka(**cluster);
  const auto events = SimulatedEvents(200, 3);
  ProduceEvents(kafka, topics.events, events);
  PipelineConfig config = TestConfig(topics, kafka, /*shards=*/1);
  config.options.changelog = false;
  {
    PipelineThread a(a_dir.path() + "/state", config);
    ASSERT_TRUE(WaitCommitted(a.stats(), static_cast<int64_t>(events.size())));
    ASSERT_THAT(a.Stop(), IsOk());
  }
  ASSERT_GT(GroupCommitted(kafka, config.options.group_id, topics.events, 1),
            0);
  PipelineThread b(b_dir.path() + "/state", config);
  EXPECT_THAT(b.Join(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                 AllOf(HasSubstr("has no local state"),
                                       HasSubstr("turn the changelog on"))));

  EXPECT_EQ(b.stats().TotalProcessed(), 0u);
}

}  // namespace
}  // namespace callflow::pipeline::testing
