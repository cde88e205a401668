#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "processor/pipeline/delivery_tracker.h"
#include "processor/pipeline/kafka_output_sink.h"
#include "processor/pipeline/line_aggregator_hub.h"
#include "processor/pipeline/pipeline_options.h"
#include "processor/pipeline/shard_channel.h"
#include "processor/rules/engine.h"
#include "state/partition_store.h"

namespace RdKafka {
class KafkaConsumer;
}

namespace callflow::pipeline {

// Everything a shard shares with the rest of the pipeline. All referenced
// objects outlive the shard.
struct ShardContext {
  const rules::EngineOptions& engine_options;
  const PipelineOptions& options;
  const Topics& topics;
  OutputProducer& producer;
  RdKafka::KafkaConsumer& consumer;  // for the async offset commit only
  LineAggregatorHub& lines;
  PipelineStats& stats;
  PipelineObserver* observer;  // may be null
  // Called once when the shard cannot go on (a failed delivery or commit);
  // the pipeline then stops without committing past the failure.
  std::function<void(absl::Status)> on_fatal;
};

// One shard thread: owns the PartitionStores of its partitions and a
// rules::Engine, takes envelopes from its ShardChannel in order, and runs the
// commit cycle every commit_interval_ms or commit_max_events:
//   1. wait until the broker acknowledged every output this shard produced;
//   2. per partition, PartitionStore::Commit(next_offset): state, timers,
//      watermark and offset in one WriteBatch;
//   3. commitAsync of the same offsets to the group (for lag tools).
// A failed delivery stops the shard from committing anything after it.
//
// Lifecycle: construct, Start(), then the poll thread sends kAssign /
// kRevoke / kStop envelopes; Join() after kStop. The channel is the only
// thing the poll thread touches.
class Shard {
 public:
  Shard(int index, ShardContext context);
  ~Shard();

  ShardChannel& channel() { return channel_; }
  void Start();
  void Join();

 private:
  struct Owned {
    std::unique_ptr<state::PartitionStore> store;
    int64_t next_offset = -1;  // -1: nothing consumed since assignment
    bool advanced = false;     // next_offset moved since the last commit
  };

  void Run();
  // Adds envelopes to batch_ until it is full, the ring is empty or a control
  // envelope comes (kept in held_ for the next round).
  void TakeBatch();
  void PrefetchBatch();
  void ProcessBatch();
  void HandleEvent(Envelope& e);
  void HandleUndecodable(Envelope& e);
  void DeadLetter(const Envelope& e, const std::string& error,
                  DlqReason reason);
  void HandleControl(Envelope& e);
  void PublishWatermarks();
  bool CommitDue() const;
  // The commit cycle; false (and fatal reported) when it must not commit.
  bool Commit();
  void Fail(absl::Status status);

  const int index_;
  ShardContext ctx_;
  ShardCounters& counters_;
  ShardChannel channel_;
  DeliveryTracker tracker_;
  KafkaOutputSink sink_;
  rules::Engine engine_;
  std::map<int32_t, Owned> owned_;
  std::vector<Envelope*> batch_;
  Envelope* held_ = nullptr;
  std::vector<int32_t> touched_;
  // Poll times of the messages consumed since the last commit (kept only
  // with an observer, for the processing-latency histogram).
  std::vector<std::chrono::steady_clock::time_point> polled_;
  uint64_t events_since_commit_ = 0;
  std::chrono::steady_clock::time_point last_commit_;
  bool failed_ = false;
  std::thread thread_;
};

}  // namespace callflow::pipeline
