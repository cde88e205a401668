#pragma once

#include "absl/status/status.h"
#include "callflow/v1/events.pb.h"
#include "callflow/v1/state.pb.h"
#include "processor/rules/options.h"

namespace callflow::rules {

// SPEC §6: rejects events that belong in the dead-letter queue — missing
// event_id / occurred_at / body, a leg event without call_id or direction,
// unknown enum values, and timestamps absurdly far from the watermark. The
// returned InvalidArgument message is the DLQ reason. Pure.
absl::Status ValidateEvent(const v1::CallEvent& event,
                           const v1::PartitionState& partition,
                           const EngineOptions& options);

// True for the bodies that belong to one call leg.
bool IsLegEvent(const v1::CallEvent& event);

}  // namespace callflow::rules
