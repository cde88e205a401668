#include "processor/rules/line_aggregator.h"

#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "date/tz.h"
#include "processor/rules/task_builder.h"

namespace callflow::rules {
namespace {

using Nanos = std::chrono::nanoseconds;
using SysNs = std::chrono::sys_time<Nanos>;

constexpr int kMaxDaysScanned = 400;

bool HasBusinessHours(const LineOptions& line) {
  return line.tz != nullptr && line.business_open_minute >= 0 &&
         line.business_close_minute >= 0;
}

int64_t Seconds(TimeNs t) { return t / kSecond; }

}  // namespace

TimeNs AddBusinessTime(const LineOptions& line, TimeNs from,
                       DurationNs business) {
  if (!HasBusinessHours(line)) return from + business;
  const date::time_zone& tz = *line.tz;
  auto local = tz.to_local(SysNs(Nanos(from)));
  auto day = date::floor<date::days>(local);
  DurationNs open = line.business_open_minute * kMinute;
  DurationNs close = line.business_close_minute * kMinute;
  if (close <= open) close += kDay;  // hours past midnight, e.g. 22:00-06:00
  // Start one day earlier: an overnight interval may cover `from`.
  day -= date::days(1);
  DurationNs remaining = business;
  for (int i = 0; i < kMaxDaysScanned; ++i, day += date::days(1)) {
    auto to_sys = [&](DurationNs offset) {
      auto lt = date::local_time<Nanos>(day) + Nanos(offset);
      return tz.to_sys(lt, date::choose::earliest).time_since_epoch().count();
    };
    TimeNs begin = std::max<TimeNs>(to_sys(open), from);
    TimeNs end = to_sys(close);
    if (end <= begin) continue;
    if (remaining <= end - begin) return begin + remaining;
    remaining -= end - begin;
  }
  return from + business;  // unreachable for sane hours; never loops forever
}

LineAggregator::LineAggregator(const EngineOptions& options)
    : options_(options) {}

void LineAggregator::AddWindow(const WindowPartial& partial) {
  WindowCounts& w = windows_[{partial.window_start, std::string(partial.line)}];
  w.inbound += partial.inbound;
  w.missed += partial.missed;
  w.end = partial.window_end;
}

void LineAggregator::OnInboundStarted(std::string_view line, TimeNs started_at,
                                      OutputSink& sink) {
  const LineOptions& opts = options_.Line(line);
  if (opts.max_silence <= 0) return;
  auto [it, inserted] = silence_.try_emplace(std::string(line));
  LineSilence& s = it->second;
  if (!inserted) CheckSilence(it->first, s, started_at - 1, sink);
  if (started_at > s.last_start) {
    s.last_start = started_at;
    s.alerted = false;
  }
}

void LineAggregator::AdvanceWatermark(TimeNs watermark, OutputSink& sink) {
  if (watermark <= watermark_) return;
  watermark_ = watermark;
  v1::Alert alert;
  const AlertOptions& ao = options_.alerts;
  for (auto it = windows_.begin();
       it != windows_.end() && it->second.end <= watermark;) {
    const auto& [start, line] = it->first;
    const WindowCounts& w = it->second;
    double rate =
        w.inbound == 0 ? 0.0 : static_cast<double>(w.missed) / w.inbound;
    if (w.inbound >= ao.min_calls && rate >= ao.missed_rate_threshold) {
      v1::Alert& a = StartAlert(
          alert, absl::StrCat("missed_rate:", line, ":", Seconds(start)),
          v1::Alert::MISSED_RATE_HIGH, v1::Alert::WARNING, line, w.end);
      a.set_message(absl::StrFormat("%u of %u inbound calls missed (%.1f%%)",
                                    w.missed, w.inbound, rate * 100));
      a.set_value(rate);
      a.set_threshold(ao.missed_rate_threshold);
      ToProto(start, a.mutable_window_start());
      ToProto(w.end, a.mutable_window_end());
      sink.EmitAlert(a);
    }
    it = windows_.erase(it);
  }

  // Configured silence checks start counting at the first watermark.
  for (const auto& [name, opts] : options_.lines) {
    if (opts.max_silence > 0 && name != "default" && !silence_.contains(name)) {
      silence_[name].last_start = watermark;
    }
  }
  for (auto& [line, s] : silence_) CheckSilence(line, s, watermark, sink);
}

void LineAggregator::CheckSilence(const std::string& line, LineSilence& s,
                                  TimeNs limit, OutputSink& sink) {
  if (s.alerted) return;
  const LineOptions& opts = options_.Line(line);
  TimeNs deadline = AddBusinessTime(opts, s.last_start, opts.max_silence);
  if (deadline > limit) return;
  s.alerted = true;
  v1::Alert alert;
  v1::Alert& a = StartAlert(
      alert, absl::StrCat("silent:", line, ":", Seconds(s.last_start)),
      v1::Alert::LINE_SILENT, v1::Alert::CRITICAL, line, deadline);
  a.set_message(absl::StrCat("no inbound call on line ", line, " for ",
                             FormatDuration(opts.max_silence),
                             " of business hours"));
  a.set_value(static_cast<double>(opts.max_silence) / kSecond);
  a.set_threshold(static_cast<double>(opts.max_silence) / kSecond);
  ToProto(s.last_start, a.mutable_window_start());
  ToProto(deadline, a.mutable_window_end());
  sink.EmitAlert(a);
}

}  // namespace callflow::rules
