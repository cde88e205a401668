#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "callflow/v1/events.pb.h"
#include "processor/rules/options.h"
#include "processor/rules/output_sink.h"
#include "processor/rules/phone_normalizer.h"
#include "processor/rules/rule_context.h"
#include "processor/rules/state_view.h"

namespace callflow::rules {

// The product's logic (SPEC §3-§4, rules R1-R7): applies one event to one
// partition's state and emits tasks, alerts, contexts and facts. Pure: no
// I/O, no clock, no globals, so replay and the Kafka pipeline run the same
// code and get the same outputs.
//
// Lifecycle: built once per shard from validated options (which must outlive
// it). Not thread-safe (it owns a normalization cache): one engine per thread.
class Engine {
 public:
  explicit Engine(const EngineOptions& options);

  // Applies one event, then moves the partition's watermark and fires due
  // timers and closed windows. Returns InvalidArgument with a reason for an
  // event that belongs in the dead-letter queue (missing fields, unknown enum
  // values, absurd timestamps); nothing is changed then. Duplicates and
  // anonymous callers return OK (they are counted as facts).
  //
  // `trusted_key` is the event's Kafka key when it has the normalized form
  // SPEC §2 gives it ("+" and 8-15 digits): it is then used as the caller
  // instead of normalizing `caller` again (partitioning already trusts it).
  // Any other value, including "", is ignored.
  absl::Status Process(const v1::CallEvent& event, StateView& state,
                       OutputSink& sink, std::string_view trusted_key = {});

  // Moves the watermark to `watermark` if it is later (replay --until, idle
  // partitions) and fires what is due.
  void AdvanceWatermark(TimeNs watermark, StateView& state, OutputSink& sink);

  // The state key / Kafka key of an event: the normalized caller, or for an
  // anonymous caller "~" + call_id (so the legs of one call stay together).
  // A `trusted_key` of the normalized form is returned as it is (see
  // Process).
  std::string KeyFor(const v1::CallEvent& event,
                     std::string_view trusted_key = {});

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
