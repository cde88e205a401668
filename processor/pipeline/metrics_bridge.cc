#include "processor/pipeline/metrics_bridge.h"

namespace callflow::pipeline {

void MetricsBridge::OnFact(int, const rules::Fact& fact) {
  calls_.Record(fact);
}

void MetricsBridge::OnTask(int, const v1::Task& task) {
  calls_.CountTask(task);
}

void MetricsBridge::OnAlert(int, const v1::Alert& alert) {
  calls_.CountAlert(alert);
}

void MetricsBridge::OnDeadLetter(int, DlqReason reason,
                                 absl::string_view error) {
  const metrics::DeadLetterStage stage =
      reason == DlqReason::kUndecodable ? metrics::DeadLetterStage::kDecode
                                        : metrics::DeadLetterStage::kValidate;
  calls_.CountDeadLetter(metrics::DeadLetterReasonOf(
      stage, absl::InvalidArgumentError(std::string(error))));
}

void MetricsBridge::OnCommit(int, double seconds) {
  pipeline_.ObserveCommitDuration(seconds);
}

void MetricsBridge::Sample(const PipelineStats& stats, size_t ring_capacity) {
  size_t paused = 0;
  for (int32_t p = 0; p < PipelineStats::kMaxPartitions; ++p) {
    const PartitionCounters& c = stats.partitions[p];
    auto it = consumed_.find(p);
    if (!c.owned.load()) {
      if (it != consumed_.end()) {
        pipeline_.RemovePartition(p);
        consumed_.erase(it);
      }
      continue;
    }
    const uint64_t now = c.consumed.load();
    const uint64_t before = it == consumed_.end() ? now : it->second;
    if (it == consumed_.end()) pipeline_.AddConsumed(p, 0);
    if (now > before) pipeline_.AddConsumed(p, now - before);
    consumed_[p] = now;
    pipeline_.SetConsumerLag(p, c.lag.load());
    if (c.paused.load()) ++paused;
  }
  pipeline_.SetPausedPartitions(paused);
  pipeline_.SetRingCapacity(ring_capacity);
  for (int s = 0; s < stats.shard_count; ++s) {
    pipeline_.SetRingOccupancy(s, stats.shards[s].ring_occupancy.load());
  }
  pipeline_.SetWatermark(stats.line_watermark_ns.load());
  const uint64_t errors = stats.TotalDeliveryErrors();
  for (; delivery_errors_ < errors; ++delivery_errors_) {
    pipeline_.CountDeliveryError();
  }
}

}  // namespace callflow::pipeline
