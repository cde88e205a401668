#include "processor/pipeline/line_aggregator_hub.h"

#include <algorithm>
#include <limits>

namespace callflow::pipeline {

LineAggregatorHub::LineAggregatorHub(const rules::EngineOptions& options,
                                     PipelineStats& stats)
    : stats_(stats), aggregator_(options) {}

rules::TimeNs LineAggregatorHub::ProcessWatermark() const {
  rules::TimeNs min = std::numeric_limits<rules::TimeNs>::max();
  for (const PartitionCounters& p : stats_.partitions) {
    if (!p.owned.load(std::memory_order_relaxed)) continue;
    const rules::TimeNs w = p.watermark_ns.load(std::memory_order_relaxed);
    if (w > 0) min = std::min(min, w);
  }
  return min == std::numeric_limits<rules::TimeNs>::max() ? 0 : min;
}

void LineAggregatorHub::Apply(LineInputs& inputs, rules::OutputSink& sink) {
  const rules::TimeNs watermark = ProcessWatermark();
  std::lock_guard lock(mu_);
  for (const LineInputs::Window& w : inputs.windows) {
    aggregator_.AddWindow(rules::WindowPartial{.line = w.line,
                                               .window_start = w.start,
                                               .window_end = w.end,
                                               .inbound = w.inbound,
                                               .missed = w.missed});
  }
  for (const LineInputs::Start& s : inputs.starts) {
    aggregator_.OnInboundStarted(s.line, s.at);
  }
  inputs.clear();
  if (watermark > stats_.line_watermark_ns.load()) {
    aggregator_.AdvanceWatermark(watermark, sink);
    stats_.line_watermark_ns = watermark;
  }
}

}  // namespace callflow::pipeline
