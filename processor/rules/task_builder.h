#pragma once

#include <string_view>

#include "callflow/v1/outputs.pb.h"
#include "callflow/v1/state.pb.h"
#include "processor/rules/rule_context.h"
#include "processor/rules/time.h"

namespace callflow::rules {

// Fills ctx.task with the common fields of a task of `caller` (caller,
// contact_id, email) and the given identity; the rest is cleared.
v1::Task& StartTask(RuleContext& ctx, const v1::CallerState& caller,
                    std::string_view task_id, v1::Task::Kind kind,
                    v1::Task::Status status, std::string_view line,
                    TimeNs due_at, TimeNs created_at, std::string_view reason);

// Emits the caller's callback task as it stands, with `status`.
void EmitCallbackTask(RuleContext& ctx, const v1::CallerState& caller,
                      const v1::CallbackState& callback,
                      v1::Task::Status status, std::string_view reason);

// Clears `a` and fills the common fields of an alert.
v1::Alert& StartAlert(v1::Alert& a, std::string_view alert_id,
                      v1::Alert::Kind kind, v1::Alert::Severity severity,
                      std::string_view line, TimeNs occurred_at);

}  // namespace callflow::rules
