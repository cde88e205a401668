#include "processor/pipeline/output_producer.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "processor/pipeline/changelog_records.h"

namespace callflow::pipeline {
namespace {

class TrackerReport : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    auto* tracker = static_cast<DeliveryTracker*>(message.msg_opaque());
    const bool ok = message.err() == RdKafka::ERR_NO_ERROR;
    if (ok && tracker != nullptr && tracker->records_offsets()) {
      tracker->OnOffset(message.partition(), message.offset());
    }
    if (ok) {
      if (tracker != nullptr) tracker->OnDelivered(true);
      return;
    }
    const std::string error = message.errstr();
    // One line per tracker; its owner reports the count (no log flood when
    // a broker is down).
    if (tracker == nullptr || tracker->OnDelivered(false, error)) {
      spdlog::error("delivery to {} [{}] failed: {}", message.topic_name(),
                    message.partition(), error);
    }
  }
};

absl::StatusOr<std::unique_ptr<RdKafka::Producer>> MakeProducer(
    const KafkaProperties& defaults, const KafkaProperties& overrides,
    RdKafka::DeliveryReportCb* report_cb) {
  auto conf = MakeKafkaConf(defaults, overrides);
  if (!conf.ok()) return conf.status();
  std::string err;
  if ((*conf)->set("dr_cb", report_cb, err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(err);
  }
  std::unique_ptr<RdKafka::Producer> producer(
      RdKafka::Producer::create(conf->get(), err));
  if (producer == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("kafka producer: ", err));
  }
  return producer;
}

KafkaProperties ProducerDefaults(const char* linger_ms) {
  return {
      {"enable.idempotence", "true"},
      {"compression.type", "lz4"},
      {"partitioner", "murmur2_random"},
      {"linger.ms", linger_ms},
      {"queue.buffering.max.messages", "1000000"},
      {"queue.buffering.max.kbytes", "1048576"},
  };
}

}  // namespace

absl::StatusOr<std::unique_ptr<OutputProducer>> OutputProducer::Create(
    const KafkaProperties& overrides) {
  std::unique_ptr<OutputProducer> p(new OutputProducer());
  p->report_cb_ = std::make_unique<TrackerReport>();
  auto bulk =
      MakeProducer(ProducerDefaults("5"), overrides, p->report_cb_.get());
  if (!bulk.ok()) return bulk.status();
  p->bulk_ = *std::move(bulk);
  auto urgent =
      MakeProducer(ProducerDefaults("0"), overrides, p->report_cb_.get());
  if (!urgent.ok()) return urgent.status();
  p->urgent_ = *std::move(urgent);
  p->poller_ =
      std::thread([raw = p.get()] { raw->PollLoop(raw->bulk_.get()); });
  p->urgent_poller_ =
      std::thread([raw = p.get()] { raw->PollLoop(raw->urgent_.get()); });
  return p;
}

OutputProducer::~OutputProducer() {
  absl::Status flushed = Flush(std::chrono::seconds(10));
  if (!flushed.ok()) spdlog::warn("producer close: {}", flushed.ToString());
  stop_ = true;
  if (poller_.joinable()) poller_.join();
  if (urgent_poller_.joinable()) urgent_poller_.join();
}

// One thread per producer: poll() returns on the first report, so a shared
// thread blocked in one producer's poll(50) would delay the other's reports
// (and so the commit of EMERGENCY alerts) by up to 50 ms.
void OutputProducer::PollLoop(RdKafka::Producer* producer) {
  while (!stop_.load()) producer->poll(50);
}

absl::Status OutputProducer::Produce(const std::string& topic,
                                     std::string_view key,
                                     std::string_view payload,
                                     DeliveryTracker* tracker, bool urgent) {
  RdKafka::Producer* producer = urgent ? urgent_.get() : bulk_.get();
  tracker->OnProduced();
  while (true) {
    RdKafka::ErrorCode err = producer->produce(
        topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
        const_cast<char*>(payload.data()), payload.size(), key.data(),
        key.size(), 0, tracker);
    if (err == RdKafka::ERR_NO_ERROR) return absl::OkStatus();
    if (err == RdKafka::ERR__QUEUE_FULL) {
      // The poll thread serves reports; wait for room.
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    absl::Status status = KafkaStatus(err, absl::StrCat("produce to ", topic));
    const std::string error(status.message());
    if (tracker->OnDelivered(false, error)) spdlog::error("{}", error);
    return status;
  }
}

absl::Status OutputProducer::ProduceTo(const std::string& topic,
                                       int32_t partition, std::string_view key,
                                       const std::string* payload,
                                       uint64_t owner,
                                       DeliveryTracker* tracker) {
  tracker->OnProduced();
  const std::string owner_value = EncodeOwner(owner);
  while (true) {
    RdKafka::Headers* headers = RdKafka::Headers::create();
    headers->add(std::string(kOwnerHeader), owner_value.data(),
                 owner_value.size());
    RdKafka::ErrorCode err = bulk_->produce(
        topic, partition, RdKafka::Producer::RK_MSG_COPY,
        payload == nullptr ? nullptr : const_cast<char*>(payload->data()),
        payload == nullptr ? 0 : payload->size(), key.data(), key.size(), 0,
        headers, tracker);
    if (err == RdKafka::ERR_NO_ERROR) return absl::OkStatus();  // owns headers
    delete headers;
    if (err == RdKafka::ERR__QUEUE_FULL) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    absl::Status status = KafkaStatus(
        err, absl::StrCat("produce to ", topic, " [", partition, "]"));
    const std::string error(status.message());
    if (tracker->OnDelivered(false, error)) spdlog::error("{}", error);
    return status;
  }
}

absl::Status OutputProducer::Flush(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (RdKafka::Producer* p : {bulk_.get(), urgent_.get()}) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    RdKafka::ErrorCode err =
        p->flush(static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (err != RdKafka::ERR_NO_ERROR) return KafkaStatus(err, "producer flush");
  }
  return absl::OkStatus();
}

int OutputProducer::OutQueueLength() const {
  return bulk_->outq_len() + urgent_->outq_len();
}

}  // namespace callflow::pipeline
