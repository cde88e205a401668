#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace callflow::bench {

// The librdkafka clients the callflow-bench commands use next to the
// pipeline: a producer and consumers with large queues (throughput, not
// memory, is what the bench looks at), and helpers to produce and assign.
// Each function exits the process with code 2, naming what failed, when
// librdkafka refuses a property or a client or a message: the command
// cannot measure anything without them. The clients are librdkafka's, with
// its thread-safety.

// session.timeout.ms of the consumer group of every pipeline the bench
// starts (e2e, latency, the rss child): short, so that a group's members
// settle quickly when a pass starts.
inline constexpr char kGroupSessionTimeoutMs[] = "6000";

// `timeout` as the int milliseconds that librdkafka's calls take.
inline int KafkaTimeoutMs(std::chrono::milliseconds timeout) {
  return static_cast<int>(timeout.count());
}

// A producer to `brokers` with `linger_ms` and `compression`
// (compression.type).
std::unique_ptr<RdKafka::Producer> MakeProducer(
    const std::string& brokers, const std::string& linger_ms,
    const std::string& compression = "none");

// Produces a copy of `payload` keyed `key` to `topic`/`partition`, waiting
// while the producer's queue is full.
void ProduceOne(RdKafka::Producer& producer, const std::string& topic,
                int32_t partition, const std::string& key,
                const std::string& payload);

// A consumer in `group`, no auto commit, from the earliest offset;
// `fetch_wait_ms` > 0 sets fetch.wait.max.ms (0 keeps librdkafka's).
std::unique_ptr<RdKafka::KafkaConsumer> MakeConsumer(const std::string& brokers,
                                                     const std::string& group,
                                                     int fetch_wait_ms = 0);

// Assigns partitions 0..`partitions`-1 of `topic` to `consumer` at `offset`.
void AssignAll(RdKafka::KafkaConsumer& consumer, const std::string& topic,
               int partitions, int64_t offset);

}  // namespace callflow::bench
