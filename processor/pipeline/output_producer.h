#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "processor/pipeline/delivery_tracker.h"
#include "processor/pipeline/kafka_status.h"

namespace RdKafka {
class Producer;
class DeliveryReportCb;
}  // namespace RdKafka

namespace callflow::pipeline {

// The process's Kafka producer: idempotent, lz4, murmur2_random partitioner
// (the Java client's partitioning for keyed records). Two librdkafka
// producers share the settings: the bulk one batches (linger), the urgent one
// (linger.ms=0) carries records that must not wait for a batch, such as
// EMERGENCY alerts. A background thread per producer serves delivery
// reports, which go to the DeliveryTracker passed with each record.
//
// Lifecycle: Create, Produce from any number of threads, destroy (flushes
// for up to `flush_timeout` and stops the thread). Thread-safe.
class OutputProducer {
 public:
  // `overrides` are the operator's [kafka] properties (bootstrap.servers,
  // security, ...); they win over the built-in defaults.
  static absl::StatusOr<std::unique_ptr<OutputProducer>> Create(
      const KafkaProperties& overrides);
  ~OutputProducer();

  // Queues one record. `tracker` (not null, must outlive the delivery) gets
  // OnProduced now and OnDelivered later. Blocks while librdkafka's local
  // queue is full. A record librdkafka refuses outright is reported to the
  // tracker as failed, logged, and returned as an error.
  absl::Status Produce(const std::string& topic, std::string_view key,
                       std::string_view payload, DeliveryTracker* tracker,
                       bool urgent = false);

  // Queues one record to an explicit `partition` with an ownership header
  // (the changelog): `payload` null is a tombstone. Otherwise as Produce.
  absl::Status ProduceTo(const std::string& topic, int32_t partition,
                         std::string_view key, const std::string* payload,
                         uint64_t owner, DeliveryTracker* tracker);

  // Waits until every queued record has a delivery report.
  absl::Status Flush(std::chrono::milliseconds timeout);

  // Records queued in librdkafka and not yet reported.
  int OutQueueLength() const;

 private:
  OutputProducer() = default;
  void PollLoop(RdKafka::Producer* producer);

  std::unique_ptr<RdKafka::DeliveryReportCb> report_cb_;
  std::unique_ptr<RdKafka::Producer> bulk_;
  std::unique_ptr<RdKafka::Producer> urgent_;
  std::atomic<bool> stop_{false};
  std::thread poller_;         // bulk_'s delivery reports
  std::thread urgent_poller_;  // urgent_'s
};

}  // namespace callflow::pipeline
