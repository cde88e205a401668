#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "processor/metrics/call_center_metrics.h"
#include "processor/metrics/pipeline_metrics.h"
#include "processor/pipeline/pipeline_observer.h"
#include "processor/pipeline/pipeline_stats.h"

namespace callflow::pipeline {

// Connects a running Pipeline to the metrics module: as its observer it
// counts facts, tasks, alerts, dead letters and commit durations in
// CallCenterMetrics / PipelineMetrics, and Sample() (run it in the metrics
// server's scrape hook) copies the PipelineStats gauges and counter deltas.
//
// Lifecycle: outlives the pipeline and is destroyed before the metrics
// objects. Observer calls are thread-safe (the metrics classes are);
// Sample() from one thread at a time.
class MetricsBridge : public PipelineObserver {
 public:
  MetricsBridge(metrics::CallCenterMetrics& calls,
                metrics::PipelineMetrics& pipeline)
      : calls_(calls), pipeline_(pipeline) {}

  void OnFact(int shard, const rules::Fact& fact) override;
  void OnTask(int shard, const v1::Task& task) override;
  void OnAlert(int shard, const v1::Alert& alert) override;
  void OnDeadLetter(int shard, DlqReason reason,
                    absl::string_view error) override;
  void OnCommit(int shard, double seconds) override;

  void Sample(const PipelineStats& stats, size_t ring_capacity);

 private:
  metrics::CallCenterMetrics& calls_;
  metrics::PipelineMetrics& pipeline_;
  std::map<int32_t, uint64_t> consumed_;  // last sampled, per owned partition
  uint64_t delivery_errors_ = 0;
};

}  // namespace callflow::pipeline
