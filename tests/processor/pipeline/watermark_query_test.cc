// QueryWatermarks after a partition leader moves: librdkafka 2.0.2's own
// query keeps asking the old leader (NOT_LEADER_FOR_PARTITION); ours finds
// the new one. This is what made a clean stop miss the last line alerts
// after a leader move of the lines topic (BrokerFaultsTest).
#include "processor/pipeline/internal/watermark_query.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

#include <iostream>

#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;

constexpr auto kTimeout = std::chrono::seconds(10);

TEST(WatermarkQueryTest, FindsTheNewLeaderAfterAMove) {
  auto cluster = MockCluster::Start(3);
  ASSERT_THAT(cluster, IsOk());
  const std::string topic = "wm.events";
  ASSERT_THAT((*cluster)->CreateTopic(topic, 1), IsOk());
  ASSERT_THAT((*cluster)->SetPartitionLeader(topic, 0, 1), IsOk());
  const KafkaProperties kafka = MockKafka(**cluster);
  const auto events = SimulatedEvents(20, 3);
  ProduceEvents(kafka, topic, events);

  auto conf =
      MakeKafkaConf(KafkaClient::kConsumer, {{"group.id", "wm-test"}}, kafka);
  ASSERT_THAT(conf, IsOk());
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf->get(), err));
  ASSERT_NE(consumer, nullptr) << err;
  int64_t low = -1, high = -1;
  ASSERT_THAT(QueryWatermarks(*consumer, topic, 0, kTimeout, &low, &high),
              IsOk());
  EXPECT_EQ(low, 0);
  EXPECT_EQ(high, static_cast<int64_t>(events.size()));

  ASSERT_THAT((*cluster)->SetPartitionLeader(topic, 0, 2), IsOk());
  // librdkafka's single query goes to the old leader (that it fails is the
  // reason for QueryWatermarks; if a newer librdkafka answers, fine).
  const RdKafka::ErrorCode direct =
      consumer->query_watermark_offsets(topic, 0, &low, &high, 2000);
  std::cerr << "librdkafka's own query after the move: "
            << RdKafka::err2str(direct) << "\n";
  if (direct != RdKafka::ERR_NO_ERROR) {
    EXPECT_EQ(direct, RdKafka::ERR_NOT_LEADER_FOR_PARTITION)
        << RdKafka::err2str(direct);
  }
  low = high = -1;
  const absl::Status s =
      QueryWatermarks(*consumer, topic, 0, kTimeout, &low, &high);
  EXPECT_THAT(s, IsOk());
  EXPECT_EQ(high, static_cast<int64_t>(events.size()));
  consumer->close();
}

}  // namespace
}  // namespace callflow::pipeline::testing
