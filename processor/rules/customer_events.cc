#include "processor/rules/customer_events.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "processor/rules/task_builder.h"

namespace callflow::rules {
namespace {

using v1::CustomerEventState;
using v1::Task;

bool IsFinal(int status) {
  return status == Task::DONE || status == Task::CANCELLED;
}

std::string TaskId(std::string_view prefix, const v1::CallerState& caller,
                   std::string_view event_id) {
  return absl::StrCat(std::string(prefix), ":", caller.caller(), ":",
                      std::string(event_id));
}

void EmitSide(RuleContext& ctx, const v1::CallerState& caller,
              const CustomerEventState& ce, bool reminder, Task::Status status,
              std::string_view reason) {
  Task& t = StartTask(
      ctx, caller,
      TaskId(reminder ? "rem" : "fup", caller, ce.customer_event_id()),
      reminder ? Task::REMINDER : Task::FOLLOW_UP, status, ce.line(),
      reminder ? ce.reminder_due() : ce.follow_up_due(), ce.created_at(),
      reason);
  t.set_subject(ce.title());
  ctx.sink.EmitTask(t);
}

// Emits both sides with `status`, skipping sides already done or cancelled.
void EmitBoth(RuleContext& ctx, const v1::CallerState& caller,
              CustomerEventState& ce, Task::Status status,
              std::string_view reason) {
  if (!IsFinal(ce.reminder_status())) {
    ce.set_reminder_status(status);
    EmitSide(ctx, caller, ce, true, status, reason);
  }
  if (!IsFinal(ce.follow_up_status())) {
    ce.set_follow_up_status(status);
    EmitSide(ctx, caller, ce, false, status, reason);
  }
}

void Schedule(RuleContext& ctx, const v1::CallerState& caller,
              CustomerEventState& ce, TimeNs starts_at, TimeNs now) {
  ce.set_starts_at(starts_at);
  ce.set_reminder_due(std::max(starts_at - ctx.options.reminders.before, now));
  ce.set_follow_up_due(starts_at + ctx.options.reminders.after);
  ce.set_reminder_attempted(false);
  ce.set_follow_up_attempted(false);
  ctx.state.AddTimer(Timer{
      ce.reminder_due() + ctx.options.callback.overdue_after,
      TimerKind::kReminderOverdue, caller.caller(), ce.customer_event_id(), 0});
}

CustomerEventState* Find(v1::CallerState& caller, std::string_view id) {
  for (auto& ce : *caller.mutable_customer_events()) {
    if (ce.customer_event_id() == id) return &ce;
  }
  return nullptr;
}

}  // namespace

void OnCustomerEvent(RuleContext& ctx, v1::CallerState& caller,
                     const v1::CustomerEventScheduled& event,
                     std::string_view line, TimeNs now) {
  CustomerEventState* ce = Find(caller, event.customer_event_id());
  TimeNs starts_at = FromProto(event.starts_at());
  if (ce == nullptr) {
    if (event.cancelled()) return;  // cancelled before it was ever scheduled
    ce = caller.add_customer_events();
    ce->set_customer_event_id(event.customer_event_id());
    ce->set_title(event.title());
    ce->set_line(std::string(line));
    ce->set_created_at(now);
    Schedule(ctx, caller, *ce, starts_at, now);
    EmitBoth(ctx, caller, *ce, Task::OPEN, "customer_event");
    return;
  }
  if (!event.title().empty()) ce->set_title(event.title());
  if (event.cancelled()) {
    if (ce->cancelled()) return;
    ce->set_cancelled(true);
    EmitBoth(ctx, caller, *ce, Task::CANCELLED, "customer_event_cancelled");
    return;
  }
  bool moved = event.has_starts_at() && starts_at != ce->starts_at();
  if (!moved && !ce->cancelled()) return;  // nothing changed
  if (ce->cancelled()) {  // scheduled again after a cancellation
    ce->set_cancelled(false);
    ce->set_reminder_status(Task::UPDATED);
    ce->set_follow_up_status(Task::UPDATED);
  }
  Schedule(ctx, caller, *ce,
           event.has_starts_at() ? starts_at : ce->starts_at(), now);
  EmitBoth(ctx, caller, *ce, Task::UPDATED, "customer_event_moved");
}

bool OnReminderAttempt(RuleContext& ctx, v1::CallerState& caller,
                       std::string_view task_id,
                       v1::CallbackAttempt::AttemptResult result, TimeNs now) {
  (void)now;
  for (auto& ce : *caller.mutable_customer_events()) {
    for (bool reminder : {true, false}) {
      if (TaskId(reminder ? "rem" : "fup", caller, ce.customer_event_id()) !=
          task_id) {
        continue;
      }
      int status = reminder ? ce.reminder_status() : ce.follow_up_status();
      if (IsFinal(status)) return false;
      if (reminder) {
        ce.set_reminder_attempted(true);
      } else {
        ce.set_follow_up_attempted(true);
      }
      if (result == v1::CallbackAttempt::REACHED) {
        if (reminder) {
          ce.set_reminder_status(Task::DONE);
        } else {
          ce.set_follow_up_status(Task::DONE);
        }
        EmitSide(ctx, caller, ce, reminder, Task::DONE, "reached");
      }
      return true;
    }
  }
  return false;
}

void OnReminderTimer(RuleContext& ctx, v1::CallerState& caller,
                     const Timer& timer) {
  CustomerEventState* ce = Find(caller, timer.ref);
  if (ce == nullptr || ce->cancelled() || IsFinal(ce->reminder_status()) ||
      ce->reminder_attempted() ||
      ce->reminder_due() + ctx.options.callback.overdue_after != timer.due) {
    return;  // attempted, done, cancelled or moved since the timer was set
  }
  std::string task_id = TaskId("rem", caller, ce->customer_event_id());
  v1::Alert& a = StartAlert(ctx.alert, absl::StrCat("overdue:", task_id, ":1"),
                            v1::Alert::TASK_OVERDUE, v1::Alert::WARNING,
                            ce->line(), timer.due);
  a.set_task_id(task_id);
  a.set_caller(caller.caller());
  a.set_message(
      absl::StrCat("reminder call overdue by ",
                   FormatDuration(ctx.options.callback.overdue_after)));
  a.set_value(static_cast<double>(timer.due - ce->reminder_due()) / kSecond);
  a.set_threshold(static_cast<double>(ctx.options.callback.overdue_after) /
                  kSecond);
  ToProto(ce->reminder_due(), a.mutable_window_start());
  ToProto(timer.due, a.mutable_window_end());
  ctx.sink.EmitAlert(a);
}

}  // namespace callflow::rules
