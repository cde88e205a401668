#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "callflow/v1/outputs.pb.h"
#include "processor/rules/facts.h"
#include "processor/rules/options.h"
#include "processor/rules/state_limits.h"
#include "processor/rules/verdict.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace callflow::metrics {

// Label value that every line not configured in EngineOptions::lines (and
// every fact or output not tied to a line) is counted under.
inline constexpr std::string_view kOtherLine = "other";

// The call-center KPIs of docs/RULES.md §1 as Prometheus metrics: folded from
// the rules engine's Facts (the same Facts the replay summary and the demo
// report fold), plus the tasks, alerts and dead letters the processor emits.
//
// Every family with a `line` label has exactly one series per configured line
// (the keys of EngineOptions::lines except "default") plus `other`; every
// other label is an enum name. No label ever carries a phone number, call or
// task id. All series are created at construction (at zero), so the hot path
// only bumps cached Counter*/Histogram* and never looks a family up.
//
// Lifecycle: construct once per process with the registry it registers in;
// it must outlive every scrape of that registry (destroy the MetricsServer
// first). Thread-safe: any thread may record at any time.
class CallCenterMetrics {
 public:
  CallCenterMetrics(prometheus::Registry& registry,
                    const rules::EngineOptions& options);
  ~CallCenterMetrics();

  CallCenterMetrics(const CallCenterMetrics&) = delete;
  CallCenterMetrics& operator=(const CallCenterMetrics&) = delete;

  // Counts one engine Fact (OutputSink::RecordFact).
  void Record(const rules::Fact& fact);
  // Counts one emitted task message (every status change counts once).
  void CountTask(const v1::Task& task);
  // Counts one emitted alert.
  void CountAlert(const v1::Alert& alert);
  // Counts one dead letter under its reason's label (rules::ReasonLabel).
  void CountDeadLetter(rules::RejectReason reason);

  // The `line` label value `line` is counted under.
  std::string_view LineLabel(std::string_view line) const;

 private:
  struct LineProbe;
  struct Families;

  const LineProbe& Probe(std::string_view line) const;

  std::unique_ptr<Families> families_;
  // One probe per configured line, then `other` last.
  std::vector<std::unique_ptr<LineProbe>> probes_;
  std::vector<std::string> line_labels_;  // parallel to probes_
  // Configured line -> index in probes_ (keys view line_labels_).
  std::unordered_map<std::string_view, size_t> line_index_;

  prometheus::Counter* applied_;
  prometheus::Counter* duplicates_;
  prometheus::Counter* anonymous_;
  prometheus::Counter* late_events_;
  prometheus::Counter* ignored_attempts_;
  // By rules::TrimmedList value.
  std::array<prometheus::Counter*, rules::kNumTrimmedLists> state_trimmed_{};
  // By rules::RejectReason value; null for REASON_UNSPECIFIED.
  std::array<prometheus::Counter*, v1::DeadLetter::Reason_ARRAYSIZE>
      dead_letters_{};
};

}  // namespace callflow::metrics
