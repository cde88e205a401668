#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "processor/rules/kpis.h"
#include "processor/rules/options.h"
#include "processor/rules/time.h"
#include "state/state_env.h"

namespace callflow::replay {

// What `callflow replay` is asked to do (docs/RULES.md §5). A plain value;
// thread-compatible.
struct ReplayOptions {
  // CallEvent JSONL; also the DeadLetter source_topic.
  std::string input;
  // Receives tasks.jsonl, alerts.jsonl, contacts.jsonl, dlq.jsonl and
  // summary.json (created if missing).
  std::string out_dir;
  // At end of input the watermark moves here when set.
  std::optional<rules::TimeNs> until;
  // The reference time of the FUTURE check (docs/RULES.md §6): an event whose
  // occurred_at is more than max_future_skew after it goes to dlq.jsonl.
  // Unset (default): no such check.
  std::optional<rules::TimeNs> now;
  // Keep the state here; "" = a fresh temporary directory removed at the end.
  std::string state_dir;
  // Commit the state every this many events (bounds memory). Default 10000.
  size_t commit_every = 10000;
};

// Runs the rules engine over a JSONL file on one partition (0), exactly as
// the Kafka pipeline would, and writes the outputs in emission order. Bad
// lines go to dlq.jsonl and are counted; the run goes on. Same input and
// options, same output bytes. `progress` (may be null) gets a line at most
// once a second. Returns the KPIs of the run; an error only for I/O or state
// failures.
absl::StatusOr<rules::KpiAccumulator> RunReplay(
    const rules::EngineOptions& engine_options,
    const state::StateOptions& state_options, const ReplayOptions& options,
    std::ostream* progress);

}  // namespace callflow::replay
