#pragma once

#include "absl/strings/string_view.h"
#include "callflow/v1/events.pb.h"
#include "callflow/v1/state.pb.h"
#include "processor/rules/options.h"
#include "processor/rules/time.h"
#include "processor/rules/verdict.h"

namespace callflow::rules {

// docs/RULES.md §6: rejects events that belong in the dead-letter queue —
// missing event_id / occurred_at / body, a leg event without call_id or
// direction (MISSING_FIELD), unknown enum values (UNKNOWN_ENUM), an occurred_at
// no genuine event has, or a customer_event.starts_at no genuine appointment
// has (OUT_OF_RANGE), one more than max_future_skew ahead of `reference`
// (FUTURE; `reference` 0 = no such check, `reference_name` names it in the
// message) or absurdly far from the watermark (TIMESTAMP_SKEW: more than
// max_event_skew behind it, or ahead of it unless `vouch` vouches for it:
// at most max_event_skew before `vouch` and max_future_skew after it).
// `vouch` must come from a clock the event's sender does not control (the
// pipeline: the earlier of the record's timestamp and the processor's wall
// clock); 0 = nothing vouches (replay). Pure.
Verdict ValidateEvent(const v1::CallEvent& event,
                      const v1::PartitionState& partition,
                      const EngineOptions& options, TimeNs reference = 0,
                      absl::string_view reference_name = "the record's time",
                      TimeNs vouch = 0);

// The FUTURE part of ValidateEvent alone (docs/RULES.md §6), for a reference
// time other than the record's (`callflow ingest`: the wall clock, --now): an
// `occurred_at` more than `max_future_skew` ahead of `reference` is
// rejected with a message naming the reference ("the record's time", "the
// wall clock"). `reference` 0 = no check. Pure.
Verdict CheckFuture(TimeNs occurred_at, TimeNs reference,
                    DurationNs max_future_skew,
                    absl::string_view reference_name = "the record's time");

// The verdict on an event whose JSON named enum values this build does not
// know (`fields`, as codec::UnknownEnumNames reports them; `event` with
// those values unknown): the event's other fault when it has one (a
// missing event_id is MISSING_FIELD, as for the protobuf form), else
// UNKNOWN_ENUM naming the fields. Checked without a watermark. Pure.
Verdict UnknownEnumVerdict(const v1::CallEvent& event,
                           absl::string_view fields);

// True for the bodies that belong to one call leg.
bool IsLegEvent(const v1::CallEvent& event);

}  // namespace callflow::rules
