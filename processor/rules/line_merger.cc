#include "processor/rules/line_merger.h"

#include <algorithm>
#include <limits>

namespace callflow::rules {

// Keeps the alerts the aggregator fires, stamped with the deciding offset.
class LineMerger::Collector : public OutputSink {
 public:
  Collector(std::deque<std::pair<int64_t, v1::Alert>>& out, int64_t offset)
      : out_(out), offset_(offset) {}
  void EmitAlert(const v1::Alert& alert) override {
    out_.emplace_back(offset_, alert);
    if (out_.size() > kMaxDecided) out_.pop_front();
  }
  void EmitTask(const v1::Task&) override {}
  void EmitContact(const v1::ContactContext&) override {}
  void EmitWindow(const WindowPartial&) override {}
  void RecordFact(const Fact&) override {}

 private:
  std::deque<std::pair<int64_t, v1::Alert>>& out_;
  const int64_t offset_;
};

LineMerger::LineMerger(const EngineOptions& options, int partitions)
    : options_(options),
      aggregator_(options),
      watermarks_(partitions, 0),
      first_watermarks_(partitions, 0),
      idle_without_events_(partitions, false) {}

void LineMerger::Start(const std::string& line, TimeNs at, OutputSink& sink) {
  aggregator_.OnInboundStarted(line, at, sink);
  TimeNs& last = last_inbound_[line];
  last = std::max(last, at);
}

void LineMerger::Apply(const v1::LineUpdate& update, int64_t offset) {
  next_offset_ = std::max(next_offset_, offset + 1);
  const int32_t p = update.source_partition();
  if (p < 0 || p >= static_cast<int32_t>(watermarks_.size())) return;
  const DurationNs width = options_.alerts.window;
  for (const v1::LineWindowState& w : update.windows()) {
    if (started_ && w.window_start() + width <= merged_) continue;  // closed
    auto& parts = counted_[{w.window_start(), w.line()}];
    if (!parts.insert(p).second) continue;  // this partition's, again
    aggregator_.AddWindow(WindowPartial{.line = w.line(),
                                        .window_start = w.window_start(),
                                        .window_end = w.window_start() + width,
                                        .inbound = w.inbound(),
                                        .missed = w.missed()});
  }
  for (const v1::LineStarts& starts : update.starts()) {
    for (TimeNs at : starts.at()) {
      if (started_ && at <= merged_) {
        Collector sink(decided_, offset);
        Start(starts.line(), at, sink);  // late: as replay would, at once
      } else {
        pending_starts_.emplace(at, starts.line());
      }
    }
  }
  watermarks_[p] = std::max(watermarks_[p], update.watermark());
  if (update.first_watermark() != 0 &&
      (first_watermarks_[p] == 0 ||
       update.first_watermark() < first_watermarks_[p])) {
    first_watermarks_[p] = update.first_watermark();
  }
  idle_without_events_[p] = update.idle_without_events() && watermarks_[p] == 0;
  const TimeNs min = MinWatermark();
  if (min > merged_) AdvanceTo(min, offset);
}

TimeNs LineMerger::MinWatermark() const {
  TimeNs min = std::numeric_limits<TimeNs>::max();
  bool any = false;
  for (size_t p = 0; p < watermarks_.size(); ++p) {
    if (watermarks_[p] == 0) {
      if (idle_without_events_[p]) continue;
      return 0;
    }
    min = std::min(min, watermarks_[p]);
    any = true;
  }
  return any ? min : 0;
}

void LineMerger::AdvanceTo(TimeNs watermark, int64_t offset) {
  Collector sink(decided_, offset);
  if (!started_) {
    TimeNs baseline = std::numeric_limits<TimeNs>::max();
    for (TimeNs f : first_watermarks_) {
      if (f != 0) baseline = std::min(baseline, f);
    }
    baseline = std::min(baseline, watermark);
    while (!pending_starts_.empty() &&
           pending_starts_.begin()->first <= baseline) {
      Start(pending_starts_.begin()->second, pending_starts_.begin()->first,
            sink);
      pending_starts_.erase(pending_starts_.begin());
    }
    aggregator_.AdvanceWatermark(baseline, sink);
    merged_ = baseline;
    started_ = true;
  }
  // Starts in time order (a silence that ended with one is raised by it).
  while (!pending_starts_.empty() &&
         pending_starts_.begin()->first <= watermark) {
    const auto it = pending_starts_.begin();
    Start(it->second, it->first, sink);
    pending_starts_.erase(it);
  }
  aggregator_.AdvanceWatermark(watermark, sink);
  merged_ = watermark;
  const DurationNs width = options_.alerts.window;
  while (!counted_.empty() &&
         counted_.begin()->first.first + width <= merged_) {
    counted_.erase(counted_.begin());
  }
}

std::vector<v1::Alert> LineMerger::DecidedFrom(int64_t from) const {
  std::vector<v1::Alert> out;
  auto it = std::lower_bound(decided_.begin(), decided_.end(), from,
                             [](const std::pair<int64_t, v1::Alert>& d,
                                int64_t o) { return d.first < o; });
  for (; it != decided_.end(); ++it) out.push_back(it->second);
  return out;
}

}  // namespace callflow::rules
