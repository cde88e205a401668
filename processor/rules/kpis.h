#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "callflow/v1/outputs.pb.h"
#include "processor/rules/facts.h"

namespace callflow::rules {

// Call KPIs of one line, or of all lines together. A plain value;
// thread-compatible.
struct LineKpis {
  uint64_t inbound_calls = 0;
  uint64_t answered = 0;
  uint64_t missed = 0;
  uint64_t conversions = 0;
  uint64_t refusals = 0;
  int64_t billable_minutes = 0;
  int64_t cost_kopecks = 0;
  // Callback outcomes, from the emitted tasks.
  uint64_t callbacks_opened = 0;
  uint64_t callbacks_reached = 0;      // DONE after a REACHED attempt
  uint64_t callbacks_called_back = 0;  // DONE, the client called back
  uint64_t callbacks_retried = 0;      // UPDATED to a later attempt
  uint64_t callbacks_unreachable = 0;
  uint64_t emails = 0;  // EMAIL tasks opened

  double missed_rate() const;      // missed / inbound, 0 without calls
  double conversion_rate() const;  // conversions / inbound, 0 without calls
};

// Event counts of a run. A plain value; thread-compatible.
struct EventKpis {
  uint64_t read = 0;          // input records (driver)
  uint64_t applied = 0;       // FactKind::kApplied
  uint64_t duplicates = 0;    // FactKind::kDuplicate
  uint64_t dead_letters = 0;  // driver: malformed or rejected
  uint64_t anonymous = 0;     // FactKind::kAnonymous
};

// Folds the engine's facts and outputs, plus the driver's counters, into the
// docs/RULES.md §5 summary.json and the human KPI report. Pure.
//
// Lifecycle: one per run; Add*() while the run goes, then SummaryJson() /
// FormatKpiReport(). Memory: per line, and one entry per open callback task
// (to tell a retry from another missed call). Not thread-safe.
class KpiAccumulator {
 public:
  void AddFact(const Fact& fact);
  void AddTask(const v1::Task& task);
  void AddAlert(const v1::Alert& alert);
  void AddEventsRead(uint64_t n = 1) { events_.read += n; }
  void AddDeadLetters(uint64_t n = 1) { events_.dead_letters += n; }

  const EventKpis& events() const { return events_; }
  const LineKpis& totals() const { return totals_; }
  // Lines by name; facts and tasks without a line count in totals only.
  const std::map<std::string, LineKpis, std::less<>>& lines() const {
    return lines_;
  }
  // [kind name][status name] -> task messages emitted.
  const std::map<std::string, std::map<std::string, uint64_t>>& tasks() const {
    return tasks_;
  }
  // kind name -> alerts emitted.
  const std::map<std::string, uint64_t>& alerts() const { return alerts_; }
  // AttemptResult name -> callback attempts seen.
  const std::map<std::string, uint64_t>& attempts() const { return attempts_; }
  uint64_t ignored_attempts() const { return ignored_attempts_; }

  // summary.json: pretty-printed, keys sorted, byte-for-byte deterministic.
  // Keys: events, totals, lines, tasks, alerts (docs/RULES.md §5) and callbacks
  // {opened, reached, client_called_back, retried, unreachable, emails,
  // attempts{<RESULT>: n}, ignored_attempts}.
  std::string SummaryJson() const;

 private:
  // Applies `apply` to the totals and, for a named line, to that line.
  template <typename F>
  void ForLine(std::string_view line, F apply);

  EventKpis events_;
  LineKpis totals_;
  std::map<std::string, LineKpis, std::less<>> lines_;
  std::map<std::string, std::map<std::string, uint64_t>> tasks_;
  std::map<std::string, uint64_t> alerts_;
  std::map<std::string, uint64_t> attempts_;
  uint64_t ignored_attempts_ = 0;
  absl::flat_hash_map<std::string, uint32_t> open_callback_attempt_;
};

// The KPI report printed by `callflow replay` and `callflow demo`: per line
// and in total inbound calls, answered, missed %, conversion %, billed minutes
// and cost in roubles, callback outcomes, and alerts by kind.
std::string FormatKpiReport(const KpiAccumulator& kpis);

}  // namespace callflow::rules
