#include "processor/rules/time.h"

#include <cctype>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace callflow::rules {

namespace {
constexpr std::string_view kTooLong = "longer than 3650d";
}  // namespace

absl::StatusOr<DurationNs> ParseDuration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad duration '", std::string(text), "': ", std::string(why),
        " (use a number with a unit s, m, h or d, e.g. \"30m\")"));
  };
  if (text.empty()) return bad("empty");
  DurationNs total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
      ++i;
    if (i == start) return bad("expected a number");
    if (i == text.size()) return bad("missing unit");
    int64_t n = 0;
    if (!absl::SimpleAtoi(std::string(text.substr(start, i - start)), &n)) {
      return bad(kTooLong);
    }
    DurationNs unit = 0;
    switch (text[i]) {
      case 's':
        unit = kSecond;
        break;
      case 'm':
        unit = kMinute;
        break;
      case 'h':
        unit = kHour;
        break;
      case 'd':
        unit = kDay;
        break;
      default:
        return bad("unknown unit");
    }
    ++i;
    if (n > (kMaxDuration - total) / unit) return bad(kTooLong);
    total += n * unit;
  }
  return total;
}

std::string FormatDuration(DurationNs d) {
  if (d == 0) return "0s";
  std::string out;
  const std::pair<DurationNs, char> units[] = {
      {kDay, 'd'}, {kHour, 'h'}, {kMinute, 'm'}, {kSecond, 's'}};
  for (const auto& [unit, suffix] : units) {
    if (d >= unit) {
      absl::StrAppend(&out, d / unit, std::string(1, suffix));
      d %= unit;
    }
  }
  return out.empty() ? "0s" : out;
}

std::string FormatTime(TimeNs t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", absl::FromUnixNanos(t),
                          absl::UTCTimeZone());
}

absl::StatusOr<TimeNs> ParseTime(std::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad time '", std::string(text),
        "': expected RFC 3339 such as 2024-05-01T10:00:00Z (", err, ")"));
  }
  return absl::ToUnixNanos(t);
}

}  // namespace callflow::rules
