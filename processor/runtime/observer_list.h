#pragma once

#include <vector>

#include "processor/pipeline/pipeline_observer.h"

namespace callflow::runtime {

// Forwards every observer call to each non-null observer in turn.
// Thread-safety is that of the observers; the list is fixed at construction.
class ObserverList : public pipeline::PipelineObserver {
 public:
  explicit ObserverList(std::vector<pipeline::PipelineObserver*> observers) {
    for (pipeline::PipelineObserver* o : observers) {
      if (o != nullptr) observers_.push_back(o);
    }
  }
  void OnFact(int shard, const rules::Fact& fact) override {
    for (auto* o : observers_) o->OnFact(shard, fact);
  }
  void OnTask(int shard, const v1::Task& task) override {
    for (auto* o : observers_) o->OnTask(shard, task);
  }
  void OnAlert(int shard, const v1::Alert& alert) override {
    for (auto* o : observers_) o->OnAlert(shard, alert);
  }
  void OnDeadLetter(int shard, const v1::DeadLetter& dead_letter) override {
    for (auto* o : observers_) o->OnDeadLetter(shard, dead_letter);
  }
  void OnCommit(int shard, double seconds) override {
    for (auto* o : observers_) o->OnCommit(shard, seconds);
  }
  void OnAcknowledged(
      int shard, std::chrono::steady_clock::time_point acked,
      absl::Span<const std::chrono::steady_clock::time_point> polled) override {
    for (auto* o : observers_) o->OnAcknowledged(shard, acked, polled);
  }
  void OnPartitionCommitted(int shard, int32_t partition,
                            const state::PartitionStats& stats) override {
    for (auto* o : observers_) o->OnPartitionCommitted(shard, partition, stats);
  }

 private:
  std::vector<pipeline::PipelineObserver*> observers_;
};

}  // namespace callflow::runtime
