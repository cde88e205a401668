#pragma once

#include <string>
#include <vector>

#include "callflow/v1/events.pb.h"
#include "gtest/gtest.h"
#include "processor/rules/engine.h"
#include "processor/rules/line_aggregator.h"
#include "processor/rules/testing/in_memory_state.h"
#include "tests/processor/rules/event_builders.h"
#include "tests/support/status_matchers.h"

namespace callflow::rules::testing {

// The caller most engine tests use, in E.164, and the callback task its
// missed call "m1" opens.
inline constexpr char kE164[] = "+74951234567";
inline const std::string kMissedCallTask = std::string("cb:") + kE164 + ":m1e";

// Collects everything an engine emits, feeding line-level facts to a
// LineAggregator the way the replay driver does. Not thread-safe: the engine
// calls it on the test's thread.
class RecordingSink : public OutputSink {
 public:
  explicit RecordingSink(const EngineOptions& options) : aggregator(options) {}
  void EmitTask(const v1::Task& t) override { tasks.push_back(t); }
  void EmitAlert(const v1::Alert& a) override { alerts.push_back(a); }
  void EmitContact(const v1::ContactContext& c) override {
    contacts.push_back(c);
  }
  void EmitWindow(const WindowPartial& w) override { aggregator.AddWindow(w); }
  void RecordFact(const Fact& f) override {
    facts.push_back({f.kind, std::string(f.line), f.value, f.detail});
    if (f.kind == FactKind::kInboundStarted) {
      aggregator.OnInboundStarted(f.line, f.time, *this);
    }
  }
  double Sum(FactKind kind, std::string_view line = "*") const {
    double total = 0;
    for (const auto& f : facts) {
      if (f.kind == kind && (line == "*" || f.line == line)) total += f.value;
    }
    return total;
  }

  // A Fact with its line copied (a Fact's line is valid only in the call).
  struct SavedFact {
    FactKind kind;
    std::string line;
    double value;
    int32_t detail;
  };
  std::vector<v1::Task> tasks;
  std::vector<v1::Alert> alerts;
  std::vector<v1::ContactContext> contacts;
  std::vector<SavedFact> facts;
  LineAggregator aggregator;
};

inline TimeNs T(const std::string& rfc3339) {
  return ParseTime(rfc3339).value();
}

// Engine + in-memory state + recording sink, with helpers that build events.
// Not thread-safe: one test thread.
class EngineHarness {
 public:
  explicit EngineHarness(EngineOptions options = {})
      : options_(std::move(options)), engine_(options_), sink_(options_) {}

  // Process() of an event, then the aggregator (as replay does).
  Verdict Apply(const v1::CallEvent& event) {
    Verdict s = engine_.Process(event, state_, sink_);
    sink_.aggregator.AdvanceWatermark(state_.MutablePartition().watermark(),
                                      sink_);
    return s;
  }
  void AdvanceTo(const std::string& time) {
    engine_.AdvanceWatermark(T(time), state_, sink_);
    sink_.aggregator.AdvanceWatermark(state_.MutablePartition().watermark(),
                                      sink_);
  }

  // A missed inbound call: started at `at`, abandoned at `end_at`.
  void MissedCall(const std::string& id, const std::string& at,
                  const std::string& end_at, const std::string& call,
                  const std::string& caller,
                  const std::string& line = "sales") {
    ASSERT_THAT(Apply(Leg(id + "s", at, call, caller).Line(line).Started()),
                ::callflow_testing::IsOk());
    ASSERT_THAT(Apply(Leg(id + "e", end_at, call, caller)
                          .Line(line)
                          .Ended(v1::CallEnded::ABANDONED)),
                ::callflow_testing::IsOk());
  }
  // The dialer's attempt on task `task_id`.
  Verdict Attempt(const std::string& id, const std::string& at,
                  const std::string& caller, const std::string& task_id,
                  v1::CallbackAttempt::AttemptResult result) {
    return Apply(CallEventBuilder()
                     .Id(id)
                     .At(at)
                     .Caller(caller)
                     .Outbound()
                     .CallbackAttempt(task_id, result));
  }

  Engine& engine() { return engine_; }
  RecordingSink& sink() { return sink_; }
  InMemoryState& state() { return state_; }
  const EngineOptions& options() const { return options_; }

 private:
  EngineOptions options_;
  Engine engine_;
  InMemoryState state_;
  RecordingSink sink_;
};

inline std::string Ts(const google::protobuf::Timestamp& ts) {
  return FormatTime(FromProto(ts));
}

}  // namespace callflow::rules::testing
