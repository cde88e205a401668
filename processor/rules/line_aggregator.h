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
  // A call started on `line`. A silence whose deadline passed before it (no
  // call for max_silence of business time) is raised first, into `sink`,
  // even when no other event moved the watermark past the deadline.
  void OnInboundStarted(std::string_view line, TimeNs started_at,
                        OutputSink& sink);
  // Fires windows whose end <= watermark and silences whose deadline
  // <= watermark, in time order, into `sink`.
  void AdvanceWatermark(TimeNs watermark, OutputSink& sink);

 private:
  // One line's counts in one missed-rate window.
  struct WindowCounts {
    uint32_t inbound = 0;
    uint32_t missed = 0;
    TimeNs end = 0;
  };
  // One line's silence check.
  struct LineSilence {
    TimeNs last_start = 0;  // latest inbound start (or first watermark)
    bool alerted = false;   // once per silence
  };
  // Raises LINE_SILENT for `s` when its deadline is at or before `limit`.
  void CheckSilence(const std::string& line, LineSilence& s, TimeNs limit,
                    OutputSink& sink);
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
