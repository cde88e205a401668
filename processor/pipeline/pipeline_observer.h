#pragma once

#include "absl/strings/string_view.h"
#include "callflow/v1/outputs.pb.h"
#include "processor/pipeline/pipeline_stats.h"
#include "processor/rules/facts.h"

namespace callflow::pipeline {

// Optional hook for in-process consumers of what the shards produce (the
// demo's KPI report and progress line). Called on shard threads, several at
// once: implementations keep per-shard data or synchronize. Messages and
// the fact's line are valid only during the call. Default: ignore.
class PipelineObserver {
 public:
  virtual ~PipelineObserver() = default;
  virtual void OnFact(int /*shard*/, const rules::Fact& /*fact*/) {}
  virtual void OnTask(int /*shard*/, const v1::Task& /*task*/) {}
  virtual void OnAlert(int /*shard*/, const v1::Alert& /*alert*/) {}
  virtual void OnDeadLetter(int /*shard*/, DlqReason /*reason*/,
                            absl::string_view /*error*/) {}
  // One finished commit cycle of `shard`.
  virtual void OnCommit(int /*shard*/, double /*seconds*/) {}
};

}  // namespace callflow::pipeline
