#pragma once

#include <string>
#include <string_view>

#include "callflow/v1/events.pb.h"
#include "callflow/v1/outputs.pb.h"
#include "callflow/v1/state.pb.h"
#include "processor/rules/options.h"
#include "processor/rules/output_sink.h"
#include "processor/rules/stable_hash.h"
#include "processor/rules/state_limits.h"
#include "processor/rules/state_view.h"

namespace callflow::rules {

// What one engine call works with: options, the partition's state, the sink,
// and reusable output messages (no allocation per emitted message once warm).
// Lives for one Engine::Process / AdvanceWatermark call. Not thread-safe.
struct RuleContext {
  const EngineOptions& options;
  StateView& state;
  OutputSink& sink;
  v1::Task& task;
  v1::Alert& alert;
  v1::ContactContext& contact;

  void Record(FactKind kind, std::string_view line, double value = 1,
              int32_t detail = 0, TimeNs time = 0) {
    sink.RecordFact(Fact{kind, line, value, detail, time});
  }
  // Counts one entry a bounded list of a record forgot (state_limits.h).
  void RecordTrim(TrimmedList list, std::string_view line, TimeNs time) {
    Record(FactKind::kStateTrimmed, line, 1, static_cast<int32_t>(list), time);
  }
};

// Deterministic contact id: the CRM id when known, else derived from the
// normalized number.
std::string ContactIdFor(const v1::CallerState& caller);

}  // namespace callflow::rules
