#pragma once

#include <map>
#include <string>
#include <utility>

#include "processor/rules/options.h"
#include "processor/rules/output_sink.h"

namespace callflow::rules {

// Line-level alerts (R6): MISSED_RATE_HIGH per line per tumbling window and
// LINE_SILENT inside business hours. Adds up the per-partition window
// partials and inbound starts of every partition of the process and fires
// once the process-wide watermark (the minimum over partitions) passes.
// Pure; its state is in memory only (see docs/ARCHITECTURE.md).
//
// Not thread-safe: the owner serializes calls.
class LineAggregator {
 public:
  explicit LineAggregator(const EngineOptions& options);

  void AddWindow(const WindowPartial& partial);
  void OnInboundStarted(std::string_view line, TimeNs started_at);
  // Fires windows whose end <= watermark and silences whose deadline
  // <= watermark, in time order, into `sink`.
  void AdvanceWatermark(TimeNs watermark, OutputSink& sink);

 private:
  struct WindowCounts {
    uint32_t inbound = 0;
    uint32_t missed = 0;
    TimeNs end = 0;
  };
  struct LineSilence {
    TimeNs last_start = 0;  // latest inbound start (or first watermark)
    bool alerted = false;   // once per silence
  };
  const EngineOptions& options_;
  std::map<std::pair<TimeNs, std::string>, WindowCounts> windows_;
  std::map<std::string, LineSilence> silence_;
  TimeNs watermark_ = 0;
};

// First instant at or after `from` when `business` time inside the line's
// business hours has elapsed since `from` (LINE_SILENT deadline).
TimeNs AddBusinessTime(const LineOptions& line, TimeNs from,
                       DurationNs business);

}  // namespace callflow::rules
