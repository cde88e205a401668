#include "processor/metrics/pipeline_metrics.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "absl/status/status.h"

namespace callflow::metrics {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

const Histogram::BucketBoundaries kProcessingLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
const Histogram::BucketBoundaries kCommitDurationBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

Family<Gauge>& GaugeFamily(prometheus::Registry& registry,
                           const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}

prometheus::Labels PartitionLabels(int32_t partition) {
  return {{"partition", std::to_string(partition)}};
}

}  // namespace

absl::StatusOr<uint64_t> ResidentMemoryBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0;
  uint64_t resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) {
    return absl::UnavailableError("cannot read /proc/self/statm");
  }
  return resident_pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

rules::TimeNs PipelineMetrics::SystemClock() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

PipelineMetrics::PipelineMetrics(prometheus::Registry& registry, Clock clock)
    : clock_(std::move(clock)),
      consumed_(prometheus::BuildCounter()
                    .Name("callflow_events_consumed_total")
                    .Help("Events consumed from the events topic, by "
                          "partition.")
                    .Register(registry)),
      consumer_lag_(GaugeFamily(registry, "callflow_consumer_lag_messages",
                                "Messages between the partition's high "
                                "watermark and the consumed position.")),
      estimated_keys_(GaugeFamily(registry, "callflow_state_estimated_keys",
                                  "RocksDB estimated keys of the partition's "
                                  "store.")),
      live_data_(GaugeFamily(registry, "callflow_state_live_data_bytes",
                             "RocksDB live data size of the partition's "
                             "store, bytes.")),
      pending_compaction_(GaugeFamily(
          registry, "callflow_state_pending_compaction_bytes",
          "RocksDB estimated pending compaction bytes of the partition's "
          "store.")),
      cached_callers_(GaugeFamily(registry, "callflow_state_cached_callers",
                                  "Caller records held in the partition's "
                                  "in-memory cache.")),
      restore_lag_(GaugeFamily(registry, "callflow_restore_lag_records",
                               "Changelog records a restoring partition still "
                               "has to read, by partition.")),
      partition_state_(GaugeFamily(
          registry, "callflow_partition_state",
          "1 for the hand-over state of each partition this instance owns: "
          "restoring (from the changelog) or active.")),
      restore_records_(prometheus::BuildCounter()
                           .Name("callflow_restore_records_total")
                           .Help("Changelog records read to restore "
                                 "partitions' state.")
                           .Register(registry)
                           .Add({})),
      ring_occupancy_(GaugeFamily(registry, "callflow_ring_occupancy_messages",
                                  "Messages waiting in a shard's input ring.")),
      ring_capacity_(GaugeFamily(registry, "callflow_ring_capacity_messages",
                                 "Capacity of each shard's input ring.")
                         .Add({})),
      watermark_seconds_(
          GaugeFamily(registry, "callflow_watermark_timestamp_seconds",
                      "The process-wide event-time watermark, Unix seconds.")
              .Add({})),
      event_time_lag_(GaugeFamily(registry, "callflow_event_time_lag_seconds",
                                  "Wall clock minus the event-time "
                                  "watermark, seconds (0 before the first "
                                  "event).")
                          .Add({})),
      paused_partitions_(GaugeFamily(registry, "callflow_paused_partitions",
                                     "Partitions paused by backpressure.")
                             .Add({})),
      processing_latency_(
          prometheus::BuildHistogram()
              .Name("callflow_processing_latency_seconds")
              .Help("Event received -> its outputs acknowledged, seconds.")
              .Register(registry)
              .Add({}, kProcessingLatencyBuckets)),
      commit_duration_(prometheus::BuildHistogram()
                           .Name("callflow_commit_duration_seconds")
                           .Help("Duration of one commit cycle (state "
                                 "WriteBatch + offsets), seconds.")
                           .Register(registry)
                           .Add({}, kCommitDurationBuckets)),
      delivery_errors_(prometheus::BuildCounter()
                           .Name("callflow_producer_delivery_errors_total")
                           .Help("Output messages the producer failed to "
                                 "deliver.")
                           .Register(registry)
                           .Add({})),
      unproducible_(prometheus::BuildCounter()
                        .Name("callflow_unproducible_total")
                        .Help("Output records that can never be produced "
                              "(too large, topic not authorized, rejected), "
                              "skipped after counting, by topic and reason.")
                        .Register(registry)),
      block_cache_usage_(GaugeFamily(registry,
                                     "callflow_state_block_cache_usage_bytes",
                                     "RocksDB shared block cache usage, bytes.")
                             .Add({})),
      resident_memory_(GaugeFamily(registry,
                                   "callflow_process_resident_memory_bytes",
                                   "Resident set size of the process, bytes.")
                           .Add({})) {}

PipelineMetrics::~PipelineMetrics() = default;

PipelineMetrics::PartitionProbe& PipelineMetrics::Partition(int32_t partition) {
  auto it = partitions_.find(partition);
  if (it != partitions_.end()) return it->second;
  const prometheus::Labels labels = PartitionLabels(partition);
  PartitionProbe probe{
      .consumed = &consumed_.Add(labels),
      .lag = &consumer_lag_.Add(labels),
      .estimated_keys = &estimated_keys_.Add(labels),
      .live_data = &live_data_.Add(labels),
      .pending_compaction = &pending_compaction_.Add(labels),
      .cached_callers = &cached_callers_.Add(labels),
      .restore_lag = &restore_lag_.Add(labels),
      .restoring = nullptr,
      .active = nullptr,
  };
  prometheus::Labels restoring = labels;
  restoring["state"] = "restoring";
  probe.restoring = &partition_state_.Add(restoring);
  prometheus::Labels active = labels;
  active["state"] = "active";
  probe.active = &partition_state_.Add(active);
  return partitions_.emplace(partition, probe).first->second;
}

void PipelineMetrics::AddConsumed(int32_t partition, uint64_t events) {
  std::lock_guard<std::mutex> lock(mu_);
  Partition(partition).consumed->Increment(static_cast<double>(events));
}

void PipelineMetrics::SetConsumerLag(int32_t partition, int64_t messages) {
  std::lock_guard<std::mutex> lock(mu_);
  Partition(partition).lag->Set(static_cast<double>(messages));
}

void PipelineMetrics::SetPartitionState(int32_t partition,
                                        const state::PartitionStats& stats) {
  std::lock_guard<std::mutex> lock(mu_);
  PartitionProbe& probe = Partition(partition);
  probe.estimated_keys->Set(static_cast<double>(stats.estimated_keys));
  probe.live_data->Set(static_cast<double>(stats.live_data_bytes));
  probe.pending_compaction->Set(
      static_cast<double>(stats.pending_compaction_bytes));
  probe.cached_callers->Set(static_cast<double>(stats.cached_callers));
}

void PipelineMetrics::RemovePartition(int32_t partition) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return;
  const PartitionProbe& probe = it->second;
  consumed_.Remove(probe.consumed);
  consumer_lag_.Remove(probe.lag);
  estimated_keys_.Remove(probe.estimated_keys);
  live_data_.Remove(probe.live_data);
  pending_compaction_.Remove(probe.pending_compaction);
  cached_callers_.Remove(probe.cached_callers);
  restore_lag_.Remove(probe.restore_lag);
  partition_state_.Remove(probe.restoring);
  partition_state_.Remove(probe.active);
  partitions_.erase(it);
}

void PipelineMetrics::SetPartitionPhase(int32_t partition, bool restoring,
                                        int64_t lag) {
  std::lock_guard<std::mutex> lock(mu_);
  PartitionProbe& probe = Partition(partition);
  probe.restoring->Set(restoring ? 1 : 0);
  probe.active->Set(restoring ? 0 : 1);
  probe.restore_lag->Set(static_cast<double>(restoring ? lag : 0));
}

void PipelineMetrics::AddRestoreRecords(uint64_t records) {
  restore_records_.Increment(static_cast<double>(records));
}

void PipelineMetrics::SetRingOccupancy(uint32_t shard, size_t messages) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = shards_.find(shard);
  if (it == shards_.end()) {
    it = shards_
             .emplace(shard,
                      &ring_occupancy_.Add({{"shard", std::to_string(shard)}}))
             .first;
  }
  it->second->Set(static_cast<double>(messages));
}

void PipelineMetrics::SetRingCapacity(size_t messages) {
  ring_capacity_.Set(static_cast<double>(messages));
}

void PipelineMetrics::SetWatermark(rules::TimeNs watermark) {
  watermark_.store(watermark, std::memory_order_relaxed);
  watermark_seconds_.Set(static_cast<double>(watermark) / rules::kSecond);
}

void PipelineMetrics::SetPausedPartitions(size_t count) {
  paused_partitions_.Set(static_cast<double>(count));
}

void PipelineMetrics::ObserveProcessingLatency(double seconds) {
  processing_latency_.Observe(seconds);
}

void PipelineMetrics::ObserveCommitDuration(double seconds) {
  commit_duration_.Observe(seconds);
}

void PipelineMetrics::CountDeliveryError() { delivery_errors_.Increment(); }

void PipelineMetrics::AddUnproducible(const std::string& topic,
                                      std::string_view reason,
                                      uint64_t records) {
  unproducible_.Add({{"topic", topic}, {"reason", std::string(reason)}})
      .Increment(static_cast<double>(records));
}

void PipelineMetrics::SetBlockCacheUsage(size_t bytes) {
  block_cache_usage_.Set(static_cast<double>(bytes));
}

void PipelineMetrics::Refresh() {
  const rules::TimeNs watermark = watermark_.load(std::memory_order_relaxed);
  event_time_lag_.Set(watermark == 0
                          ? 0.0
                          : static_cast<double>(clock_() - watermark) /
                                rules::kSecond);
  if (absl::StatusOr<uint64_t> rss = ResidentMemoryBytes(); rss.ok()) {
    resident_memory_.Set(static_cast<double>(*rss));
  }
}

}  // namespace callflow::metrics
