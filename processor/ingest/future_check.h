#pragma once

#include "callflow/v1/events.pb.h"
#include "processor/rules/time.h"
#include "processor/rules/verdict.h"

namespace callflow::ingest {

// `callflow ingest`'s side of the FUTURE rule (docs/RULES.md §6): an event
// whose occurred_at is more than max_future_skew ahead of the reference time is
// not written (IngestWriter counts, reports and dead-letters it), so one
// PBX with a wrong clock cannot move a partition's watermark. The
// reference is the wall clock while following a file or reading a topic
// (events arrive as they happen), --now for a file read to its end, and
// nothing (no check) for a file without --now, like `callflow replay`.
// The rule itself is rules::CheckFuture, the one `run` and `replay` use.
//
// Immutable after construction; Check only reads the clock: thread-safe.
class FutureCheck {
 public:
  // No check.
  FutureCheck() = default;
  // Against the wall clock when each event is checked.
  static FutureCheck WallClock(rules::DurationNs max_future_skew);
  // Against the fixed time `now` (ingest --now).
  static FutureCheck At(rules::TimeNs now, rules::DurationNs max_future_skew);

  // Accept, or a FUTURE rejection naming the reference.
  rules::Verdict Check(const v1::CallEvent& event) const;

 private:
  enum class Reference { kNone, kWallClock, kFixed };

  Reference reference_ = Reference::kNone;
  rules::TimeNs now_ = 0;
  rules::DurationNs max_future_skew_ = 0;
};

}  // namespace callflow::ingest
