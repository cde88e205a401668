#pragma once

#include "callflow/v1/outputs.pb.h"
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
};

}  // namespace callflow::pipeline
