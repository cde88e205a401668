#pragma once

#include <string_view>

#include "callflow/v1/events.pb.h"
#include "callflow/v1/state.pb.h"
#include "processor/rules/rule_context.h"
#include "processor/rules/timer.h"

namespace callflow::rules {

// Call legs (R2 missed calls, R5 billing, R7 order within a call): legs are
// tracked per call_id in the owning record; an `ended` schedules the leg's
// close at its end time, so events of the call arriving out of order within
// allowed_lateness are still applied; a leg that never ends is closed stale.
// Closing a leg bills it, counts it (facts, line window) and, when missed,
// drives the callback policy.

// The leg for `call_id`, or nullptr.
v1::LegState* FindLeg(v1::CallerState& record, std::string_view call_id);

// Applies a leg event (started/ivr/queued/answered/ended) to the record
// stored under `key`; `leg` is the open leg of the call, or nullptr for a new
// one. `anonymous` records have no caller rules (no task).
void ApplyLegEvent(RuleContext& ctx, std::string_view key,
                   v1::CallerState& record, bool anonymous, v1::LegState* leg,
                   const v1::CallEvent& event, TimeNs now);

// kLegClose / kLegStale / kPurgeRecord timers.
void OnLegTimer(RuleContext& ctx, v1::CallerState& record, bool anonymous,
                const Timer& timer);

// Billed minutes of a leg (R5): nothing under free_under_seconds, else every
// started minute.
int64_t BilledMinutes(const EngineOptions& options, uint32_t talk_seconds);

}  // namespace callflow::rules
