#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "callflow/v1/events.pb.h"
#include "callflow/v1/outputs.pb.h"
#include "processor/rules/time.h"

namespace callflow::sim {

using rules::TimeNs;

// The Dialer's seed and odds (SimulatorOptions::dialer). A plain value;
// thread-compatible.
struct DialerOptions {
  // Seeds every decision (mixed with the task id). Default 1.
  uint64_t seed = 1;
  // Result odds of one callback attempt; the rest is FAILED. Defaults
  // 0.45 / 0.33 / 0.14, so about one task in six ends UNREACHABLE.
  double callback_reach = 0.45;
  double callback_no_answer = 0.33;
  double callback_busy = 0.14;
  // Chance a reminder / follow-up call reaches the customer. Default 0.6.
  double reminder_reach = 0.6;
  // Share of attempts made late: attempt 1 after its due_at (SLA breach),
  // later ones after due_at + 2 h (overdue). Default 0.04.
  double late_share = 0.04;
};

// One planned dial: the dialer calls `caller` on `line` at `at`; the outbound
// leg rings `ring_seconds`, talks `talk_seconds` (REACHED only) and ends with
// `result`. A plain value; thread-compatible.
struct DialAttempt {
  std::string task_id;
  v1::Task::Kind kind = v1::Task::CALLBACK;
  std::string caller;  // E.164, from the task
  std::string line;
  uint32_t attempt = 0;
  TimeNs at = 0;
  v1::CallbackAttempt::AttemptResult result = v1::CallbackAttempt::FAILED;
  uint32_t ring_seconds = 0;
  uint32_t talk_seconds = 0;
};

// The simulated outbound dialer. Fed with task states (from the engine's
// tasks topic in the Kafka demo, or predicted by the simulator in file mode),
// it keeps at most one planned attempt per open CALLBACK / REMINDER /
// FOLLOW_UP task: the first callback attempt within the hour, retries about
// when due (a day apart), a small share late. Every decision is a function of
// the seed and the task (id, attempt, due_at) only, so the same tasks give
// the same attempts whatever order or timing they arrive in.
//
// Lifecycle: one per simulation run. Not thread-safe.
class Dialer {
 public:
  explicit Dialer(const DialerOptions& options);

  // Takes one task state at event time `now`. OPEN/UPDATED tasks of a dialled
  // kind get an attempt planned (kept when the same attempt and due_at were
  // planned or made already; replaced when due_at moved); closed tasks drop
  // theirs. Other kinds (EMAIL) are ignored.
  void OnTask(const v1::Task& task, TimeNs now);

  // Time of the earliest planned attempt, if any.
  std::optional<TimeNs> NextAt() const;

  // Moves the earliest planned attempt due at or before `now` into `out`.
  bool PopDue(TimeNs now, DialAttempt* out);

  // The decision for one task state at `now` (never earlier than `now`).
  DialAttempt Plan(const v1::Task& task, TimeNs now) const;

  size_t planned() const { return queue_.size(); }

 private:
  // One task's planned (or made) attempt.
  struct Entry {
    uint32_t attempt = 0;
    TimeNs due_at = 0;
    bool made = false;  // popped: the attempt is under way
    DialAttempt plan;
  };

  DialerOptions options_;
  absl::flat_hash_map<std::string, Entry> tasks_;
  std::set<std::pair<TimeNs, std::string>> queue_;  // (at, task_id)
};

}  // namespace callflow::sim
