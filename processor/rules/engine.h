#pragma once

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "callflow/v1/events.pb.h"
#include "processor/rules/options.h"
#include "processor/rules/output_sink.h"
#include "processor/rules/phone_normalizer.h"
#include "processor/rules/rule_context.h"
#include "processor/rules/state_view.h"
#include "processor/rules/time.h"
#include "processor/rules/verdict.h"

namespace callflow::rules {

// The product's logic (docs/RULES.md §3-§4, rules R1-R7): applies one event to
// one partition's state and emits tasks, alerts, contexts and facts. Pure: no
// I/O, no clock, no globals, so replay and the Kafka pipeline run the same
// code and get the same outputs.
//
// Lifecycle: built once per shard from validated options (which must outlive
// it). Not thread-safe (it owns a normalization cache): one engine per thread.
class Engine {
 public:
  explicit Engine(const EngineOptions& options);

  // Applies one event, then moves the partition's watermark and fires due
  // timers and closed windows. Returns a rejection with its reason for an
  // event that belongs in the dead-letter queue (missing fields, unknown
  // enum values, absurd timestamps, see ValidateEvent); nothing is changed
  // then. Duplicates and anonymous callers are accepted (they are counted as
  // facts).
  //
  // `reference` is the time the event's occurred_at is checked against for
  // FUTURE (the Kafka record's timestamp, replay's --now; 0 = no check),
  // and `reference_name` how the message names it. `vouch` lets an event
  // far ahead of the watermark in (ValidateEvent); 0 = nothing vouches.
  // The caller's key is always computed from the event (KeyFor): a Kafka
  // key is never trusted (the pipeline checks it against KeyFor first).
  Verdict Process(const v1::CallEvent& event, StateView& state,
                  OutputSink& sink, TimeNs reference = 0,
                  absl::string_view reference_name = "the record's time",
                  TimeNs vouch = 0);

  // Moves the watermark to `watermark` if it is later (replay --until, idle
  // partitions) and fires what is due.
  void AdvanceWatermark(TimeNs watermark, StateView& state, OutputSink& sink);

  // The state key / Kafka key of an event: the normalized caller, or for an
  // anonymous caller "~" + call_id (so the legs of one call stay together).
  // One libphonenumber parse per distinct number form; repeats come from
  // the normalizer's cache (the same value a parse gives).
  std::string KeyFor(const v1::CallEvent& event);

  PhoneNormalizer& normalizer() { return normalizer_; }

 private:
  void ApplyToRecord(RuleContext& ctx, const v1::CallEvent& event,
                     std::string_view key, v1::CallerState& record,
                     bool anonymous, TimeNs now);
  // Fires timers due at or before `watermark`, then closes line windows.
  void FireDue(RuleContext& ctx, TimeNs watermark);
  // Returns how many timers fired.
  int FireTimers(RuleContext& ctx, TimeNs limit);
  void CloseWindows(RuleContext& ctx, TimeNs watermark);

  const EngineOptions& options_;
  PhoneNormalizer normalizer_;
  // Reused output messages.
  v1::Task task_;
  v1::Alert alert_;
  v1::ContactContext contact_;
};

}  // namespace callflow::rules
