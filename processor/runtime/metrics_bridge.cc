#include "processor/runtime/metrics_bridge.h"

#include "processor/pipeline/unproducible.h"

namespace callflow::runtime {

using pipeline::kNumOutputTopics;
using pipeline::kNumUnproducibleReasons;
using pipeline::PartitionCounters;
using pipeline::PartitionPhase;
using pipeline::Unproducible;
using pipeline::UnproducibleLabel;

void MetricsBridge::OnFact(int, const rules::Fact& fact) {
  calls_.Record(fact);
}

void MetricsBridge::OnTask(int, const v1::Task& task) {
  calls_.CountTask(task);
}

void MetricsBridge::OnAlert(int, const v1::Alert& alert) {
  calls_.CountAlert(alert);
}

void MetricsBridge::OnDeadLetter(int, const v1::DeadLetter& dead_letter) {
  calls_.CountDeadLetter(dead_letter.reason());
}

void MetricsBridge::OnCommit(int, double seconds) {
  pipeline_.ObserveCommitDuration(seconds);
}

void MetricsBridge::OnAcknowledged(
    int, std::chrono::steady_clock::time_point acked,
    absl::Span<const std::chrono::steady_clock::time_point> polled) {
  for (const auto& at : polled) {
    pipeline_.ObserveProcessingLatency(
        std::chrono::duration<double>(acked - at).count());
  }
}

void MetricsBridge::OnPartitionCommitted(int, int32_t partition,
                                         const state::PartitionStats& stats) {
  pipeline_.SetPartitionState(partition, stats);
}

void MetricsBridge::Sample(const pipeline::PipelineStats& stats,
                           size_t ring_capacity) {
  size_t paused = 0;
  for (int32_t p = 0; p < pipeline::PipelineStats::kMaxPartitions; ++p) {
    const PartitionCounters& c = stats.partitions[p];
    const auto phase = static_cast<PartitionPhase>(c.phase.load());
    if (phase == PartitionPhase::kNone) {
      // Gone from this instance (or never here): no series, so sums over
      // instances count each partition once.
      exported_.erase(p);
      pipeline_.RemovePartition(p);
      continue;
    }
    exported_.insert(p);
    pipeline_.SetPartitionPhase(p, phase == PartitionPhase::kRestoring,
                                c.restore_lag.load());
    if (!c.owned.load()) continue;
    const uint64_t now = c.consumed.load();
    uint64_t& before = consumed_[p];  // 0 for a partition never seen
    pipeline_.AddConsumed(p, now > before ? now - before : 0);
    before = now;
    pipeline_.SetConsumerLag(p, c.lag.load());
    if (c.paused.load()) ++paused;
  }
  pipeline_.SetPausedPartitions(paused);
  pipeline_.SetRingCapacity(ring_capacity);
  for (int s = 0; s < stats.shard_count; ++s) {
    pipeline_.SetRingOccupancy(s, stats.shards[s].ring_occupancy.load());
  }
  pipeline_.SetWatermark(stats.line_watermark_ns.load());
  const uint64_t restored = stats.restore_records.load();
  if (restored > restore_records_) {
    pipeline_.AddRestoreRecords(restored - restore_records_);
    restore_records_ = restored;
  }
  const uint64_t errors = stats.TotalDeliveryErrors();
  for (; delivery_errors_ < errors; ++delivery_errors_) {
    pipeline_.CountDeliveryError();
  }
  for (int t = 0; t < kNumOutputTopics; ++t) {
    for (int r = 0; r < kNumUnproducibleReasons; ++r) {
      const uint64_t n = stats.unproducible[t][r].load();
      // Every series from the first scrape at 0, so increase() sees the
      // first unproducible record.
      if (n == unproducible_[t][r] && unproducible_exported_) continue;
      pipeline_.AddUnproducible(stats.output_topics[t],
                                UnproducibleLabel(static_cast<Unproducible>(r)),
                                n - unproducible_[t][r]);
      unproducible_[t][r] = n;
    }
  }
  unproducible_exported_ = true;
}

}  // namespace callflow::runtime
