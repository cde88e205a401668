#include "processor/sim/internal/simulated_lines.h"

#include <algorithm>

namespace callflow::sim {
namespace {

// Weekday arrivals by Moscow hour, relative to the peak.
constexpr double kBusinessCurve[24] = {
    0.03, 0.02, 0.02, 0.02, 0.02, 0.03, 0.06, 0.15, 0.40, 0.80, 1.00, 1.00,
    0.90, 0.75, 0.90, 0.95, 0.90, 0.75, 0.50, 0.35, 0.25, 0.15, 0.08, 0.05};

}  // namespace

// kLineCount entries: one more does not compile, one fewer would leave a
// line without a name.
const LineProfile kLines[kLineCount] = {
    {"sales",
     300,
     9,
     21,
     true,
     0,
     {"new_clients", "existing_clients"},
     "",
     false,
     true,
     2,
     290,
     110,
     300},
    {"support",
     400,
     8,
     22,
     true,
     0,
     {"billing", "technical", "general"},
     "",
     false,
     false,
     2,
     230,
     150,
     300},
    {"hotline",
     80,
     0,
     24,
     true,
     0.3,
     {},
     "hotline",
     false,
     false,
     3,
     170,
     70,
     180},
    {kDidLine, 60, 9, 18, false, 0, {"orders"}, "", true, true, 2, 200, 90, 90},
};

MoscowTime ToMoscowTime(rules::TimeNs t) {
  using rules::kDay;
  using rules::kHour;
  const rules::TimeNs local = t + kMoscowOffset;
  const int64_t day = local >= 0 ? local / kDay : (local - kDay + 1) / kDay;
  return MoscowTime{day, static_cast<int>((local - day * kDay) / kHour),
                    static_cast<int>(((day % 7) + 7 + 3) % 7)};
}

rules::TimeNs NextMoscowHour(rules::TimeNs t) {
  const rules::TimeNs local = t + kMoscowOffset;
  return (local / rules::kHour + 1) * rules::kHour - kMoscowOffset;
}

bool IsOpen(const LineProfile& p, const MoscowTime& lt) {
  if (!p.weekends && lt.weekday >= 5) return false;
  return lt.hour >= p.open_hour && lt.hour < p.close_hour;
}

double BaseRate(const LineProfile& p, const MoscowTime& lt, double scale) {
  double curve = std::max(kBusinessCurve[lt.hour], p.flat_floor);
  if (lt.weekday == 5) curve *= p.flat_floor > 0 ? 0.7 : 0.35;
  if (lt.weekday == 6) curve *= p.flat_floor > 0 ? 0.6 : 0.2;
  return p.peak_per_hour * curve * scale;
}

}  // namespace callflow::sim
