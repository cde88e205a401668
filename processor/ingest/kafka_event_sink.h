#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "processor/ingest/event_sink.h"
#include "processor/pipeline/event_producer.h"

namespace callflow::ingest {

// The events topic as protobuf, keyed and partitioned as `callflow produce`
// does (pipeline::EventProducer: the normalized caller, murmur2), and dead
// letters to the DLQ topic.
//
// Lifecycle: Create, Write..., Flush, destroy. Not thread-safe.
class KafkaEventSink : public EventSink {
 public:
  // `engine_options` must outlive the sink. Flush gives up after
  // `ack_timeout`.
  static absl::StatusOr<std::unique_ptr<KafkaEventSink>> Create(
      const rules::EngineOptions& engine_options,
      const pipeline::KafkaProperties& kafka, const std::string& topic,
      std::string dlq_topic, std::chrono::milliseconds ack_timeout);

  absl::Status Write(v1::CallEvent&& event) override;
  absl::Status WriteDeadLetter(const v1::DeadLetter& dead_letter) override;
  absl::Status Flush() override;

 private:
  KafkaEventSink(std::unique_ptr<pipeline::EventProducer> producer,
                 std::string dlq_topic, std::chrono::milliseconds ack_timeout)
      : producer_(std::move(producer)),
        dlq_topic_(std::move(dlq_topic)),
        ack_timeout_(ack_timeout) {}

  std::unique_ptr<pipeline::EventProducer> producer_;
  std::string dlq_topic_;
  std::chrono::milliseconds ack_timeout_;
  std::string buffer_;
};

}  // namespace callflow::ingest
