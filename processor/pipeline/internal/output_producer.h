#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "processor/pipeline/internal/delivery_tracker.h"
#include "processor/pipeline/internal/freeze_watch.h"
#include "processor/pipeline/internal/partition_producer.h"
#include "processor/pipeline/kafka_status.h"
#include "processor/pipeline/output_limits.h"

namespace RdKafka {
class Producer;
class DeliveryReportCb;
class Topic;
}  // namespace RdKafka

namespace callflow::pipeline {

// The overrides the urgent producer is made with: `overrides` without a
// linger (`linger.ms` or its alias `queue.buffering.max.ms`, in [kafka] or
// [kafka.producer]), so EMERGENCY alerts leave at once whatever batching the
// configuration gives the other outputs.
KafkaProperties UrgentProducerOverrides(const KafkaProperties& overrides);

// The process's Kafka producer: idempotent, lz4, murmur2_random partitioner
// (the Java client's partitioning for keyed records). Two librdkafka
// producers share the settings: the bulk one batches (linger), the urgent one
// (linger.ms=0) carries records that must not wait for a batch, such as
// EMERGENCY alerts. A background thread per producer serves delivery
// reports, which go to the DeliveryTracker passed with each record.
// An output record (Produce) refused for good -- too large, topic not
// authorized, rejected by the broker -- is unproducible: no retry or restart
// would deliver it, so it is reported to the tracker as done
// (OnUnproducible), counted through `on_unproducible` and logged, and the
// pipeline goes on. Any other failure, and any failure of a ProduceTo record
// (changelog, lines), is a failed delivery.
//
// Lifecycle: Create, Produce from any number of threads, destroy (flushes
// for up to `flush_timeout` and stops the thread). Thread-safe.
class OutputProducer : public PartitionProducer {
 public:
  // `overrides` are the operator's [kafka] properties (bootstrap.servers,
  // security, ...); they win over the built-in defaults.
  using UnproducibleFn =
      std::function<void(std::string_view topic, Unproducible reason)>;
  // `on_unproducible` (may be empty) is called from librdkafka's threads or
  // the producing thread. With `fence` (may be null; must outlive the
  // producer), librdkafka's threads send nothing more once the process
  // stood still past the fence's limit (send_fence.h).
  static absl::StatusOr<std::unique_ptr<OutputProducer>> Create(
      const KafkaProperties& overrides, UnproducibleFn on_unproducible = {},
      const FreezeWatch* fence = nullptr);
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
                         uint64_t owner, DeliveryTracker* tracker) override;

  // Opens both producers' handles of `topics` now, so librdkafka looks up
  // their partitions and leaders while the group is still joining, instead
  // of holding back the first record of each (an owner marker, an
  // EMERGENCY alert) for that lookup: about a second on the mock cluster.
  // Non-blocking; a topic that does not exist yet is looked up again when
  // a record is produced to it. Call once, before producing.
  void Announce(const std::vector<std::string>& topics);

  // Waits until every queued record has a delivery report.
  absl::Status Flush(std::chrono::milliseconds timeout);
  // Drops every record not sent to a broker yet (their delivery reports say
  // so); requests already sent complete as usual.
  void PurgeQueued();
  // How long the destructor flushes (default 10 s); 0 when stopping at once.
  void set_close_timeout(std::chrono::milliseconds timeout) {
    close_timeout_ = timeout;
  }

  // Records queued in librdkafka and not yet reported.
  int OutQueueLength() const;

  // An output record that can never be produced: done for `tracker`,
  // counted through on_unproducible, logged (rate-limited). From the
  // delivery-report thread or Produce.
  void ReportUnproducible(std::string_view topic, Unproducible reason,
                          std::string_view error, DeliveryTracker* tracker);

 private:
  OutputProducer() = default;
  void PollLoop(RdKafka::Producer* producer);

  UnproducibleFn on_unproducible_;
  std::atomic<uint64_t> unproducible_{0};  // for the log's rate limit
  std::unique_ptr<RdKafka::DeliveryReportCb> report_cb_;
  std::unique_ptr<RdKafka::Producer> bulk_;
  std::unique_ptr<RdKafka::Producer> urgent_;
  std::atomic<bool> stop_{false};
  std::chrono::milliseconds close_timeout_{10000};
  std::thread poller_;         // bulk_'s delivery reports
  std::thread urgent_poller_;  // urgent_'s
  // Announce's handles: declared last, so released before the producers.
  std::vector<std::unique_ptr<RdKafka::Topic>> topics_;
};

}  // namespace callflow::pipeline
