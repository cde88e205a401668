#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "google/protobuf/timestamp.pb.h"

namespace callflow::rules {

// Event time and durations: int64 nanoseconds since the Unix epoch. 0 means
// "unset" in persisted state.
using TimeNs = int64_t;
using DurationNs = int64_t;

inline constexpr DurationNs kSecond = 1'000'000'000LL;
inline constexpr DurationNs kMinute = 60 * kSecond;
inline constexpr DurationNs kHour = 60 * kMinute;
inline constexpr DurationNs kDay = 24 * kHour;

inline TimeNs FromProto(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * kSecond + ts.nanos();
}

inline void ToProto(TimeNs t, google::protobuf::Timestamp* out) {
  int64_t seconds = t / kSecond;
  int64_t nanos = t % kSecond;
  if (nanos < 0) {
    nanos += kSecond;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(nanos));
}

// The longest duration ParseDuration accepts: 3650 days. An event time (at
// most year 2100) plus a few of them still fits in int64 nanoseconds.
inline constexpr DurationNs kMaxDuration = 3650 * kDay;

// Parses "90s", "5m", "4h", "2d" (also "1h30m", "0s"), at most kMaxDuration.
// Errors name the value.
absl::StatusOr<DurationNs> ParseDuration(std::string_view text);

// Formats a duration the way the config accepts it ("1h30m", "0s").
std::string FormatDuration(DurationNs d);

// RFC 3339 UTC ("2024-05-01T10:00:00Z", fractional seconds when non-zero).
std::string FormatTime(TimeNs t);
absl::StatusOr<TimeNs> ParseTime(std::string_view text);

}  // namespace callflow::rules
