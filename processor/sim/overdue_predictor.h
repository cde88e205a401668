#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "callflow/v1/outputs.pb.h"
#include "processor/rules/time.h"

namespace callflow::sim {

using rules::TimeNs;

// A task alert the engine is expected to raise. A plain value;
// thread-compatible.
struct PredictedAlert {
  std::string alert_id;
  v1::Alert::Kind kind = v1::Alert::TASK_OVERDUE;
  TimeNs at = 0;  // event time it falls due

  bool operator==(const PredictedAlert&) const = default;
};

// File mode: predicts, from the task states the simulator predicts and the
// attempts it emits, which tasks the engine will report as not tried in time
// (a task must never sit past its due time unnoticed):
// - a callback's first attempt not made by its due_at: CALLBACK_SLA_BREACH
//   (`sla:<task_id>`);
// - any later callback attempt, and any reminder or follow-up, not tried by
//   its due_at + 2 h: TASK_OVERDUE (`overdue:<task_id>:<attempt>`; for a
//   reminder or follow-up the number of its alerts so far, 1, then 2 when
//   it was moved after its first alert and is overdue again).
// A deadline is met by an attempt at or before it. A task closed, moved or
// moved on to its next attempt gets a new deadline (or none). E-mail tasks
// are sent, not dialled: they have no deadline.
// Written from the rules as stated, not from the engine's code, so the
// simulator's tests compare two independent readings.
//
// Lifecycle: one per simulation run, fed in event-time order. Not
// thread-safe.
class OverduePredictor {
 public:
  // Everything due strictly before `now`: call before the event at `now` is
  // applied (the engine fires those before applying it).
  void Before(TimeNs now) { Fire(now - 1); }
  // An attempt on `task_id` (whatever its result) meets its deadline.
  void OnAttempt(const std::string& task_id);
  // A predicted task state at `now`.
  void OnTask(const v1::Task& task);
  // Everything due at or before `now`: call after the event is applied.
  void After(TimeNs now) { Fire(now); }

  // Alerts predicted so far, in the order they fell due.
  const std::vector<PredictedAlert>& alerts() const { return alerts_; }

 private:
  // One task's awaited attempt and its deadline.
  struct Watch {
    uint32_t attempt = 0;
    TimeNs due_at = 0;
    TimeNs deadline = 0;  // its key in deadlines_ while armed
    bool armed = false;   // false once tried or raised
  };
  void Fire(TimeNs limit);

  absl::flat_hash_map<std::string, Watch> by_task_;
  // Armed deadlines: (deadline, task_id) -> alert.
  std::map<std::pair<TimeNs, std::string>, PredictedAlert> deadlines_;
  std::vector<PredictedAlert> alerts_;
  // TASK_OVERDUE alerts raised so far per reminder or follow-up task.
  absl::flat_hash_map<std::string, uint32_t> side_alerts_;
};

}  // namespace callflow::sim
