// Bad payloads go to the dead-letter topic and the pipeline keeps going.
#include <gtest/gtest.h>

#include <random>

#include "processor/pipeline/event_producer.h"
#include "processor/pipeline/pipeline.h"
#include "tests/processor/pipeline/pipeline_test_util.h"

namespace callflow::pipeline::testing {
namespace {

TEST(PipelineDlqTest, BadPayloadsGoToDlqAndProcessingContinues) {
  TempDir dir;
  auto cluster = MockCluster::Start(1);
  ASSERT_TRUE(cluster.ok());
  const Topics topics = MakeTopics(**cluster, "", 4);
  const KafkaProperties kafka = MockKafka(**cluster);
  const auto events = SimulatedEvents(200, 5);
  ASSERT_GT(events.size(), 40u);

  rules::EngineOptions engine;
  std::set<std::string> bad;
  {
    auto producer = EventProducer::Create(engine, kafka, topics.events);
    ASSERT_TRUE(producer.ok());
    std::mt19937 rng(42);
    std::string serialized;
    for (size_t i = 0; i < events.size(); ++i) {
      ASSERT_TRUE((*producer)->Send(events[i]).ok());
      if (i % 20 != 0) continue;
      std::string random(16 + rng() % 64, '\0');
      for (char& c : random) c = static_cast<char>(rng());
      // Cut inside the last field (the body), so it cannot parse.
      v1::CallEvent copy = events[i];
      copy.SerializeToString(&serialized);
      const std::string truncated = serialized.substr(0, serialized.size() - 2);
      for (const std::string& payload : {random, truncated}) {
        ASSERT_TRUE((*producer)->SendRaw("bad-key", payload).ok());
        bad.insert(payload);
      }
    }
    ASSERT_TRUE((*producer)->WaitAcknowledged(std::chrono::seconds(30)).ok());
  }
  const int64_t total = EndOffsets(kafka, topics.events, 4);
  ASSERT_EQ(total, static_cast<int64_t>(events.size() + bad.size()));

  PipelineConfig config = TestConfig(topics, kafka);
  config.engine = engine;
  PipelineThread pipeline(dir.path(), config);
  ASSERT_TRUE(WaitCommitted(pipeline.stats(), total));
  ASSERT_TRUE(pipeline.Stop().ok());

  const Outputs got = ReadOutputs(kafka, topics);
  std::set<std::string> dead;
  for (const v1::DeadLetter& d : got.dead_letters) {
    EXPECT_EQ(d.source_topic(), topics.events);
    EXPECT_EQ(d.key(), "bad-key");
    EXPECT_EQ(d.reason(), v1::DeadLetter::UNDECODABLE);
    EXPECT_FALSE(d.error().empty());
    EXPECT_GE(d.offset(), 0);
    EXPECT_GT(d.received_at().seconds(), 0);
    dead.insert(d.payload());
  }
  EXPECT_EQ(dead, bad);
  EXPECT_EQ(got.dead_letters.size(), bad.size());
  EXPECT_EQ(pipeline.stats().TotalDeadLetters(), bad.size());
  EXPECT_EQ(pipeline.stats().dead_letters[v1::DeadLetter::UNDECODABLE].load(),
            bad.size());
  EXPECT_FALSE(got.tasks.empty());  // the good events after them ran
}

}  // namespace
}  // namespace callflow::pipeline::testing
