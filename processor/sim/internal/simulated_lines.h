#pragma once

// The call-center lines TrafficSimulator simulates, and the Moscow calendar
// their opening hours and arrival curves follow. Constant data and pure
// functions: thread-safe.

#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "processor/rules/time.h"

namespace callflow::sim {

// The access-number DID line, which goes down for an hour now and then.
inline constexpr char kDidLine[] = "did-2302030";

// How one line's calls arrive and are handled. A plain value;
// thread-compatible (kLines is immutable).
struct LineProfile {
  const char* name;
  double peak_per_hour;
  int open_hour;  // local; [open_hour, close_hour)
  int close_hour;
  bool weekends;      // open on Saturday and Sunday
  double flat_floor;  // curve never below this (24/7 lines)
  std::initializer_list<const char*> departments;  // IVR menu; empty = none
  const char* queue;                               // queue without an IVR
  bool access_number;  // reached through the 8-800 access number
  bool sales;          // dispositions of a sales line
  int talk_shape;      // Erlang shape of talk time
  double talk_mean_seconds;
  double patience_mean_seconds;  // a quarter of callers wait 3x longer
  double queue_timeout_seconds;  // the PBX drops the call (TIMEOUT)
};

// The simulated lines, by index: "sales", "support", "hotline", kDidLine.
inline constexpr size_t kLineCount = 4;
extern const LineProfile kLines[kLineCount];

// Moscow has kept UTC+3 all year since 2014.
inline constexpr rules::TimeNs kMoscowOffset = 3 * rules::kHour;

// A point in time as a Moscow wall clock sees it. A plain value;
// thread-compatible.
struct MoscowTime {
  int64_t day;  // days since the epoch, Moscow
  int hour;
  int weekday;  // 0 = Monday
};

MoscowTime ToMoscowTime(rules::TimeNs t);

// Start of the next Moscow hour after t.
rules::TimeNs NextMoscowHour(rules::TimeNs t);

// Whether the line's agents work at `lt`.
bool IsOpen(const LineProfile& p, const MoscowTime& lt);

// The line's calls per hour at `lt` (its arrival curve times `scale`),
// outages aside.
double BaseRate(const LineProfile& p, const MoscowTime& lt, double scale);

}  // namespace callflow::sim
