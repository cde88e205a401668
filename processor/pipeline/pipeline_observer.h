#pragma once

#include <chrono>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "callflow/v1/outputs.pb.h"
#include "processor/pipeline/pipeline_stats.h"
#include "processor/rules/facts.h"
#include "state/partition_store.h"

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
  // A record sent to the DLQ (its `reason` says why).
  virtual void OnDeadLetter(int /*shard*/,
                            const v1::DeadLetter& /*dead_letter*/) {}
  // One finished commit cycle of `shard`.
  virtual void OnCommit(int /*shard*/, double /*seconds*/) {}
  // In `shard`'s commit cycle, once the broker acknowledged every output
  // produced so far (`acked`): when each message consumed since the last
  // cycle was polled from Kafka, one entry per message.
  virtual void OnAcknowledged(
      int /*shard*/, std::chrono::steady_clock::time_point /*acked*/,
      absl::Span<const std::chrono::steady_clock::time_point> /*polled*/) {}
  // After `partition`'s WriteBatch was committed: its store's figures.
  virtual void OnPartitionCommitted(int /*shard*/, int32_t /*partition*/,
                                    const state::PartitionStats& /*stats*/) {}
};

}  // namespace callflow::pipeline
