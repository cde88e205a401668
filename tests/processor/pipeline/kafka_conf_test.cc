// MakeKafkaConf: [kafka] goes to every client, [kafka.consumer] and
// [kafka.producer] only to theirs and win over [kafka]; the operator's
// overrides win over the built-in defaults; the urgent producer keeps no
// linger whatever the overrides say.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

#include "processor/pipeline/internal/output_producer.h"
#include "processor/pipeline/kafka_status.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;
using ::testing::HasSubstr;

std::string Get(const RdKafka::Conf& conf, const std::string& key) {
  std::string value;
  if (conf.get(key, value) != RdKafka::Conf::CONF_OK) return "<unset>";
  return value;
}

const KafkaProperties kOverrides = {
    {"client.id", "both"},
    {"linger.ms", "7"},
    {"consumer.fetch.wait.max.ms", "10"},
    {"consumer.client.id", "the-consumer"},
    {"producer.linger.ms", "20"},
};

TEST(KafkaConfTest, ConsumerGetsItsScopeAndNotTheProducers) {
  auto conf = MakeKafkaConf(KafkaClient::kConsumer,
                            {{"fetch.wait.max.ms", "500"}}, kOverrides);
  ASSERT_THAT(conf, IsOk());
  EXPECT_EQ(Get(**conf, "fetch.wait.max.ms"), "10");
  EXPECT_EQ(Get(**conf, "client.id"), "the-consumer");
  EXPECT_EQ(Get(**conf, "linger.ms"), "7");  // [kafka] applies to both
}

TEST(KafkaConfTest, ProducerGetsItsScopeAndNotTheConsumers) {
  auto conf = MakeKafkaConf(KafkaClient::kProducer, {}, kOverrides);
  ASSERT_THAT(conf, IsOk());
  EXPECT_EQ(Get(**conf, "linger.ms"), "20");
  EXPECT_EQ(Get(**conf, "client.id"), "both");
  // librdkafka's default, not the consumer's 10.
  EXPECT_EQ(Get(**conf, "fetch.wait.max.ms"), "500");
}

// A `linger.ms` meant for the outputs' batches (the example config suggests
// one) used to delay EMERGENCY alerts as well.
TEST(KafkaConfTest, TheUrgentProducerNeverLingers) {
  KafkaProperties overrides = kOverrides;
  overrides["producer.queue.buffering.max.ms"] = "30";
  overrides["queue.buffering.max.ms"] = "40";
  auto conf = MakeKafkaConf(KafkaClient::kProducer, {{"linger.ms", "0"}},
                            UrgentProducerOverrides(overrides));
  ASSERT_THAT(conf, IsOk());
  EXPECT_EQ(Get(**conf, "linger.ms"), "0");
  EXPECT_EQ(Get(**conf, "client.id"), "both");  // the rest still applies
  // The outputs' batching is kept: [kafka.producer] linger.ms.
  auto bulk =
      MakeKafkaConf(KafkaClient::kProducer, {{"linger.ms", "5"}}, kOverrides);
  ASSERT_THAT(bulk, IsOk());
  EXPECT_EQ(Get(**bulk, "linger.ms"), "20");
}

TEST(KafkaConfTest, AnUnknownScopedPropertyIsNamedInFull) {
  auto conf = MakeKafkaConf(KafkaClient::kConsumer, {},
                            {{"consumer.no.such.property", "1"}});
  EXPECT_THAT(conf, StatusIs(absl::StatusCode::kInvalidArgument,
                             HasSubstr("consumer.no.such.property")));
}

}  // namespace
}  // namespace callflow::pipeline
