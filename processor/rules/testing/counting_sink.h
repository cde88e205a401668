#pragma once

#include <array>
#include <cstdint>

#include "processor/rules/output_sink.h"

namespace callflow::rules {

// An OutputSink that keeps nothing and only counts: emitted messages, and
// facts by kind. For benchmarks (the engine's own cost is what is measured)
// and tests that need to know what happened, not what was emitted.
// Not thread-safe.
class CountingSink : public OutputSink {
 public:
  void EmitTask(const v1::Task&) override { ++outputs; }
  void EmitAlert(const v1::Alert&) override { ++outputs; }
  void EmitContact(const v1::ContactContext&) override { ++outputs; }
  void EmitWindow(const WindowPartial&) override {}
  void RecordFact(const Fact& f) override {
    ++facts;
    ++by_kind[static_cast<size_t>(f.kind)];
  }
  uint64_t count(FactKind kind) const {
    return by_kind[static_cast<size_t>(kind)];
  }

  uint64_t outputs = 0;
  uint64_t facts = 0;
  std::array<uint64_t, 64> by_kind{};
};

}  // namespace callflow::rules
