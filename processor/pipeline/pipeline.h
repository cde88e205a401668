#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "processor/pipeline/kafka_status.h"
#include "processor/pipeline/pipeline_observer.h"
#include "processor/pipeline/pipeline_options.h"
#include "processor/pipeline/pipeline_stats.h"
#include "processor/pipeline/routing_check.h"
#include "processor/rules/options.h"
#include "state/state_env.h"

namespace RdKafka {
class KafkaConsumer;
class RebalanceCb;
class TopicPartition;
}  // namespace RdKafka

namespace callflow::pipeline {

class LineAggregatorHub;
class OutputProducer;
class PartitionRouter;
class Shard;

// What the pipeline runs with; copied in at Create.
struct PipelineConfig {
  rules::EngineOptions engine;
  PipelineOptions options;
  Topics topics;
  InputOptions input;  // [input]
  // librdkafka properties for the consumer and the producers
  // (bootstrap.servers, session.timeout.ms, security, ...).
  KafkaProperties kafka;
};

// The Kafka stream processor (DESIGN.md data flow; docs/ARCHITECTURE.md
// "## Pipeline"): a KafkaConsumer in the configured group (cooperative-sticky)
// polled by the thread that calls Run(), S shard threads running the rules
// engine on RocksDB partition stores, and an idempotent producer for the
// outputs. Partition stores are opened on assignment (seeking to the offset
// they hold) and committed and closed on revocation.
//
// Lifecycle: Create, Run (blocks), Stop from any thread or a signal handler
// (only sets a flag), destroy after Run returned. stats() is readable from
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

  PipelineStats& stats() { return *stats_; }
  int shard_count() const { return static_cast<int>(shards_.size()); }

 private:
  class Rebalancer;
  explicit Pipeline(PipelineConfig config, state::StateEnv& env);

  void OnAssign(const std::vector<RdKafka::TopicPartition*>& partitions);
  void OnRevoke(const std::vector<RdKafka::TopicPartition*>& partitions,
                bool lost);
  void OnFatal(absl::Status status);
  // Run()'s start-up check of the brokers and topics.
  absl::Status CheckTopics();

  PipelineConfig config_;
  state::StateEnv& env_;
  // Its partition count is set by CheckTopics, before the shards start.
  RoutingCheck routing_{config_.input};
  std::unique_ptr<PipelineStats> stats_;
  std::unique_ptr<Rebalancer> rebalancer_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::unique_ptr<OutputProducer> producer_;
  std::unique_ptr<LineAggregatorHub> lines_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<PartitionRouter> router_;
  std::atomic<bool> stop_{false};
  std::mutex fatal_mu_;
  absl::Status fatal_;
};

}  // namespace callflow::pipeline
