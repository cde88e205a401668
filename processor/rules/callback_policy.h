#pragma once

#include <string_view>

#include "callflow/v1/events.pb.h"
#include "callflow/v1/state.pb.h"
#include "processor/rules/rule_context.h"
#include "processor/rules/timer.h"

namespace callflow::rules {

// R2, the callback lifecycle of one caller: a missed call opens (or bumps)
// the caller's callback task; dialer attempts retry it daily and escalate to
// an e-mail after the last failure; the client calling back closes it; SLA
// and overdue timers raise alerts. Free functions over the caller's record.

// A missed inbound leg. `source_event_id` names the task (ended event, or
// started event for a stale leg); `call_start` is when the call started.
void OnMissedCall(RuleContext& ctx, v1::CallerState& caller,
                  const v1::LegState& leg, std::string_view source_event_id,
                  TimeNs call_start, TimeNs now);

// A dialer attempt on the open callback task. Returns false when `task_id`
// is not the caller's open callback task.
bool OnCallbackAttempt(RuleContext& ctx, v1::CallerState& caller,
                       std::string_view task_id,
                       v1::CallbackAttempt::AttemptResult result, TimeNs now);

// An answered inbound call from the caller closes the open callback task.
void OnClientCalledBack(RuleContext& ctx, v1::CallerState& caller, TimeNs now);

// kCallbackSla and kCallbackOverdue timers.
void OnCallbackTimer(RuleContext& ctx, v1::CallerState& caller,
                     const Timer& timer);

}  // namespace callflow::rules
