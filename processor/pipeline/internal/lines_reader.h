#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "callflow/v1/outputs.pb.h"
#include "processor/pipeline/kafka_status.h"
#include "processor/pipeline/pipeline_stats.h"
#include "processor/rules/line_merger.h"

namespace RdKafka {
class KafkaConsumer;
}

namespace callflow::pipeline {

// Follows the lines topic from its beginning on every instance (plain
// assign, no group) and feeds a rules::LineMerger, so line alerts and line
// gauges cover every partition of the events topic whichever instance owns
// it. The merger's decisions depend only on the topic's content, so every
// instance decides the same alerts at the same offsets; the owner of events
// partition 0 emits them (Shard) and records in that partition's state up to
// which offset it did.
//
// Lifecycle: Start, then any thread calls DecidedFrom; destroy stops the
// thread. Thread-safe.
class LinesReader {
 public:
  static absl::StatusOr<std::unique_ptr<LinesReader>> Start(
      const KafkaProperties& kafka, const std::string& topic,
      const rules::EngineOptions& options, int partitions,
      PipelineStats& stats);
  ~LinesReader();

  // Alerts decided at lines offsets >= `from` and the offset to resume at
  // next time. Nothing (and `from`) while the reader is behind `from`.
  std::pair<std::vector<v1::Alert>, int64_t> DecidedFrom(int64_t from) const;

  // Waits until everything in the lines topic now has been merged (a clean
  // stop: the last cycles' updates decide the last alerts). False after
  // `timeout`.
  bool WaitCaughtUp(std::chrono::milliseconds timeout);

 private:
  LinesReader(const rules::EngineOptions& options, int partitions,
              PipelineStats& stats);
  void Run();

  PipelineStats& stats_;
  std::string topic_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  mutable std::mutex mu_;
  rules::LineMerger merger_;  // guarded by mu_
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace callflow::pipeline
