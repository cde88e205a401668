#include "processor/rules/customer_events.h"

#include <algorithm>
#include <string>
#include <utility>

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

// The two sides of a customer event: the reminder (true) and the follow-up.
TimeNs DueOf(const CustomerEventState& ce, bool reminder) {
  return reminder ? ce.reminder_due() : ce.follow_up_due();
}
int StatusOf(const CustomerEventState& ce, bool reminder) {
  return reminder ? ce.reminder_status() : ce.follow_up_status();
}
bool AttemptedOf(const CustomerEventState& ce, bool reminder) {
  return reminder ? ce.reminder_attempted() : ce.follow_up_attempted();
}
std::string SideTaskId(const v1::CallerState& caller,
                       const CustomerEventState& ce, bool reminder) {
  return TaskId(reminder ? "rem" : "fup", caller, ce.customer_event_id());
}

void EmitSide(RuleContext& ctx, const v1::CallerState& caller,
              const CustomerEventState& ce, bool reminder, Task::Status status,
              std::string_view reason) {
  Task& t = StartTask(ctx, caller, SideTaskId(caller, ce, reminder),
                      reminder ? Task::REMINDER : Task::FOLLOW_UP, status,
                      ce.line(), DueOf(ce, reminder), ce.created_at(), reason);
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
  // R6: neither side may sit past its due time unnoticed.
  for (bool reminder : {true, false}) {
    ctx.state.AddTimer(Timer{
        DueOf(ce, reminder) + ctx.options.callback.overdue_after,
        reminder ? TimerKind::kReminderOverdue : TimerKind::kFollowUpOverdue,
        caller.caller(), ce.customer_event_id(), 0});
  }
}

// Whether the side's last TASK_OVERDUE alert was for its current due time.
bool AlertedOf(const CustomerEventState& ce, bool reminder) {
  return (reminder ? ce.reminder_alerted_due() : ce.follow_up_alerted_due()) ==
         DueOf(ce, reminder);
}

// Counts one more TASK_OVERDUE alert of a side, for its current due time,
// and returns how many it has.
uint32_t CountOverdueAlert(CustomerEventState& ce, bool reminder) {
  if (reminder) {
    ce.set_reminder_alerted_due(ce.reminder_due());
    ce.set_reminder_overdue_alerts(ce.reminder_overdue_alerts() + 1);
    return ce.reminder_overdue_alerts();
  }
  ce.set_follow_up_alerted_due(ce.follow_up_due());
  ce.set_follow_up_overdue_alerts(ce.follow_up_overdue_alerts() + 1);
  return ce.follow_up_overdue_alerts();
}

// Whether nothing more is due for a customer event: cancelled, both sides
// final, or its follow-up's overdue time before `watermark`.
bool IsOver(const RuleContext& ctx, const CustomerEventState& ce,
            TimeNs watermark) {
  return ce.cancelled() ||
         (IsFinal(ce.reminder_status()) && IsFinal(ce.follow_up_status())) ||
         ce.follow_up_due() + ctx.options.callback.overdue_after < watermark;
}

// Makes room for one more customer event at kMaxCustomerEvents: forgets the
// earliest of those that are over, else the earliest of all. Its timers
// then find nothing; a later update of it counts as a new event.
void MakeRoom(RuleContext& ctx, v1::CallerState& caller, TimeNs now) {
  auto* events = caller.mutable_customer_events();
  if (events->size() < kMaxCustomerEvents) return;
  const TimeNs watermark = ctx.state.MutablePartition().watermark();
  // Over ones first, then by start: the smallest (not over, starts_at).
  const auto rank = [&](const CustomerEventState& ce) {
    return std::pair(!IsOver(ctx, ce, watermark), ce.starts_at());
  };
  const auto victim = std::min_element(
      events->begin(), events->end(),
      [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  ctx.RecordTrim(TrimmedList::kCustomerEvents, victim->line(), now);
  events->erase(victim);
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
    MakeRoom(ctx, caller, now);
    ce = caller.add_customer_events();
    ce->set_customer_event_id(event.customer_event_id());
    ce->set_title(event.title());
    CapText(*ce->mutable_title(), kMaxStoredText);
    ce->set_line(std::string(line));
    ce->set_created_at(now);
    Schedule(ctx, caller, *ce, starts_at, now);
    EmitBoth(ctx, caller, *ce, Task::OPEN, "customer_event");
    return;
  }
  if (!event.title().empty()) {
    ce->set_title(event.title());
    CapText(*ce->mutable_title(), kMaxStoredText);
  }
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
    // A side that reached the customer before the cancellation stays done.
    if (ce->reminder_status() == Task::CANCELLED) {
      ce->set_reminder_status(Task::UPDATED);
    }
    if (ce->follow_up_status() == Task::CANCELLED) {
      ce->set_follow_up_status(Task::UPDATED);
    }
  }
  Schedule(ctx, caller, *ce,
           event.has_starts_at() ? starts_at : ce->starts_at(), now);
  EmitBoth(ctx, caller, *ce, Task::UPDATED, "customer_event_moved");
}

bool OnReminderAttempt(RuleContext& ctx, v1::CallerState& caller,
                       std::string_view task_id,
                       v1::CallbackAttempt::AttemptResult result) {
  for (auto& ce : *caller.mutable_customer_events()) {
    for (bool reminder : {true, false}) {
      if (SideTaskId(caller, ce, reminder) != task_id) {
        continue;
      }
      if (IsFinal(StatusOf(ce, reminder))) return false;
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

void OnCustomerEventTimer(RuleContext& ctx, v1::CallerState& caller,
                          const Timer& timer) {
  const bool reminder = timer.kind == TimerKind::kReminderOverdue;
  CustomerEventState* ce = Find(caller, timer.ref);
  if (ce == nullptr || ce->cancelled() || IsFinal(StatusOf(*ce, reminder)) ||
      AttemptedOf(*ce, reminder) ||
      DueOf(*ce, reminder) + ctx.options.callback.overdue_after != timer.due ||
      AlertedOf(*ce, reminder)) {
    // Attempted, done, cancelled or moved since the timer was set, or this
    // lapse was alerted already (scheduled again at the same time).
    return;
  }
  const TimeNs due = DueOf(*ce, reminder);
  const std::string task_id = SideTaskId(caller, *ce, reminder);
  // The n-th alert of this side: ":1", and ":2" when it was moved after its
  // first alert and is overdue again.
  const uint32_t n = CountOverdueAlert(*ce, reminder);
  v1::Alert& a = StartAlert(
      ctx.alert, absl::StrCat("overdue:", task_id, ":", n),
      v1::Alert::TASK_OVERDUE, v1::Alert::WARNING, ce->line(), timer.due);
  a.set_task_id(task_id);
  a.set_caller(caller.caller());
  a.set_message(
      absl::StrCat(reminder ? "reminder" : "follow-up", " call overdue by ",
                   FormatDuration(ctx.options.callback.overdue_after)));
  a.set_value(static_cast<double>(timer.due - due) / kSecond);
  a.set_threshold(static_cast<double>(ctx.options.callback.overdue_after) /
                  kSecond);
  ToProto(due, a.mutable_window_start());
  ToProto(timer.due, a.mutable_window_end());
  ctx.sink.EmitAlert(a);
}

}  // namespace callflow::rules
