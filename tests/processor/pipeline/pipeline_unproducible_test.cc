// An output that can never be produced does not stop the pipeline: a dead
// letter of an input near message.max.bytes carries a truncated payload
// (with the original's size and hash), and a record the broker refuses for
// good (here: the tasks topic not authorized) is counted as unproducible and
// skipped, while everything else is delivered and committed.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <random>
#include <string>
#include <vector>

#include "processor/pipeline/event_producer.h"
#include "processor/pipeline/output_limits.h"
#include "processor/pipeline/pipeline.h"
#include "processor/rules/stable_hash.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;

constexpr int16_t kProduceApiKey = 0;
constexpr int kUnproduciblePartitions = 2;

// Waits until the pipeline committed `total` or a delivery failed.
bool CommittedOrFailed(const PipelineThread& pipeline, int64_t total) {
  return WaitFor(
      [&] {
        return CommittedSum(pipeline.stats()) == total ||
               pipeline.stats().TotalDeliveryErrors() > 0;
      },
      std::chrono::seconds(90));
}

TEST(PipelineUnproducibleTest, OversizedDeadLetterIsTruncatedAndKept) {
  TempDir dir;
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics = MakeTopics(**cluster, "", kUnproduciblePartitions);
  const KafkaProperties kafka = MockKafka(**cluster);
  // An undecodable input of 300 KB: its dead letter with the whole payload
  // would exceed the pipeline producer's message.max.bytes.
  std::string big(300000, '\0');
  std::mt19937 rng(7);
  for (char& c : big) c = static_cast<char>(rng());
  big[0] = '\xff';  // not a protobuf tag
  {
    auto producer = EventProducer::Create({}, kafka, topics.events);
    ASSERT_THAT(producer, IsOk());
    for (const v1::CallEvent& e : SimulatedEvents(150, 71)) {
      ASSERT_THAT((*producer)->Send(e), IsOk());
    }
    ASSERT_THAT((*producer)->SendRaw("big", big), IsOk());
    ASSERT_THAT((*producer)->WaitAcknowledged(std::chrono::seconds(30)),
                IsOk());
  }
  const int64_t total =
      EndOffsets(kafka, topics.events, kUnproduciblePartitions);

  PipelineConfig config = TestConfig(topics, kafka);
  config.kafka["message.max.bytes"] = "100000";
  PipelineThread pipeline(dir.path(), config);
  ASSERT_TRUE(CommittedOrFailed(pipeline, total));
  EXPECT_EQ(CommittedSum(pipeline.stats()), total);
  EXPECT_EQ(pipeline.stats().TotalDeliveryErrors(), 0u);
  ASSERT_THAT(pipeline.Stop(), IsOk());

  const Outputs got = ReadOutputs(kafka, topics);
  ASSERT_EQ(got.dead_letters.size(), 1u);
  const v1::DeadLetter& d = got.dead_letters[0];
  EXPECT_EQ(d.reason(), v1::DeadLetter::UNDECODABLE);
  EXPECT_TRUE(d.payload_truncated());
  EXPECT_EQ(d.payload_size(), big.size());
  EXPECT_EQ(d.payload_fnv1a(), rules::StableHash(big));
  EXPECT_EQ(d.payload(), big.substr(0, kMaxDeadLetterPayload));
}

TEST(PipelineUnproducibleTest, RefusedTopicIsCountedAndProcessingGoesOn) {
  TempDir dir;
  // Broker 2 leads the tasks topic only, so its refusals hit task records
  // and nothing else (changelog, lines and the other outputs are on 1).
  auto cluster = MockCluster::Start(2);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics = MakeTopics(**cluster, "", kUnproduciblePartitions);
  for (const std::string& t : {topics.events, topics.alerts, topics.contacts,
                               topics.dlq, topics.changelog, topics.tasks}) {
    for (int p = 0; p < kUnproduciblePartitions; ++p) {
      ASSERT_THAT(
          (*cluster)->SetPartitionLeader(t, p, t == topics.tasks ? 2 : 1),
          IsOk());
    }
  }
  ASSERT_THAT((*cluster)->SetPartitionLeader(topics.lines, 0, 1), IsOk());
  const KafkaProperties kafka = MockKafka(**cluster);
  const auto events = SimulatedEvents(600, 73);
  ProduceEvents(kafka, topics.events, events);
  const int64_t total =
      EndOffsets(kafka, topics.events, kUnproduciblePartitions);

  // Every Produce to broker 2 is refused: the topic's ACL denies us.
  (*cluster)->PushBrokerRequestErrors(
      2, kProduceApiKey,
      std::vector<int>(5000, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED));
  PipelineThread pipeline(dir.path(), TestConfig(topics, kafka));
  ASSERT_TRUE(CommittedOrFailed(pipeline, total));
  EXPECT_EQ(CommittedSum(pipeline.stats()), total);
  EXPECT_EQ(pipeline.stats().TotalDeliveryErrors(), 0u);
  const uint64_t refused =
      pipeline.stats()
          .unproducible[0][static_cast<int>(Unproducible::kNotAuthorized)]
          .load();
  EXPECT_GT(refused, 0u);
  EXPECT_EQ(pipeline.stats().output_topics[0], topics.tasks);
  ASSERT_THAT(pipeline.Stop(), IsOk());
  // The other outputs went out.
  const Outputs got = ReadOutputs(kafka, topics);
  EXPECT_TRUE(got.tasks.empty());
  EXPECT_FALSE(got.contacts.empty());
  EXPECT_EQ(pipeline.stats().tasks.load(), refused);
}

TEST(OutputLimitsTest, CapsTextOnACharacterBoundary) {
  std::string text = std::string(1020, 'a') + "\xC3\xA9\xC3\xA9\xC3\xA9";
  CapText(text, kMaxOutputText);
  EXPECT_LE(text.size(), kMaxOutputText);
  EXPECT_EQ(text, std::string(1020, 'a') + "\xE2\x80\xA6");
  v1::Alert alert;
  alert.set_message(std::string(5000, 'x'));
  const std::optional<v1::Alert> capped = LimitAlert(alert);
  ASSERT_TRUE(capped.has_value());
  EXPECT_LE(capped->message().size(), kMaxOutputText);
  alert.set_message("short");
  EXPECT_FALSE(LimitAlert(alert).has_value());
}

}  // namespace
}  // namespace callflow::pipeline::testing
