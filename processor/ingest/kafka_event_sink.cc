#include "processor/ingest/kafka_event_sink.h"

namespace callflow::ingest {

absl::StatusOr<std::unique_ptr<KafkaEventSink>> KafkaEventSink::Create(
    const rules::EngineOptions& engine_options,
    const pipeline::KafkaProperties& kafka, const std::string& topic,
    std::string dlq_topic, std::chrono::milliseconds ack_timeout) {
  auto producer = pipeline::EventProducer::Create(engine_options, kafka, topic);
  if (!producer.ok()) return producer.status();
  return std::unique_ptr<KafkaEventSink>(new KafkaEventSink(
      *std::move(producer), std::move(dlq_topic), ack_timeout));
}

absl::Status KafkaEventSink::Write(v1::CallEvent&& event) {
  return producer_->Send(event);
}

absl::Status KafkaEventSink::WriteDeadLetter(
    const v1::DeadLetter& dead_letter) {
  dead_letter.SerializeToString(&buffer_);
  return producer_->SendRawTo(dlq_topic_, dead_letter.key(), buffer_);
}

absl::Status KafkaEventSink::Flush() {
  return producer_->WaitAcknowledged(ack_timeout_);
}

}  // namespace callflow::ingest
