#include "bench/alert_latency_reader.h"

#include <chrono>
#include <string_view>

#include "bench/commit_latency_sampler.h"
#include "bench/kafka_clients.h"
#include "callflow/v1/outputs.pb.h"

namespace callflow::bench {
namespace {

constexpr char kAlertsTopic[] = "callflow.alerts";
// How long one poll of the alerts consumer waits: short, as the poll's
// wait adds to no measured latency but delays Stop().
constexpr auto kAlertPoll = std::chrono::milliseconds(5);
// alert_id of the EMERGENCY alert of alarm event "bench-alarm-<k>".
constexpr std::string_view kAlarmAlertPrefix = "emg:bench-alarm-";

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

AlertLatencyReader::AlertLatencyReader(
    const std::string& brokers, int fetch_wait_ms, uint64_t max_alarms,
    const std::atomic<double>& measure_from_ms)
    : consumer_(MakeConsumer(brokers, "bench-alerts", fetch_wait_ms)),
      sent_ms_(max_alarms),
      sent_wall_ms_(max_alarms),
      measure_from_ms_(measure_from_ms) {
  AssignAll(*consumer_, kAlertsTopic, kAlertsPartitions,
            RdKafka::Topic::OFFSET_BEGINNING);
  thread_ = std::jthread([this](std::stop_token stop) { Read(stop); });
}

void AlertLatencyReader::MarkSent(uint64_t k) {
  sent_ms_[k].store(CommitLatencySampler::NowMs());
  sent_wall_ms_[k].store(WallMs());
}

void AlertLatencyReader::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
  consumer_->close();
}

void AlertLatencyReader::Read(const std::stop_token& stop) {
  v1::Alert alert;
  while (!stop.stop_requested()) {
    std::unique_ptr<RdKafka::Message> m(
        consumer_->consume(KafkaTimeoutMs(kAlertPoll)));
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    const double now_ms = CommitLatencySampler::NowMs();
    if (!alert.ParseFromArray(m->payload(), static_cast<int>(m->len()))) {
      continue;
    }
    if (alert.kind() != v1::Alert::EMERGENCY ||
        alert.alert_id().rfind(kAlarmAlertPrefix, 0) != 0) {
      continue;
    }
    const uint64_t k =
        std::stoull(alert.alert_id().substr(kAlarmAlertPrefix.size()));
    if (k < sent_ms_.size() && sent_ms_[k].load() >= measure_from_ms_) {
      const int64_t created_ms = m->timestamp().timestamp;
      std::lock_guard lock(mu_);
      emergency_.Add(now_ms - sent_ms_[k].load());
      emergency_pipeline_.Add(
          static_cast<double>(created_ms - sent_wall_ms_[k].load()));
      emergency_readback_.Add(static_cast<double>(WallMs() - created_ms));
    }
  }
}

}  // namespace callflow::bench
