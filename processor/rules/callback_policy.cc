#include "processor/rules/callback_policy.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "processor/rules/task_builder.h"

namespace callflow::rules {
namespace {

using v1::CallbackAttempt;
using v1::Task;

constexpr int kMaxClosedTaskIds = 16;

// Forgets the open task, remembering its id so late attempts are recognized.
void CloseCallback(v1::CallerState& caller) {
  auto* closed = caller.mutable_closed_task_ids();
  if (closed->size() >= kMaxClosedTaskIds) closed->erase(closed->begin());
  closed->Add()->assign(caller.callback().task_id());
  caller.clear_callback();
}

void EmitEmailTask(RuleContext& ctx, const v1::CallerState& caller,
                   const v1::CallbackState& cb, TimeNs now) {
  const LineOptions& line = ctx.options.Line(cb.line());
  Task& t =
      StartTask(ctx, caller, absl::StrCat(cb.task_id(), ":email"), Task::EMAIL,
                Task::OPEN, cb.line(), now, now, "callback_unreachable");
  t.set_attempt(cb.attempt());
  t.set_priority(cb.priority());
  t.set_missed_calls(cb.missed_calls());
  t.set_source_call_id(cb.source_call_id());
  const std::vector<std::pair<absl::string_view, absl::string_view>> number = {
      {"{callback_number}", line.callback_number}};
  t.set_subject(
      absl::StrReplaceAll(ctx.options.callback.email_subject, number));
  t.set_body(absl::StrReplaceAll(ctx.options.callback.email_body, number));
  ctx.sink.EmitTask(t);
}

std::string ResultName(CallbackAttempt::AttemptResult r) {
  std::string name = CallbackAttempt::AttemptResult_Name(r);
  for (char& c : name) c = static_cast<char>(std::tolower(c));
  return name;
}

}  // namespace

void OnMissedCall(RuleContext& ctx, v1::CallerState& caller,
                  const v1::LegState& leg, std::string_view source_event_id,
                  TimeNs call_start, TimeNs now) {
  caller.set_missed_calls(caller.missed_calls() + 1);
  if (caller.has_callback()) {
    v1::CallbackState& cb = *caller.mutable_callback();
    cb.set_missed_calls(cb.missed_calls() + 1);
    cb.set_priority(cb.priority() + 1);
    EmitCallbackTask(ctx, caller, cb, Task::UPDATED, "missed_again");
    return;
  }
  v1::CallbackState& cb = *caller.mutable_callback();
  cb.set_task_id(
      absl::StrCat("cb:", caller.caller(), ":", std::string(source_event_id)));
  cb.set_line(leg.line());
  cb.set_attempt(1);
  cb.set_due_at(call_start + ctx.options.callback.first_due);
  cb.set_priority(1);
  cb.set_missed_calls(1);
  cb.set_source_call_id(leg.call_id());
  cb.set_created_at(now);
  cb.set_missed_at(call_start);
  EmitCallbackTask(ctx, caller, cb, Task::OPEN, "missed_call");
  ctx.state.AddTimer(Timer{cb.due_at(), TimerKind::kCallbackSla,
                           caller.caller(), cb.task_id(), 1});
}

bool OnCallbackAttempt(RuleContext& ctx, v1::CallerState& caller,
                       std::string_view task_id,
                       CallbackAttempt::AttemptResult result, TimeNs now) {
  if (!caller.has_callback() || caller.callback().task_id() != task_id) {
    return false;
  }
  v1::CallbackState& cb = *caller.mutable_callback();
  ctx.Record(FactKind::kCallbackAttempt, cb.line(), 1, result, now);
  if (cb.attempt() == 1) {
    ctx.Record(FactKind::kFirstAttemptDelay, cb.line(),
               static_cast<double>(now - cb.missed_at()) / kSecond, 0, now);
  }
  cb.set_last_attempt_at(now);
  if (result == CallbackAttempt::REACHED) {
    ctx.Record(FactKind::kCallbackReached, cb.line(), 1, 0, now);
    EmitCallbackTask(ctx, caller, cb, Task::DONE, "reached");
    CloseCallback(caller);
    return true;
  }
  cb.set_failures(cb.failures() + 1);
  if (cb.failures() >= ctx.options.callback.max_attempts) {
    ctx.Record(FactKind::kCallbackUnreachable, cb.line(), 1, 0, now);
    EmitCallbackTask(ctx, caller, cb, Task::UNREACHABLE,
                     "max_attempts_reached");
    if (!caller.email().empty()) EmitEmailTask(ctx, caller, cb, now);
    CloseCallback(caller);
    return true;
  }
  cb.set_attempt(cb.attempt() + 1);
  cb.set_due_at(now + ctx.options.callback.retry_every);
  EmitCallbackTask(ctx, caller, cb, Task::UPDATED, ResultName(result));
  ctx.state.AddTimer(Timer{cb.due_at() + ctx.options.callback.overdue_after,
                           TimerKind::kCallbackOverdue, caller.caller(),
                           cb.task_id(), cb.attempt()});
  return true;
}

void OnClientCalledBack(RuleContext& ctx, v1::CallerState& caller, TimeNs now) {
  if (!caller.has_callback()) return;
  ctx.Record(FactKind::kCallbackReached, caller.callback().line(), 1, 0, now);
  EmitCallbackTask(ctx, caller, caller.callback(), Task::DONE,
                   "client_called_back");
  CloseCallback(caller);
}

void OnCallbackTimer(RuleContext& ctx, v1::CallerState& caller,
                     const Timer& timer) {
  if (!caller.has_callback() || caller.callback().task_id() != timer.ref ||
      caller.callback().attempt() != timer.seq) {
    return;  // attempted, closed or superseded since the timer was set
  }
  const v1::CallbackState& cb = caller.callback();
  if (timer.kind == TimerKind::kCallbackSla) {
    v1::Alert& a = StartAlert(ctx.alert, absl::StrCat("sla:", cb.task_id()),
                              v1::Alert::CALLBACK_SLA_BREACH,
                              v1::Alert::WARNING, cb.line(), timer.due);
    a.set_task_id(cb.task_id());
    a.set_caller(caller.caller());
    a.set_message(absl::StrCat("callback not attempted within ",
                               FormatDuration(ctx.options.callback.first_due),
                               " of the missed call"));
    a.set_value(static_cast<double>(timer.due - cb.missed_at()) / kSecond);
    a.set_threshold(static_cast<double>(ctx.options.callback.first_due) /
                    kSecond);
    ToProto(cb.missed_at(), a.mutable_window_start());
    ToProto(timer.due, a.mutable_window_end());
    ctx.sink.EmitAlert(a);
    return;
  }
  v1::Alert& a = StartAlert(
      ctx.alert, absl::StrCat("overdue:", cb.task_id(), ":", cb.attempt()),
      v1::Alert::TASK_OVERDUE, v1::Alert::WARNING, cb.line(), timer.due);
  a.set_task_id(cb.task_id());
  a.set_caller(caller.caller());
  a.set_message(
      absl::StrCat("callback attempt ", cb.attempt(), " overdue by ",
                   FormatDuration(ctx.options.callback.overdue_after)));
  a.set_value(static_cast<double>(timer.due - cb.due_at()) / kSecond);
  a.set_threshold(static_cast<double>(ctx.options.callback.overdue_after) /
                  kSecond);
  ToProto(cb.due_at(), a.mutable_window_start());
  ToProto(timer.due, a.mutable_window_end());
  ctx.sink.EmitAlert(a);
}

}  // namespace callflow::rules
