#pragma once

#include <cstdint>
#include <string_view>

#include "processor/rules/time.h"

namespace callflow::rules {

// Facts are the engine's measurements. The replay summary, the demo report
// and the Prometheus metrics are all folded from the same facts, so the
// numbers agree wherever they are read.
enum class FactKind : uint8_t {
  kApplied,              // an event was applied (not a duplicate, not rejected)
  kDuplicate,            // an event_id seen before
  kAnonymous,            // an applied event of an anonymous caller
  kInboundStarted,       // an inbound leg started (time = start; line silence)
  kInboundClosed,        // an inbound leg was finalized (counts inbound calls)
  kAnswered,             // ... and it was answered (or completed)
  kMissed,               // ... and it was missed; detail = CallEnded.EndReason
                         // (0 for a stale leg); value = 1
  kShortAbandon,         // a missed leg shorter than short_abandon
  kQueueWait,            // value = wait_seconds of an answered inbound leg
  kTalkTime,             // value = talk_seconds of a finished leg
  kBilledMinutes,        // value = minutes; detail = CallEvent.Direction
  kCostKopecks,          // value = kopecks; detail = CallEvent.Direction
  kConversion,           // CONTRACT_SIGNED counted (once per case)
  kRefusal,              // REFUSED
  kCallbackAttempt,      // detail = CallbackAttempt.AttemptResult
  kCallbackReached,      // a callback task reached within the policy
  kCallbackUnreachable,  // a callback task ended UNREACHABLE
  kFirstAttemptDelay,    // value = seconds from missed call to attempt 1
  kIgnoredAttempt,       // attempt for an unknown or closed task
  kLateEvent,            // an event for a leg already finalized (ignored)
  kStateTrimmed,         // a bounded list of a record forgot an entry to
                         // make room; detail = TrimmedList (state_limits.h)
};

// One measurement, passed to OutputSink::RecordFact; `line` is valid only
// during the call. A plain value; thread-compatible.
struct Fact {
  FactKind kind;
  std::string_view line;  // "" when not tied to a line
  double value = 1;
  int32_t detail = 0;
  TimeNs time = 0;  // event time the fact belongs to
};

// A per-partition count of one closed missed-rate window for one line. The
// LineAggregator adds up the partials of all partitions. A plain value;
// thread-compatible.
struct WindowPartial {
  std::string_view line;
  TimeNs window_start = 0;
  TimeNs window_end = 0;
  uint32_t inbound = 0;
  uint32_t missed = 0;
};

}  // namespace callflow::rules
