#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "callflow/v1/outputs.pb.h"
#include "processor/pipeline/unproducible.h"

namespace callflow::pipeline {

// Dead letters are counted by rules::RejectReason (the DeadLetter record's
// `reason`), indexed by its value.
inline constexpr int kNumDlqReasons = v1::DeadLetter::Reason_ARRAYSIZE;
// Output topics (tasks, alerts, contacts, dlq) and the reasons an output can
// never be produced (Unproducible in unproducible.h).
inline constexpr int kNumOutputTopics = 4;

// Where an owned partition is in its hand-over (a metric label).
enum class PartitionPhase : int { kNone = 0, kRestoring = 1, kActive = 2 };

// Counters of one partition of the events topic, as lock-free atomics: any
// thread may read them. Written by the poll thread (consumed, lag, paused),
// the partition loader (restore_lag; phase while restoring) and the owning
// shard (owned, watermark_ns, committed_offset; phase once active or
// released).
struct PartitionCounters {
  std::atomic<bool> owned{false};        // assigned to this process now
  std::atomic<bool> paused{false};       // fetching paused (its ring was full)
  std::atomic<uint64_t> consumed{0};     // messages taken from Kafka
  std::atomic<int64_t> lag{0};           // high watermark - next offset
  std::atomic<int64_t> watermark_ns{0};  // event-time watermark (0 = none)
  std::atomic<int64_t> committed_offset{-1};  // next offset in RocksDB
  std::atomic<int> phase{0};                  // PartitionPhase
  std::atomic<int64_t> restore_lag{0};        // changelog records left to read
};

// Counters of one shard thread. Written by that shard (and the producer's
// delivery callbacks for delivery_errors); read by anyone.
struct ShardCounters {
  std::atomic<uint64_t> ring_occupancy{0};  // envelopes waiting in its ring
  // Most messages ever waiting in the poll thread's pending queue for this
  // shard (its ring full): bounded while back-pressure pauses every
  // partition of the shard.
  std::atomic<uint64_t> pending_peak{0};
  std::atomic<uint64_t> processed{0};        // events handed to the engine
  std::atomic<uint64_t> duplicates{0};       // events the engine ignored
  std::atomic<uint64_t> delivery_errors{0};  // records the broker never took
  std::atomic<uint64_t> commits{0};          // commit cycles done
  std::atomic<uint64_t> last_commit_us{0};   // duration of the last cycle
  std::atomic<uint64_t> commit_us_total{0};  // sum of cycle durations
};

// Everything the pipeline measures, as plain atomics so the metrics module
// (or the demo's progress line) can sample them from any thread without
// knowing about prometheus or librdkafka. Lives as long as the Pipeline.
struct PipelineStats {
  static constexpr int kMaxPartitions = 1024;

  explicit PipelineStats(int num_shards)
      : shard_count(num_shards),
        shards(std::make_unique<ShardCounters[]>(num_shards)) {}

  const int shard_count;
  std::unique_ptr<ShardCounters[]> shards;
  std::array<PartitionCounters, kMaxPartitions> partitions;
  std::array<std::atomic<uint64_t>, kNumDlqReasons> dead_letters{};
  // Output records that could never be produced, skipped after counting, by
  // output topic and reason; output_topics names them (set before Run).
  std::array<std::array<std::atomic<uint64_t>, kNumUnproducibleReasons>,
             kNumOutputTopics>
      unproducible{};
  std::array<std::string, kNumOutputTopics> output_topics;
  std::atomic<uint64_t> tasks{0};     // Task records produced
  std::atomic<uint64_t> alerts{0};    // Alert records produced
  std::atomic<uint64_t> contacts{0};  // ContactContext records produced
  std::atomic<uint64_t> rebalances{0};
  std::atomic<uint64_t> restore_records{0};  // changelog records restored
  std::atomic<uint64_t> restores{0};         // restores finished
  // Owner markers the changelog refused (the shards count their own).
  std::atomic<uint64_t> marker_delivery_errors{0};
  std::atomic<int64_t> line_watermark_ns{0};  // LineAggregator's watermark

  // Sums over partitions / shards (for progress lines and tests).
  uint64_t TotalConsumed() const;
  int64_t TotalLag() const;
  uint64_t TotalProcessed() const;
  uint64_t TotalDuplicates() const;
  uint64_t TotalDeliveryErrors() const;
  uint64_t TotalDeadLetters() const;

 private:
  uint64_t SumShards(std::atomic<uint64_t> ShardCounters::*counter) const;
};

inline uint64_t PipelineStats::TotalConsumed() const {
  uint64_t n = 0;
  for (const auto& p : partitions) n += p.consumed.load();
  return n;
}
inline int64_t PipelineStats::TotalLag() const {
  int64_t n = 0;
  for (const auto& p : partitions) {
    if (p.owned.load()) n += p.lag.load();
  }
  return n;
}
inline uint64_t PipelineStats::SumShards(
    std::atomic<uint64_t> ShardCounters::*counter) const {
  uint64_t n = 0;
  for (int s = 0; s < shard_count; ++s) n += (shards[s].*counter).load();
  return n;
}
inline uint64_t PipelineStats::TotalProcessed() const {
  return SumShards(&ShardCounters::processed);
}
inline uint64_t PipelineStats::TotalDuplicates() const {
  return SumShards(&ShardCounters::duplicates);
}
inline uint64_t PipelineStats::TotalDeliveryErrors() const {
  return SumShards(&ShardCounters::delivery_errors) +
         marker_delivery_errors.load();
}
inline uint64_t PipelineStats::TotalDeadLetters() const {
  uint64_t n = 0;
  for (const auto& d : dead_letters) n += d.load();
  return n;
}

}  // namespace callflow::pipeline
