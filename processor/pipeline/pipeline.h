#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "processor/pipeline/internal/freeze_watch.h"
#include "processor/pipeline/internal/routing_check.h"
#include "processor/pipeline/kafka_status.h"
#include "processor/pipeline/pipeline_observer.h"
#include "processor/pipeline/pipeline_options.h"
#include "processor/pipeline/pipeline_stats.h"
#include "processor/rules/options.h"
#include "state/state_env.h"

namespace RdKafka {
class KafkaConsumer;
class RebalanceCb;
class TopicPartition;
}  // namespace RdKafka

namespace callflow::pipeline {

struct LoadedPartition;
class LinesReader;
class OutputProducer;
class PartitionLoader;
class PartitionRouter;
class Shard;

// What the pipeline runs with; copied in at Create. A plain value;
// thread-compatible.
struct PipelineConfig {
  rules::EngineOptions engine;
  PipelineOptions options;
  Topics topics;
  InputOptions input;  // [input]
  // librdkafka properties for the consumer and the producers
  // (bootstrap.servers, session.timeout.ms, security, ...).
  KafkaProperties kafka;
};

// The Kafka stream processor (docs/ARCHITECTURE.md
// "## Pipeline"): a KafkaConsumer in the configured group (cooperative-sticky)
// polled by the thread that calls Run(), S shard threads running the rules
// engine on RocksDB partition stores, and an idempotent producer for the
// outputs. An assigned partition stays paused until a PartitionLoader has
// opened its store and (changelog on) restored it from the changelog; it
// then resumes at the offset the store holds. Stores are committed and
// closed on revocation. A LinesReader merges every partition's line updates
// for the line alerts.
//
// Lifecycle: Create, Run (blocks), Stop from any thread or a signal handler
// (only sets a flag), Abort likewise to cut the stop short, destroy after
// Run returned. stats() is readable from
// any thread at any time.
class Pipeline {
 public:
  // `env` and `observer` (may be null) must outlive the pipeline.
  static absl::StatusOr<std::unique_ptr<Pipeline>> Create(
      PipelineConfig config, state::StateEnv& env,
      PipelineObserver* observer = nullptr);
  ~Pipeline();

  // Checks that the brokers answer and every topic exists (else returns
  // Unavailable / FailedPrecondition naming them, having consumed nothing),
  // then consumes until Stop() or a fatal error; then finishes the cycle,
  // commits, leaves the group and stops the shards. Returns the fatal error,
  // if any. Call once.
  absl::Status Run();
  // Async-signal-safe.
  void Stop() { stop_.store(true, std::memory_order_relaxed); }
  // Stops without waiting any longer for acknowledgements: cycles whose
  // outputs are not all acknowledged are dropped uncommitted (their events
  // are processed again by the next owner). What the shutdown deadline
  // does; a second stop signal calls it. Async-signal-safe.
  void Abort() {
    abort_.store(true, std::memory_order_relaxed);
    stop_.store(true, std::memory_order_relaxed);
  }

  PipelineStats& stats() { return *stats_; }
  int shard_count() const { return static_cast<int>(shards_.size()); }

 private:
  class Rebalancer;
  explicit Pipeline(PipelineConfig config, state::StateEnv& env);

  void OnAssign(const std::vector<RdKafka::TopicPartition*>& partitions);
  void OnRevoke(const std::vector<RdKafka::TopicPartition*>& partitions,
                bool lost);
  void OnFatal(absl::Status status);
  bool fatal_ok();
  // Run()'s start-up check of the brokers and topics; sets
  // events_partitions_.
  absl::Status CheckTopics();
  // A partition the loader made ready: hand it to its shard and resume it.
  void FinishAssign(LoadedPartition& loaded);
  // Run()'s stop: final cycles, commit, leave the group, stop the shards;
  // aborted (Abort) when it outlasts options.shutdown_timeout_ns.
  void Shutdown();

  PipelineConfig config_;
  state::StateEnv& env_;
  // Its partition count is set by CheckTopics, before the shards start.
  RoutingCheck routing_{config_.input};
  std::unique_ptr<PipelineStats> stats_;
  std::unique_ptr<Rebalancer> rebalancer_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  // Whether the consumer subscribed (it may have joined the group), and
  // whether the group ever handed it an assignment (possibly empty) or took
  // one back (set by the rebalance callback). Poll thread. See ~Pipeline.
  bool subscribed_ = false;
  bool assignment_received_ = false;
  // Before the watch: its thread may report a freeze (OnFatal) until it is
  // destroyed.
  std::atomic<bool> stop_{false};
  std::atomic<bool> abort_{false};
  std::mutex fatal_mu_;
  absl::Status fatal_;
  // Read by the shards; fences the producer's threads (send_fence.h), so it
  // outlives the producer.
  std::unique_ptr<FreezeWatch> freeze_watch_;
  // Shards before the producer: the producer's final flush delivers reports
  // into the shards' trackers, so it is destroyed (flushed) first.
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<OutputProducer> producer_;
  std::unique_ptr<LinesReader> lines_;
  std::unique_ptr<PartitionRouter> router_;
  std::unique_ptr<PartitionLoader> loader_;
  int events_partitions_ = 0;
};

}  // namespace callflow::pipeline
