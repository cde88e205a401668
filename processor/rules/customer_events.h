#pragma once

#include <string_view>

#include "callflow/v1/events.pb.h"
#include "callflow/v1/state.pb.h"
#include "processor/rules/rule_context.h"
#include "processor/rules/timer.h"

namespace callflow::rules {

// R3: a REMINDER (before) and a FOLLOW_UP (after) per customer event of a
// caller, moved when the event moves, cancelled with it, done when the dialer
// reaches the caller; a reminder or follow-up nobody tried by its due time +
// overdue_after raises TASK_OVERDUE (R6).

void OnCustomerEvent(RuleContext& ctx, v1::CallerState& caller,
                     const v1::CustomerEventScheduled& event,
                     std::string_view line, TimeNs now);

// A dialer attempt on a reminder / follow-up. Returns false when `task_id` is
// not one of the caller's open reminder or follow-up tasks.
bool OnReminderAttempt(RuleContext& ctx, v1::CallerState& caller,
                       std::string_view task_id,
                       v1::CallbackAttempt::AttemptResult result);

// kReminderOverdue and kFollowUpOverdue timers.
void OnCustomerEventTimer(RuleContext& ctx, v1::CallerState& caller,
                          const Timer& timer);

}  // namespace callflow::rules
