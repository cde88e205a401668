#include "processor/pipeline/internal/output_producer.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <optional>

#include "absl/strings/str_cat.h"
#include "processor/pipeline/internal/changelog_records.h"
#include "processor/pipeline/internal/send_fence.h"
#include "processor/util/thread_name.h"

namespace callflow::pipeline {
namespace {

// A record's opaque: its tracker, with the low bit set for an output record
// (Produce), whose permanent refusal makes it unproducible instead of failed.
void* Opaque(DeliveryTracker* tracker, bool output) {
  return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(tracker) |
                                 (output ? 1 : 0));
}
DeliveryTracker* TrackerOf(void* opaque) {
  return reinterpret_cast<DeliveryTracker*>(
      reinterpret_cast<uintptr_t>(opaque) & ~uintptr_t{1});
}
bool IsOutput(void* opaque) {
  return (reinterpret_cast<uintptr_t>(opaque) & 1) != 0;
}

// rd_kafka_producev() needs the header name NUL-terminated.
static_assert(kOwnerHeader.data()[kOwnerHeader.size()] == '\0');

// Queues one record (copied) with librdkafka's C call, under the C++
// client's handle and delivery report: the C++ produce() takes the topic
// name by value (a heap copy per record for names over 15 characters) and
// a Headers object per record. `payload` null: a tombstone; `owner` null:
// no ownership header.
RdKafka::ErrorCode ProduceCopy(RdKafka::Producer& producer,
                               const std::string& topic, int32_t partition,
                               std::string_view key, const char* payload,
                               size_t len, const std::string* owner,
                               void* opaque) {
  void* value = const_cast<char*>(payload);
  rd_kafka_resp_err_t err;
  if (owner == nullptr) {
    err = rd_kafka_producev(producer.c_ptr(), RD_KAFKA_V_TOPIC(topic.c_str()),
                            RD_KAFKA_V_PARTITION(partition),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_VALUE(value, len),
                            RD_KAFKA_V_KEY(key.data(), key.size()),
                            RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
  } else {
    err = rd_kafka_producev(
        producer.c_ptr(), RD_KAFKA_V_TOPIC(topic.c_str()),
        RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(value, len),
        RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_HEADER(kOwnerHeader.data(), owner->data(), owner->size()),
        RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
  }
  return static_cast<RdKafka::ErrorCode>(err);
}

// A refusal of this one record that no retry or restart can undo.
std::optional<Unproducible> PermanentRecordError(RdKafka::ErrorCode err) {
  switch (err) {
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR_RECORD_LIST_TOO_LARGE:
    case RdKafka::ERR_INVALID_MSG_SIZE:
      return Unproducible::kTooLarge;
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
      return Unproducible::kNotAuthorized;
    case RdKafka::ERR_INVALID_RECORD:
    case RdKafka::ERR_POLICY_VIOLATION:
      return Unproducible::kRejected;
    default:
      return std::nullopt;
  }
}

class TrackerReport : public RdKafka::DeliveryReportCb {
 public:
  explicit TrackerReport(OutputProducer& producer) : producer_(producer) {}

  void dr_cb(RdKafka::Message& message) override {
    DeliveryTracker* tracker = TrackerOf(message.msg_opaque());
    const bool ok = message.err() == RdKafka::ERR_NO_ERROR;
    if (ok && tracker != nullptr && tracker->records_offsets()) {
      tracker->OnOffset(message.partition(), message.offset());
    }
    if (ok) {
      if (tracker != nullptr) tracker->OnDelivered(true);
      return;
    }
    const std::string error = message.errstr();
    if (const auto permanent = PermanentRecordError(message.err());
        permanent && tracker != nullptr && IsOutput(message.msg_opaque())) {
      producer_.ReportUnproducible(message.topic_name(), *permanent, error,
                                   tracker);
      return;
    }
    // One line per tracker; its owner reports the count (no log flood when
    // a broker is down).
    if (tracker == nullptr || tracker->OnDelivered(false, error)) {
      spdlog::error("delivery to {} [{}] failed: {}", message.topic_name(),
                    message.partition(), error);
    }
  }

 private:
  OutputProducer& producer_;
};

absl::StatusOr<std::unique_ptr<RdKafka::Producer>> MakeProducer(
    const KafkaProperties& defaults, const KafkaProperties& overrides,
    RdKafka::DeliveryReportCb* report_cb, const FreezeWatch* fence) {
  auto conf = MakeKafkaConf(KafkaClient::kProducer, defaults, overrides);
  if (!conf.ok()) return conf.status();
  if (fence != nullptr) {
    absl::Status fenced = FenceClientThreads((*conf)->c_ptr_global(), fence);
    if (!fenced.ok()) return fenced;
  }
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

KafkaProperties UrgentProducerOverrides(const KafkaProperties& overrides) {
  KafkaProperties urgent = overrides;
  for (const char* key :
       {"linger.ms", "queue.buffering.max.ms", "producer.linger.ms",
        "producer.queue.buffering.max.ms"}) {
    urgent.erase(key);
  }
  return urgent;
}

absl::StatusOr<std::unique_ptr<OutputProducer>> OutputProducer::Create(
    const KafkaProperties& overrides, UnproducibleFn on_unproducible,
    const FreezeWatch* fence) {
  std::unique_ptr<OutputProducer> p(new OutputProducer());
  p->on_unproducible_ = std::move(on_unproducible);
  p->report_cb_ = std::make_unique<TrackerReport>(*p);
  auto bulk = MakeProducer(ProducerDefaults("5"), overrides,
                           p->report_cb_.get(), fence);
  if (!bulk.ok()) return bulk.status();
  p->bulk_ = *std::move(bulk);
  auto urgent =
      MakeProducer(ProducerDefaults("0"), UrgentProducerOverrides(overrides),
                   p->report_cb_.get(), fence);
  if (!urgent.ok()) return urgent.status();
  p->urgent_ = *std::move(urgent);
  p->poller_ = std::thread([raw = p.get()] {
    util::NameThisThread("cf-reports");
    raw->PollLoop(raw->bulk_.get());
  });
  p->urgent_poller_ = std::thread([raw = p.get()] {
    util::NameThisThread("cf-reports-urg");
    raw->PollLoop(raw->urgent_.get());
  });
  return p;
}

OutputProducer::~OutputProducer() {
  absl::Status flushed = Flush(close_timeout_);
  if (!flushed.ok()) spdlog::warn("producer close: {}", flushed.ToString());
  stop_ = true;
  if (poller_.joinable()) poller_.join();
  if (urgent_poller_.joinable()) urgent_poller_.join();
}

void OutputProducer::Announce(const std::vector<std::string>& topics) {
  for (RdKafka::Producer* producer : {bulk_.get(), urgent_.get()}) {
    for (const std::string& name : topics) {
      std::string err;
      std::unique_ptr<RdKafka::Topic> topic(
          RdKafka::Topic::create(producer, name, nullptr, err));
      if (topic == nullptr) {
        spdlog::warn("kafka producer: topic {}: {}", name, err);
        continue;
      }
      topics_.push_back(std::move(topic));
    }
  }
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
    RdKafka::ErrorCode err = ProduceCopy(
        *producer, topic, RdKafka::Topic::PARTITION_UA, key, payload.data(),
        payload.size(), /*owner=*/nullptr, Opaque(tracker, /*output=*/true));
    if (err == RdKafka::ERR_NO_ERROR) return absl::OkStatus();
    if (err == RdKafka::ERR__QUEUE_FULL) {
      // The poll thread serves reports; wait for room.
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    absl::Status status = KafkaStatus(err, absl::StrCat("produce to ", topic));
    if (const auto permanent = PermanentRecordError(err)) {
      ReportUnproducible(topic, *permanent, std::string(status.message()),
                         tracker);
      return status;
    }
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
    RdKafka::ErrorCode err =
        ProduceCopy(*bulk_, topic, partition, key,
                    payload == nullptr ? nullptr : payload->data(),
                    payload == nullptr ? 0 : payload->size(), &owner_value,
                    Opaque(tracker, /*output=*/false));
    if (err == RdKafka::ERR_NO_ERROR) return absl::OkStatus();
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

void OutputProducer::PurgeQueued() {
  for (RdKafka::Producer* p : {bulk_.get(), urgent_.get()}) {
    p->purge(RdKafka::Producer::PURGE_QUEUE);
  }
}

void OutputProducer::ReportUnproducible(std::string_view topic,
                                        Unproducible reason,
                                        std::string_view error,
                                        DeliveryTracker* tracker) {
  tracker->OnUnproducible();
  if (on_unproducible_) on_unproducible_(topic, reason);
  // The first one and then at powers of two: a topic refusing everything
  // must not flood the log (the metric has the exact count).
  const uint64_t n = unproducible_.fetch_add(1) + 1;
  if ((n & (n - 1)) == 0) {
    spdlog::error(
        "output record to {} can never be produced ({}: {}); skipped and "
        "counted in callflow_unproducible_total ({} so far), see "
        "CallflowUnproducibleOutputs in docs/OPERATIONS.md",
        topic, UnproducibleLabel(reason), error, n);
  }
}

int OutputProducer::OutQueueLength() const {
  return bulk_->outq_len() + urgent_->outq_len();
}

}  // namespace callflow::pipeline
