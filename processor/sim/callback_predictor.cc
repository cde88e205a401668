#include "processor/sim/callback_predictor.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace callflow::sim {
namespace {

using rules::FromProto;
using rules::kHour;
using rules::ToProto;

constexpr TimeNs kReminderBefore = 48 * kHour;  // docs/RULES.md R3 defaults
constexpr TimeNs kFollowUpAfter = 48 * kHour;
constexpr TimeNs kFirstDue = kHour;  // docs/RULES.md R2 defaults
constexpr TimeNs kRetryEvery = 24 * kHour;

}  // namespace

CallbackPredictor::CallbackPredictor(const std::string& default_region,
                                     int max_attempts, Dialer* dialer)
    : normalizer_(default_region),
      max_attempts_(max_attempts),
      dialer_(dialer) {}

void CallbackPredictor::Emit(v1::Task& task, v1::Task::Status status,
                             TimeNs now) {
  task.set_status(status);
  dialer_->OnTask(task, now);
  overdue_.OnTask(task);
}

void CallbackPredictor::Observe(const v1::CallEvent& e) {
  const TimeNs now = FromProto(e.occurred_at());
  overdue_.Before(now);
  Apply(e, now);
  overdue_.After(now);
}

void CallbackPredictor::Apply(const v1::CallEvent& e, TimeNs now) {
  if (e.has_callback_attempt()) {
    overdue_.OnAttempt(e.callback_attempt().task_id());
    OnAttempt(e, now);
    return;
  }
  const std::string caller = normalizer_.Normalize(e.caller());
  if (caller.empty()) return;  // anonymous: no state, no task
  if (e.has_customer_event()) {
    OnCustomerEvent(caller, e, now);
    return;
  }
  if (e.direction() != v1::CallEvent::INBOUND) return;
  if (e.has_started()) {
    legs_[e.call_id()] = Leg{caller, e.line(), now, false};
  } else if (e.has_answered()) {
    auto leg = legs_.find(e.call_id());
    if (leg != legs_.end()) leg->second.answered = true;
    auto cb = callbacks_.find(caller);
    if (cb != callbacks_.end()) {  // the client called back: task DONE
      Emit(cb->second.task, v1::Task::DONE, now);
      callbacks_.erase(cb);
    }
  } else if (e.has_ended()) {
    auto node = legs_.extract(e.call_id());
    const bool answered = !node.empty() && node.mapped().answered;
    if (answered || e.ended().reason() == v1::CallEnded::COMPLETED) return;
    const TimeNs start = node.empty() ? now : node.mapped().started_at;
    auto [it, inserted] = callbacks_.try_emplace(caller);
    v1::Task& task = it->second.task;
    if (!inserted) {  // missed again: same task, due_at unchanged
      task.set_missed_calls(task.missed_calls() + 1);
      task.set_priority(task.priority() + 1);
      Emit(task, v1::Task::UPDATED, now);
      return;
    }
    task.set_task_id(absl::StrCat("cb:", caller, ":", e.event_id()));
    task.set_kind(v1::Task::CALLBACK);
    task.set_caller(caller);
    task.set_line(e.line());
    task.set_attempt(1);
    task.set_priority(1);
    task.set_missed_calls(1);
    task.set_source_call_id(e.call_id());
    ToProto(start + kFirstDue, task.mutable_due_at());
    ToProto(now, task.mutable_created_at());
    Emit(task, v1::Task::OPEN, now);
  }
}

void CallbackPredictor::OnAttempt(const v1::CallEvent& e, TimeNs now) {
  const auto& attempt = e.callback_attempt();
  const std::string& id = attempt.task_id();
  const bool reached = attempt.result() == v1::CallbackAttempt::REACHED;
  if (auto s = scheduled_.find(id); s != scheduled_.end()) {
    if (reached) {
      Emit(s->second, v1::Task::DONE, now);
      scheduled_.erase(s);
    }
    return;
  }
  // "cb:<E.164>:<event id>": the caller is between the first two colons.
  if (!id.starts_with("cb:")) return;
  const std::string caller = id.substr(3, id.find(':', 3) - 3);
  auto cb = callbacks_.find(caller);
  if (cb == callbacks_.end() || cb->second.task.task_id() != id) return;
  v1::Task& task = cb->second.task;
  if (reached) {
    Emit(task, v1::Task::DONE, now);
    callbacks_.erase(cb);
  } else if (++cb->second.failures >= max_attempts_) {
    Emit(task, v1::Task::UNREACHABLE, now);
    callbacks_.erase(cb);
  } else {
    task.set_attempt(task.attempt() + 1);
    ToProto(now + kRetryEvery, task.mutable_due_at());
    Emit(task, v1::Task::UPDATED, now);
  }
}

void CallbackPredictor::OnCustomerEvent(const std::string& caller,
                                        const v1::CallEvent& e, TimeNs now) {
  const auto& ce = e.customer_event();
  const TimeNs starts = FromProto(ce.starts_at());
  struct Kind {
    const char* prefix;
    v1::Task::Kind kind;
    TimeNs due;
  };
  const Kind kinds[] = {
      {"rem:", v1::Task::REMINDER, std::max(starts - kReminderBefore, now)},
      {"fup:", v1::Task::FOLLOW_UP, starts + kFollowUpAfter}};
  for (const Kind& k : kinds) {
    const std::string id =
        absl::StrCat(k.prefix, caller, ":", ce.customer_event_id());
    auto [it, inserted] = scheduled_.try_emplace(id);
    v1::Task& task = it->second;
    if (inserted) {
      task.set_task_id(id);
      task.set_kind(k.kind);
      task.set_caller(caller);
      task.set_line(e.line());
    }
    if (ce.cancelled()) {
      Emit(task, v1::Task::CANCELLED, now);
      scheduled_.erase(it);
      continue;
    }
    ToProto(k.due, task.mutable_due_at());
    Emit(task, inserted ? v1::Task::OPEN : v1::Task::UPDATED, now);
  }
}

}  // namespace callflow::sim
