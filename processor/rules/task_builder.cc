#include "processor/rules/task_builder.h"

#include <string>

namespace callflow::rules {

v1::Task& StartTask(RuleContext& ctx, const v1::CallerState& caller,
                    std::string_view task_id, v1::Task::Kind kind,
                    v1::Task::Status status, std::string_view line,
                    TimeNs due_at, TimeNs created_at, std::string_view reason) {
  v1::Task& t = ctx.task;
  t.Clear();
  t.set_task_id(std::string(task_id));
  t.set_kind(kind);
  t.set_status(status);
  t.set_caller(caller.caller());
  t.set_contact_id(ContactIdFor(caller));
  t.set_line(std::string(line));
  t.set_email(caller.email());
  t.set_reason(std::string(reason));
  if (due_at != 0) ToProto(due_at, t.mutable_due_at());
  if (created_at != 0) ToProto(created_at, t.mutable_created_at());
  return t;
}

void EmitCallbackTask(RuleContext& ctx, const v1::CallerState& caller,
                      const v1::CallbackState& cb, v1::Task::Status status,
                      std::string_view reason) {
  v1::Task& t = StartTask(ctx, caller, cb.task_id(), v1::Task::CALLBACK, status,
                          cb.line(), cb.due_at(), cb.created_at(), reason);
  t.set_attempt(cb.attempt());
  t.set_priority(cb.priority());
  t.set_missed_calls(cb.missed_calls());
  t.set_source_call_id(cb.source_call_id());
  ctx.sink.EmitTask(t);
}

v1::Alert& StartAlert(v1::Alert& a, std::string_view alert_id,
                      v1::Alert::Kind kind, v1::Alert::Severity severity,
                      std::string_view line, TimeNs occurred_at) {
  a.Clear();
  a.set_alert_id(std::string(alert_id));
  a.set_kind(kind);
  a.set_severity(severity);
  a.set_line(std::string(line));
  ToProto(occurred_at, a.mutable_occurred_at());
  return a;
}

}  // namespace callflow::rules
