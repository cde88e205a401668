#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "callflow/v1/events.pb.h"
#include "processor/pipeline/internal/delivery_tracker.h"
#include "processor/pipeline/internal/output_producer.h"
#include "processor/pipeline/kafka_status.h"
#include "processor/rules/engine.h"

namespace callflow::pipeline {

// Writes CallEvents into the events topic as protobuf, keyed by
// rules::Engine::KeyFor (the normalized caller, "~" + call_id for anonymous
// callers) and partitioned with murmur2 like the Java client, so events of
// one caller land on one partition. Used by `callflow produce`, the demo's
// simulator and the tests.
//
// Lifecycle: Create, Send..., WaitAcknowledged, destroy. Not thread-safe.
class EventProducer {
 public:
  // `engine_options` must outlive the producer (the key needs the region).
  static absl::StatusOr<std::unique_ptr<EventProducer>> Create(
      const rules::EngineOptions& engine_options, const KafkaProperties& kafka,
      std::string topic);

  absl::Status Send(const v1::CallEvent& event);
  // Produces a raw payload with `key` as is (tests of bad input).
  absl::Status SendRaw(std::string_view key, std::string_view payload);
  // The same to another topic (ingest's dead letters), tracked alike.
  absl::Status SendRawTo(const std::string& topic, std::string_view key,
                         std::string_view payload);

  // Waits until every record sent so far is acknowledged; an error when any
  // failed or `timeout` passed first.
  absl::Status WaitAcknowledged(std::chrono::milliseconds timeout);

  const DeliveryTracker& tracker() const { return tracker_; }

 private:
  EventProducer(const rules::EngineOptions& engine_options, std::string topic);

  rules::Engine keys_;  // only KeyFor is used
  std::string topic_;
  std::string buffer_;
  DeliveryTracker tracker_;
  std::unique_ptr<OutputProducer> producer_;  // destroyed first
};

}  // namespace callflow::pipeline
