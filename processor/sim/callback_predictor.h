#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "callflow/v1/events.pb.h"
#include "processor/rules/phone_normalizer.h"
#include "processor/sim/dialer.h"
#include "processor/sim/overdue_predictor.h"

namespace callflow::sim {

// File mode only (`callflow simulate`): there is no engine to read tasks
// from, so the simulator predicts the tasks the engine will open from the
// events it emits, mirroring docs/RULES.md R2 (callback tasks: open on a missed
// inbound call, keep on further misses, retry after failed attempts, close on
// REACHED / a call answered / the last failure) and R3 (reminder and
// follow-up per customer event), and hands them to the Dialer. Ids are the
// engine's (`cb:<E.164>:<event_id of the ended event>`, `rem:` / `fup:`), with
// E.164 from the engine's own PhoneNormalizer, so the prediction is exact
// for events in time order without stale legs or late events (the simulator
// emits none of those). The Kafka demo feeds the Dialer real tasks instead.
// The predicted tasks and attempts also drive an OverduePredictor: the SLA
// breaches and overdue alerts the engine should raise.
//
// Lifecycle: one per simulation run; Observe() every emitted event once, in
// emission order, duplicates excluded. Not thread-safe.
class CallbackPredictor {
 public:
  CallbackPredictor(const std::string& default_region, int max_attempts,
                    Dialer* dialer);

  void Observe(const v1::CallEvent& event);

  // Callback tasks currently predicted open.
  size_t open_callbacks() const { return callbacks_.size(); }

  // SLA breaches and overdue alerts predicted so far.
  const std::vector<PredictedAlert>& alerts() const {
    return overdue_.alerts();
  }

 private:
  // An inbound leg started and not ended yet.
  struct Leg {
    std::string caller;  // E.164
    std::string line;
    TimeNs started_at = 0;
    bool answered = false;
  };
  // A callback task predicted open, and its failed attempts.
  struct Callback {
    v1::Task task;
    int failures = 0;
  };

  void Apply(const v1::CallEvent& e, TimeNs now);
  void Emit(v1::Task& task, v1::Task::Status status, TimeNs now);
  void OnCustomerEvent(const std::string& caller, const v1::CallEvent& e,
                       TimeNs now);
  void OnAttempt(const v1::CallEvent& e, TimeNs now);

  rules::PhoneNormalizer normalizer_;
  int max_attempts_;
  Dialer* dialer_;
  OverduePredictor overdue_;
  absl::flat_hash_map<std::string, Leg> legs_;            // by call_id
  absl::flat_hash_map<std::string, Callback> callbacks_;  // by E.164
  // Reminder and follow-up tasks by task id.
  absl::flat_hash_map<std::string, v1::Task> scheduled_;
};

}  // namespace callflow::sim
