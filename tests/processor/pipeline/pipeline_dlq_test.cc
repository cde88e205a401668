// Bad payloads go to the dead-letter topic and the pipeline keeps going.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <vector>

#include "processor/pipeline/event_producer.h"
#include "processor/pipeline/pipeline.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;

TEST(PipelineDlqTest, BadPayloadsGoToDlqAndProcessingContinues) {
  TempDir dir;
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics = MakeTopics(**cluster, "", 4);
  const KafkaProperties kafka = MockKafka(**cluster);
  const auto events = SimulatedEvents(200, 5);
  ASSERT_GT(events.size(), 40u);

  rules::EngineOptions engine;
  std::set<std::string> bad;
  {
    auto producer = EventProducer::Create(engine, kafka, topics.events);
    ASSERT_THAT(producer, IsOk());
    std::mt19937 rng(42);
    std::string serialized;
    for (size_t i = 0; i < events.size(); ++i) {
      ASSERT_THAT((*producer)->Send(events[i]), IsOk());
      if (i % 20 != 0) continue;
      std::string random(16 + rng() % 64, '\0');
      for (char& c : random) c = static_cast<char>(rng());
      // Cut inside the last field (the body), so it cannot parse.
      v1::CallEvent copy = events[i];
      copy.SerializeToString(&serialized);
      const std::string truncated = serialized.substr(0, serialized.size() - 2);
      for (const std::string& payload : {random, truncated}) {
        ASSERT_THAT((*producer)->SendRaw("bad-key", payload), IsOk());
        bad.insert(payload);
      }
    }
    ASSERT_THAT((*producer)->WaitAcknowledged(std::chrono::seconds(30)),
                IsOk());
  }
  const int64_t total = EndOffsets(kafka, topics.events, 4);
  ASSERT_EQ(total, static_cast<int64_t>(events.size() + bad.size()));

  PipelineConfig config = TestConfig(topics, kafka);
  config.engine = engine;
  PipelineThread pipeline(dir.path(), config);
  ASSERT_TRUE(WaitCommitted(pipeline.stats(), total));
  ASSERT_THAT(pipeline.Stop(), IsOk());

  const Outputs got = ReadOutputs(kafka, topics);
  std::set<std::string> dead;
  for (const v1::DeadLetter& d : got.dead_letters) {
    EXPECT_EQ(d.source_topic(), topics.events);
    EXPECT_EQ(d.key(), "bad-key");
    // Random bytes sometimes parse as a CallEvent (of unknown fields): then
    // validation rejects it for what it lacks.
    v1::CallEvent parsed;
    EXPECT_EQ(d.reason(), parsed.ParseFromString(d.payload())
                              ? v1::DeadLetter::MISSING_FIELD
                              : v1::DeadLetter::UNDECODABLE)
        << d.error();
    EXPECT_FALSE(d.error().empty());
    EXPECT_GE(d.offset(), 0);
    EXPECT_GT(d.received_at().seconds(), 0);
    dead.insert(d.payload());
  }
  EXPECT_EQ(dead, bad);
  EXPECT_EQ(got.dead_letters.size(), bad.size());
  EXPECT_EQ(pipeline.stats().TotalDeadLetters(), bad.size());
  EXPECT_EQ(
      pipeline.stats().dead_letters[v1::DeadLetter::UNDECODABLE].load() +
          pipeline.stats().dead_letters[v1::DeadLetter::MISSING_FIELD].load(),
      bad.size());
  EXPECT_GT(pipeline.stats().dead_letters[v1::DeadLetter::UNDECODABLE].load(),
            0u);
  EXPECT_FALSE(got.tasks.empty());  // the good events after them ran
}

// docs/RULES.md §6 in `run`: the reference time is the Kafka record's timestamp
// (the producer's clock, here now). An event dated a day after it goes to the
// DLQ as FUTURE; the simulated events (dated 2024) are applied as always.
TEST(PipelineDlqTest, EventAheadOfItsRecordTimeGoesToTheDlqAsFuture) {
  TempDir dir;
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics = MakeTopics(**cluster, "", 2);
  const KafkaProperties kafka = MockKafka(**cluster);
  std::vector<v1::CallEvent> events = SimulatedEvents(20, 6);
  v1::CallEvent ahead = events.front();
  ahead.set_event_id("clock-ahead");
  const auto tomorrow =
      std::chrono::system_clock::now() + std::chrono::hours(24);
  ahead.mutable_occurred_at()->set_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(
          tomorrow.time_since_epoch())
          .count());
  events.insert(events.begin() + 1, ahead);
  ProduceEvents(kafka, topics.events, events);

  PipelineThread pipeline(dir.path(), TestConfig(topics, kafka));
  ASSERT_TRUE(
      WaitCommitted(pipeline.stats(), static_cast<int64_t>(events.size())));
  ASSERT_THAT(pipeline.Stop(), IsOk());
  EXPECT_EQ(pipeline.stats().dead_letters[v1::DeadLetter::FUTURE].load(), 1u);
  const Outputs got = ReadOutputs(kafka, topics);
  ASSERT_EQ(got.dead_letters.size(), 1u);
  EXPECT_EQ(got.dead_letters[0].reason(), v1::DeadLetter::FUTURE);
  v1::CallEvent payload;
  ASSERT_TRUE(payload.ParseFromString(got.dead_letters[0].payload()));
  EXPECT_EQ(payload.event_id(), "clock-ahead");
  EXPECT_FALSE(got.contacts.empty());  // the others ran
}

}  // namespace
}  // namespace callflow::pipeline::testing
