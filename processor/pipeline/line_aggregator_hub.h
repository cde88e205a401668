#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "processor/pipeline/pipeline_stats.h"
#include "processor/rules/line_aggregator.h"

namespace callflow::pipeline {

// What one shard collected for the line-level alerts during a batch: the
// window partials its partitions closed and the inbound starts they saw.
// Lines are copied (the engine's views die with the call).
struct LineInputs {
  struct Window {
    std::string line;
    rules::TimeNs start = 0;
    rules::TimeNs end = 0;
    uint32_t inbound = 0;
    uint32_t missed = 0;
  };
  struct Start {
    std::string line;
    rules::TimeNs at = 0;
  };
  std::vector<Window> windows;
  std::vector<Start> starts;
  bool empty() const { return windows.empty() && starts.empty(); }
  void clear() {
    windows.clear();
    starts.clear();
  }
};

// The process-level rules::LineAggregator shared by all shards: shards hand
// in their batch's LineInputs and the aggregator advances to the minimum
// event-time watermark over the partitions this process owns that have seen
// events (PipelineStats::partitions), so a window closes only when every
// partition has passed it. The alerts it fires go to the calling shard's
// sink, so they take part in that shard's commit cycle.
//
// In-memory only (see docs/ARCHITECTURE.md): after a restart the open
// windows start empty. Thread-safe (one mutex); lives as long as the Pipeline.
class LineAggregatorHub {
 public:
  LineAggregatorHub(const rules::EngineOptions& options,
                    PipelineStats& stats);

  // Adds `inputs` (and clears it), then fires what the process watermark
  // allows into `sink`.
  void Apply(LineInputs& inputs, rules::OutputSink& sink);

 private:
  // Minimum watermark over owned partitions that have one; 0 when none.
  rules::TimeNs ProcessWatermark() const;

  PipelineStats& stats_;
  std::mutex mu_;
  rules::LineAggregator aggregator_;
};

}  // namespace callflow::pipeline
