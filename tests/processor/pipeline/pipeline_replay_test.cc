// The Kafka pipeline against the replay oracle: same engine, same outputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "google/protobuf/util/json_util.h"
#include "processor/codec/codec.h"
#include "processor/pipeline/pipeline.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;

// The task ids in `topic`, read with kcat (an outside client) and decoded
// with the project's proto.
std::multiset<std::string> KcatTaskIds(const std::string& brokers,
                                       const std::string& topic) {
  std::multiset<std::string> ids;
  for (const KcatRecord& r : KcatRead(brokers, topic)) {
    v1::Task task;
    EXPECT_TRUE(task.ParseFromString(r.value));
    ids.insert(task.task_id());
  }
  return ids;
}

// Runs `input` through replay and through Kafka (one partition, so the
// partition sees the same event order and watermark as replay's partition 0)
// and compares every output.
void ExpectKafkaEqualsReplay(const std::vector<v1::CallEvent>& events,
                             const std::string& input) {
  TempDir dir;
  const Outputs expected = ReplayOutputs(input, dir.path() + "/replay");
  ASSERT_FALSE(expected.tasks.empty());

  auto cluster = MockCluster::Start(3);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics = MakeTopics(**cluster, "", 1);
  const KafkaProperties kafka = MockKafka(**cluster);
  ProduceEvents(kafka, topics.events, events);

  PipelineConfig config = TestConfig(topics, kafka);
  config.options.ring_capacity = 64;  // small: the ring fills, pausing runs
  PipelineThread pipeline(dir.path() + "/state", config);
  ASSERT_TRUE(
      WaitCommitted(pipeline.stats(), static_cast<int64_t>(events.size())));
  ASSERT_THAT(pipeline.Stop(), IsOk());

  const Outputs got = ReadOutputs(kafka, topics);
  EXPECT_EQ(got.tasks, expected.tasks);
  EXPECT_EQ(got.alerts, expected.alerts);
  EXPECT_EQ(got.contacts, expected.contacts);

  std::multiset<std::string> expected_ids;
  for (const std::string& json : expected.tasks) {
    v1::Task t;
    ASSERT_THAT(google::protobuf::util::JsonStringToMessage(json, &t), IsOk());
    expected_ids.insert(t.task_id());
  }
  EXPECT_EQ(KcatTaskIds((*cluster)->bootstraps(), topics.tasks), expected_ids);
}

TEST(PipelineReplayTest, SimulatedTrafficGivesReplayOutputs) {
  TempDir dir;
  const auto events = SimulatedEvents(1500, 11);
  const std::string input = dir.path() + "/input.jsonl";
  WriteJsonl(events, input);
  ExpectKafkaEqualsReplay(events, input);
}

TEST(PipelineReplayTest, ScenarioFileGivesReplayOutputs) {
  const std::string input = "tests/data/scenario.jsonl";
  if (!std::filesystem::exists(input)) {
    GTEST_SKIP() << input << " not written yet";
  }
  std::vector<v1::CallEvent> events;
  std::ifstream in(input);
  std::string line;
  while (std::getline(in, line)) {
    v1::CallEvent e;
    if (codec::ParseEventJson(line, &e).ok()) events.push_back(e);
  }
  ExpectKafkaEqualsReplay(events, input);
}

}  // namespace
}  // namespace callflow::pipeline::testing
