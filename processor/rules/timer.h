#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include "processor/rules/time.h"

namespace callflow::rules {

enum class TimerKind : uint8_t {
  kLegClose = 1,         // finalize a leg once the watermark passes its end
  kLegStale = 2,         // started + max_call_duration with no `ended`
  kCallbackSla = 3,      // attempt 1 due_at passed with no attempt
  kCallbackOverdue = 4,  // later attempt due_at + overdue_after passed
  kReminderOverdue = 5,  // reminder due_at + overdue_after passed
  kPurgeRecord = 6,      // drop a closed anonymous leg record
  kFollowUpOverdue = 7,  // follow-up due_at + overdue_after passed
};

// A durable event-time timer. Timers are never cancelled: the engine checks,
// when one fires, that what it was set for still holds. Ordered by
// (due, kind, key, ref, seq); stores must fire them in that order. A plain
// value; thread-compatible.
struct Timer {
  TimeNs due = 0;
  TimerKind kind = TimerKind::kLegClose;
  std::string key;   // caller-state key the timer belongs to
  std::string ref;   // call_id, task_id or customer_event_id
  uint32_t seq = 0;  // attempt number where it matters

  auto operator<=>(const Timer&) const = default;
};

}  // namespace callflow::rules
