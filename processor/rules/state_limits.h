#pragma once

#include <cstddef>
#include <string>

#include "callflow/v1/events.pb.h"
#include "processor/rules/verdict.h"

namespace callflow::rules {

// Bounds that keep one caller's record (and so its changelog record) small
// whatever the input: a feed that never resolves a case or only ever adds
// customer events must not grow a record past Kafka's message size limit,
// which would stop every owner of its partition for good (docs/RULES.md,
// "Bounded state"). With these a record stays under kMaxCallerRecordBytes.

// Ids and line names stored in state: an event with a longer one goes to
// the DLQ (TOO_LONG); cutting an id would merge two.
inline constexpr size_t kMaxIdBytes = 256;
// An e-mail address (RFC 5321 allows 254): longer is rejected the same way.
inline constexpr size_t kMaxEmailBytes = 320;
// Display text stored in state (a customer event's title, a contact's
// name): kept cut to this length, with a trailing "…".
inline constexpr size_t kMaxStoredText = 1024;

// Per-record list bounds; the oldest (or, for customer events, the ones
// that are over first) make room, counted as FactKind::kStateTrimmed. Far
// above what real callers reach: the simulator's busiest caller of a
// million calls over five months has 57 open cases and 24 customer events.
inline constexpr int kMaxOpenCases = 256;
inline constexpr int kMaxConvertedCases = 256;
inline constexpr int kMaxCustomerEvents = 64;
inline constexpr int kMaxOpenLegs = 32;
// Open missed-rate windows of one partition (its record, one changelog
// record): at most this many (line, window) pairs. A call on a line past it
// is not counted in the line's window (its MISSED_RATE_HIGH cannot fire),
// counted as trimmed instead. About 1,024 distinct lines in one partition
// within one [alerts] window; the record stays under 300 KiB.
inline constexpr int kMaxOpenLineWindows = 1024;

// What a record can reach with every list full of the longest values the
// limits let in (tests/processor/rules/state_limits_test.cc builds one).
inline constexpr size_t kMaxCallerRecordBytes = 384 * 1024;

// The lists FactKind::kStateTrimmed counts (its `detail`).
enum class TrimmedList : int {
  kOpenCases = 0,
  kConvertedCases = 1,
  kCustomerEvents = 2,
  kOpenLegs = 3,
  kLineWindows = 4,
};
inline constexpr int kNumTrimmedLists = 5;
// The metric label of `list` ("open_cases", ...).
const char* TrimmedListLabel(int list);

// TOO_LONG when a field of `event` that state keeps is longer than its
// limit; accepted otherwise. Pure.
Verdict CheckFieldLengths(const v1::CallEvent& event);

// Cuts `text` to at most `max` bytes on a UTF-8 character boundary, marked
// with a trailing "…" when cut. Pure.
void CapText(std::string& text, size_t max);

}  // namespace callflow::rules
