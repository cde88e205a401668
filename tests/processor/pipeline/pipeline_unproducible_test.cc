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

#include "absl/strings/str_cat.h"
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

// Runs a pipeline whose producer takes records of at most 100 KB over the
// whole events topic: everything must be committed, no delivery fail.
void ExpectAllCommittedAt100KB(const Topics& topics,
                               const KafkaProperties& kafka,
                               uint32_t commit_interval_ms = 50) {
  TempDir dir;
  const int64_t total =
      EndOffsets(kafka, topics.events, kUnproduciblePartitions);
  PipelineConfig config = TestConfig(topics, kafka);
  config.options.commit_interval_ms = commit_interval_ms;
  config.kafka["message.max.bytes"] = "100000";
  PipelineThread pipeline(dir.path(), config);
  ASSERT_TRUE(CommittedOrFailed(pipeline, total));
  EXPECT_EQ(CommittedSum(pipeline.stats()), total);
  EXPECT_EQ(pipeline.stats().TotalDeliveryErrors(), 0u);
  ASSERT_THAT(pipeline.Stop(), IsOk());
}

TEST(PipelineUnproducibleTest, OversizedDeadLetterIsTruncatedAndKept) {
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
  ExpectAllCommittedAt100KB(topics, kafka);

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

// One caller's history, as a CRM feed that never closes anything builds
// it: customer events and new cases with distinct ids, with long titles.
std::vector<v1::CallEvent> EverGrowingHistory(int count) {
  std::vector<v1::CallEvent> events;
  const int64_t t0 = 1767225600;  // 2026-01-01
  for (int i = 0; i < count; ++i) {
    for (bool customer_event : {true, false}) {
      v1::CallEvent e;
      e.set_event_id(absl::StrCat(customer_event ? "ce-" : "case-", i));
      e.mutable_occurred_at()->set_seconds(t0 + 2 * i + customer_event);
      e.set_caller("+74951234567");
      e.set_line("sales");
      if (customer_event) {
        auto& ce = *e.mutable_customer_event();
        ce.set_customer_event_id(absl::StrCat("meeting-", i));
        ce.mutable_starts_at()->set_seconds(t0 + 30 * 86400 + 3600 * i);
        ce.set_title(absl::StrCat("Visit ", i, " ", std::string(200, 'v')));
      } else {
        e.mutable_disposition()->set_outcome(v1::Disposition::NEW_CASE);
        e.mutable_disposition()->set_case_id(
            absl::StrCat("case-", i, "-", std::string(100, 'c')));
      }
      events.push_back(std::move(e));
    }
  }
  return events;
}

// A caller whose history only grows (here 400 open customer events and
// 400 open cases, 160 KB of state at a 100 KB message.max.bytes) must not
// make its changelog record unproducible: that failure would stop every
// owner of the partition, on every restart. The record's lists are bounded,
// so the pipeline commits everything and agrees with replay.
TEST(PipelineUnproducibleTest, EverGrowingCallerKeepsItsChangelogProducible) {
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics = MakeTopics(**cluster, "", kUnproduciblePartitions);
  const KafkaProperties kafka = MockKafka(**cluster);
  const std::vector<v1::CallEvent> events = EverGrowingHistory(400);
  ProduceEvents(kafka, topics.events, events);
  ExpectAllCommittedAt100KB(topics, kafka);
  TempDir oracle_dir;
  ExpectReplayOutputs(ReadOutputs(kafka, topics),
                      ReplayOracle(events, oracle_dir.path()));
}

// A long cycle (10 s here; a large commit_max_events in production) with
// 15,000 inbound starts on one partition: its lines record would be 150 KB,
// over the 100 KB message.max.bytes, and fail the cycle on every retry. It
// goes out in parts instead.
TEST(PipelineUnproducibleTest, ALongCycleKeepsItsLinesRecordProducible) {
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics = MakeTopics(**cluster, "", kUnproduciblePartitions);
  const KafkaProperties kafka = MockKafka(**cluster);
  std::vector<v1::CallEvent> events;
  for (int i = 0; i < 15000; ++i) {
    v1::CallEvent& e = events.emplace_back();
    e.set_event_id(absl::StrCat("s", i));
    e.mutable_occurred_at()->set_seconds(1767225600 + i);
    e.set_call_id(absl::StrCat("call-", i));
    e.set_caller("+74951234567");
    e.set_line("sales");
    e.set_direction(v1::CallEvent::INBOUND);
    e.mutable_started();
  }
  ProduceEvents(kafka, topics.events, events);
  ExpectAllCommittedAt100KB(topics, kafka, /*commit_interval_ms=*/10000);
}

TEST(OutputLimitsTest, CapsTextOnACharacterBoundary) {
  std::string text = std::string(1020, 'a') + "\xC3\xA9\xC3\xA9\xC3\xA9";
  rules::CapText(text, kMaxOutputText);
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
