#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "callflow/v1/outputs.pb.h"
#include "callflow/v1/state.pb.h"
#include "processor/rules/line_aggregator.h"
#include "processor/rules/options.h"

namespace callflow::rules {

// Line-level alerts over every partition of the events topic, from the
// LineUpdates the partitions' owners publish (one per partition per commit
// cycle, in the lines topic). Decides exactly what one LineAggregator fed by
// all partitions in event-time order would (what replay does):
// - a window closes when the watermark of EVERY partition has passed its
//   end; a partition that never reported holds every window back, except
//   one whose owner reported it idle without ever having had an event;
// - each partition's final partial of a window counts once (a zombie or a
//   re-processed cycle repeats it with the same counts); partials of windows
//   already closed are ignored;
// - inbound starts are applied in time order up to the merged watermark (a
//   silence is decided by the next start on its line, or by the watermark);
// - silence clocks of configured lines without calls start at the earliest
//   first watermark of any partition.
// Every decided alert is kept with the lines-topic offset of the update
// that decided it, so whoever emits them can resume at an offset.
// Pure (no I/O, no clock). Not thread-safe.
class LineMerger {
 public:
  // `partitions`: the events topic's partition count.
  LineMerger(const EngineOptions& options, int partitions);

  void Apply(const v1::LineUpdate& update, int64_t offset);

  // Alerts decided by updates at offsets >= `from`, oldest first (at most
  // the last kMaxDecided are kept).
  std::vector<v1::Alert> DecidedFrom(int64_t from) const;
  // The offset after the last update applied (0 before any).
  int64_t next_offset() const { return next_offset_; }
  // The merged watermark (0 until every partition reported).
  TimeNs watermark() const { return merged_; }
  // Latest inbound start per line, over every partition.
  const std::map<std::string, TimeNs>& last_inbound() const {
    return last_inbound_;
  }

  static constexpr size_t kMaxDecided = 100000;

 private:
  class Collector;
  // Minimum watermark over the partitions that hold windows back; 0 when
  // one of them has not reported yet.
  TimeNs MinWatermark() const;
  void AdvanceTo(TimeNs watermark, int64_t offset);
  void Start(const std::string& line, TimeNs at, OutputSink& sink);

  const EngineOptions& options_;
  LineAggregator aggregator_;
  std::vector<TimeNs> watermarks_;
  std::vector<TimeNs> first_watermarks_;
  std::vector<bool> idle_without_events_;
  // Partitions whose partial of (window start, line) was counted.
  std::map<std::pair<TimeNs, std::string>, std::set<int32_t>> counted_;
  std::multimap<TimeNs, std::string> pending_starts_;
  std::map<std::string, TimeNs> last_inbound_;
  bool started_ = false;
  TimeNs merged_ = 0;
  int64_t next_offset_ = 0;
  std::deque<std::pair<int64_t, v1::Alert>> decided_;
};

}  // namespace callflow::rules
