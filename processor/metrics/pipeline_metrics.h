#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "processor/rules/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "state/partition_store.h"

namespace callflow::metrics {

// Resident set size of this process in bytes (/proc/self/statm).
absl::StatusOr<uint64_t> ResidentMemoryBytes();

// Health of the Kafka pipeline for ops: throughput and lag per partition,
// event-time lag, processing latency, backpressure (ring occupancy, paused
// partitions), commit duration, producer errors, RocksDB sizes and RSS.
// A plain push API: the pipeline calls the setters where it knows the values;
// Refresh() computes the "now" gauges (event-time lag, RSS) and is meant to
// run in a MetricsServer scrape hook.
//
// Series labelled `partition` exist while the partition is assigned
// (RemovePartition() on revoke drops them); `shard` series exist from the
// first SetRingOccupancy() of the shard. Duplicates and dead letters are
// counted by CallCenterMetrics (from the engine's facts and the DLQ path).
//
// Lifecycle: construct once per process; it must outlive every scrape of its
// registry and its scrape hook. Thread-safe: any thread may call anything.
class PipelineMetrics {
 public:
  // Wall clock, ns since the epoch; injectable for tests.
  using Clock = std::function<rules::TimeNs()>;
  static rules::TimeNs SystemClock();

  explicit PipelineMetrics(prometheus::Registry& registry,
                           Clock clock = &PipelineMetrics::SystemClock);
  ~PipelineMetrics();

  PipelineMetrics(const PipelineMetrics&) = delete;
  PipelineMetrics& operator=(const PipelineMetrics&) = delete;

  // Per partition.
  void AddConsumed(int32_t partition, uint64_t events);
  // High watermark − consumed position, messages.
  void SetConsumerLag(int32_t partition, int64_t messages);
  // After each commit of the partition's store (PartitionStore::Stats()).
  void SetPartitionState(int32_t partition, const state::PartitionStats& stats);
  // On revoke: the partition's series disappear from the exposition.
  void RemovePartition(int32_t partition);
  // Hand-over: `restoring` (state being restored from the changelog, with
  // `lag` records left) or active; callflow_partition_state{state} is 1 for
  // the current one.
  void SetPartitionPhase(int32_t partition, bool restoring, int64_t lag);
  // Changelog records read by restores.
  void AddRestoreRecords(uint64_t records);

  // Per shard: messages waiting in the poll-thread -> shard ring.
  void SetRingOccupancy(uint32_t shard, size_t messages);
  void SetRingCapacity(size_t messages);

  // The process-wide watermark (event time, the minimum over partitions).
  void SetWatermark(rules::TimeNs watermark);
  void SetPausedPartitions(size_t count);
  // Event received (polled) -> its outputs acknowledged by the producer.
  void ObserveProcessingLatency(double seconds);
  // One commit cycle: WriteBatch + offsets.
  void ObserveCommitDuration(double seconds);
  void CountDeliveryError();
  // Output records skipped because they can never be produced
  // (callflow_unproducible_total{topic,reason}).
  void AddUnproducible(const std::string& topic, std::string_view reason,
                       uint64_t records);
  // StateEnv::block_cache_usage().
  void SetBlockCacheUsage(size_t bytes);

  // Updates the event-time lag (clock − watermark; 0 before the first
  // watermark) and the RSS gauge.
  void Refresh();

 private:
  struct PartitionProbe {
    prometheus::Counter* consumed;
    prometheus::Gauge* lag;
    prometheus::Gauge* estimated_keys;
    prometheus::Gauge* live_data;
    prometheus::Gauge* pending_compaction;
    prometheus::Gauge* cached_callers;
    prometheus::Gauge* restore_lag;
    prometheus::Gauge* restoring;
    prometheus::Gauge* active;
  };
  PartitionProbe& Partition(int32_t partition);  // requires mu_

  Clock clock_;
  prometheus::Family<prometheus::Counter>& consumed_;
  prometheus::Family<prometheus::Gauge>& consumer_lag_;
  prometheus::Family<prometheus::Gauge>& estimated_keys_;
  prometheus::Family<prometheus::Gauge>& live_data_;
  prometheus::Family<prometheus::Gauge>& pending_compaction_;
  prometheus::Family<prometheus::Gauge>& cached_callers_;
  prometheus::Family<prometheus::Gauge>& restore_lag_;
  prometheus::Family<prometheus::Gauge>& partition_state_;
  prometheus::Counter& restore_records_;
  prometheus::Family<prometheus::Gauge>& ring_occupancy_;
  prometheus::Gauge& ring_capacity_;
  prometheus::Gauge& watermark_seconds_;
  prometheus::Gauge& event_time_lag_;
  prometheus::Gauge& paused_partitions_;
  prometheus::Histogram& processing_latency_;
  prometheus::Histogram& commit_duration_;
  prometheus::Counter& delivery_errors_;
  prometheus::Family<prometheus::Counter>& unproducible_;
  prometheus::Gauge& block_cache_usage_;
  prometheus::Gauge& resident_memory_;

  std::atomic<rules::TimeNs> watermark_{0};
  std::mutex mu_;  // guards partitions_ and shards_
  std::map<int32_t, PartitionProbe> partitions_;
  std::map<uint32_t, prometheus::Gauge*> shards_;
};

}  // namespace callflow::metrics
