#include "processor/pipeline/event_producer.h"

#include "absl/strings/str_cat.h"

namespace callflow::pipeline {

EventProducer::EventProducer(const rules::EngineOptions& engine_options,
                             std::string topic)
    : keys_(engine_options), topic_(std::move(topic)) {}

absl::StatusOr<std::unique_ptr<EventProducer>> EventProducer::Create(
    const rules::EngineOptions& engine_options, const KafkaProperties& kafka,
    std::string topic) {
  std::unique_ptr<EventProducer> p(
      new EventProducer(engine_options, std::move(topic)));
  auto producer = OutputProducer::Create(kafka);
  if (!producer.ok()) return producer.status();
  p->producer_ = *std::move(producer);
  return p;
}

absl::Status EventProducer::Send(const v1::CallEvent& event) {
  event.SerializeToString(&buffer_);
  return producer_->Produce(topic_, keys_.KeyFor(event), buffer_, &tracker_);
}

absl::Status EventProducer::SendRaw(std::string_view key,
                                    std::string_view payload) {
  return producer_->Produce(topic_, key, payload, &tracker_);
}

absl::Status EventProducer::SendRawTo(const std::string& topic,
                                      std::string_view key,
                                      std::string_view payload) {
  return producer_->Produce(topic, key, payload, &tracker_);
}

absl::Status EventProducer::WaitAcknowledged(
    std::chrono::milliseconds timeout) {
  if (!tracker_.WaitAll(timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat(tracker_.outstanding(), " of ", tracker_.produced(),
                     " records not acknowledged in time; check that the "
                     "brokers (bootstrap.servers) are reachable"));
  }
  if (tracker_.failed() > 0) {
    return absl::UnavailableError(absl::StrCat(
        tracker_.failed(), " of ", tracker_.produced(),
        " records were not delivered (first error: ", tracker_.first_error(),
        "); check that the brokers (bootstrap.servers) are reachable and "
        "the topics exist"));
  }
  return absl::OkStatus();
}

}  // namespace callflow::pipeline
