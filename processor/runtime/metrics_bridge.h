#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "processor/metrics/call_center_metrics.h"
#include "processor/metrics/pipeline_metrics.h"
#include "processor/pipeline/pipeline_observer.h"
#include "processor/pipeline/pipeline_stats.h"

namespace callflow::runtime {

// Connects a running Pipeline to the metrics module: as its observer it
// counts facts, tasks, alerts, dead letters, commit durations, processing
// latencies (poll -> outputs acknowledged) and each partition's RocksDB
// figures after its commit in CallCenterMetrics / PipelineMetrics, and
// Sample() (run it in the metrics server's scrape hook) copies the
// PipelineStats gauges and counter deltas.
//
// Lifecycle: outlives the pipeline and is destroyed before the metrics
// objects. Observer calls are thread-safe (the metrics classes are);
// Sample() from one thread at a time.
class MetricsBridge : public pipeline::PipelineObserver {
 public:
  MetricsBridge(metrics::CallCenterMetrics& calls,
                metrics::PipelineMetrics& pipeline)
      : calls_(calls), pipeline_(pipeline) {}

  void OnFact(int shard, const rules::Fact& fact) override;
  void OnTask(int shard, const v1::Task& task) override;
  void OnAlert(int shard, const v1::Alert& alert) override;
  void OnDeadLetter(int shard, const v1::DeadLetter& dead_letter) override;
  void OnCommit(int shard, double seconds) override;
  void OnAcknowledged(
      int shard, std::chrono::steady_clock::time_point acked,
      absl::Span<const std::chrono::steady_clock::time_point> polled) override;
  void OnPartitionCommitted(int shard, int32_t partition,
                            const state::PartitionStats& stats) override;

  void Sample(const pipeline::PipelineStats& stats, size_t ring_capacity);

 private:
  metrics::CallCenterMetrics& calls_;
  metrics::PipelineMetrics& pipeline_;
  // Last sampled consumed count per partition ever seen (kept after a
  // revocation: PipelineStats counts on when the partition comes back).
  std::map<int32_t, uint64_t> consumed_;
  std::set<int32_t> exported_;    // partitions with series now
  uint64_t restore_records_ = 0;  // restore records already counted
  uint64_t delivery_errors_ = 0;
  // Unproducible records already counted, by output topic and reason.
  std::array<std::array<uint64_t, pipeline::kNumUnproducibleReasons>,
             pipeline::kNumOutputTopics>
      unproducible_{};
  bool unproducible_exported_ = false;
};

}  // namespace callflow::runtime
