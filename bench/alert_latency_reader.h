#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"

namespace callflow::bench {

// The EMERGENCY side of `callflow-bench latency`: the bench produces alarm
// events "bench-alarm-<k>" and marks when (MarkSent); this reader consumes
// callflow.alerts on a thread of its own and, for each alarm sent at or
// after `measure_from_ms` (CommitLatencySampler::NowMs() time), records
// produce -> alert read back, split at the alert record's Kafka timestamp
// (CreateTime, set by the pipeline's producer): bench produce -> alert
// produced (the pipeline's part) and alert produced -> read back (the
// measuring consumer's fetch hop), the latter two at millisecond
// resolution.
//
// Thread-safe: MarkSent() from the producing thread while the reader
// thread records. Stop() (also the destructor) joins the reader; read the
// recorders after it.
class AlertLatencyReader {
 public:
  // Partitions of callflow.alerts that the reader reads: create the topic
  // with as many.
  static constexpr int kAlertsPartitions = 4;

  // Alerts of alarms 0..`max_alarms`-1 are measured.
  AlertLatencyReader(const std::string& brokers, int fetch_wait_ms,
                     uint64_t max_alarms,
                     const std::atomic<double>& measure_from_ms);
  AlertLatencyReader(const AlertLatencyReader&) = delete;
  AlertLatencyReader& operator=(const AlertLatencyReader&) = delete;
  ~AlertLatencyReader() { Stop(); }

  uint64_t max_alarms() const { return sent_ms_.size(); }
  // Alarm `k` (< max_alarms()) is being produced now.
  void MarkSent(uint64_t k);
  // Stops reading: joins the reader thread and closes the consumer.
  void Stop();

  // After Stop(): produce -> read back, its pipeline and read-back parts.
  LatencyRecorder& emergency() { return emergency_; }
  LatencyRecorder& emergency_pipeline() { return emergency_pipeline_; }
  LatencyRecorder& emergency_readback() { return emergency_readback_; }

 private:
  void Read(const std::stop_token& stop);

  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  // Per alarm: steady (NowMs) and wall-clock send times.
  std::vector<std::atomic<double>> sent_ms_;
  std::vector<std::atomic<int64_t>> sent_wall_ms_;
  const std::atomic<double>& measure_from_ms_;
  std::mutex mu_;  // guards the recorders while the thread runs
  LatencyRecorder emergency_;
  LatencyRecorder emergency_pipeline_;
  LatencyRecorder emergency_readback_;
  std::jthread thread_;  // last: it starts once the members above exist
};

}  // namespace callflow::bench
