#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "processor/pipeline/internal/commit_cycle.h"
#include "processor/pipeline/internal/freeze_watch.h"
#include "processor/pipeline/internal/group_offsets.h"
#include "processor/pipeline/internal/kafka_output_sink.h"
#include "processor/pipeline/internal/lines_reader.h"
#include "processor/pipeline/internal/routing_check.h"
#include "processor/pipeline/internal/shard_channel.h"
#include "processor/pipeline/pipeline_options.h"
#include "processor/rules/engine.h"
#include "state/partition_store.h"

namespace RdKafka {
class KafkaConsumer;
}  // namespace RdKafka

namespace callflow::pipeline {

// Everything a shard shares with the rest of the pipeline. All referenced
// objects outlive the shard. Read-only once the shard starts; what it refers
// to is thread-safe, atomic, or not written while the shards run.
struct ShardContext {
  const rules::EngineOptions& engine_options;
  const PipelineOptions& options;
  const Topics& topics;
  OutputProducer& producer;
  RdKafka::KafkaConsumer& consumer;  // for the async offset commit only
  // Set by the pipeline before the shards start; the owner of partition 0
  // emits the line alerts it decides.
  const std::unique_ptr<LinesReader>& lines;
  const RoutingCheck& routing;  // checked before state is touched
  PipelineStats& stats;
  PipelineObserver* observer;  // may be null
  // Called once when the shard cannot go on (a failed delivery or commit);
  // the pipeline then stops without committing past the failure.
  std::function<void(absl::Status)> on_fatal;
  // Set when a stop must not wait any longer (shutdown deadline, second
  // signal): a cycle whose outputs are not all acknowledged is dropped
  // uncommitted instead of waited for.
  const std::atomic<bool>& abort;
  // Says when the process stood still longer than the group session (may be
  // null): the shard then stops before processing anything more.
  const FreezeWatch* freeze_watch = nullptr;
};

// One shard thread: owns the PartitionStores of its partitions and a
// rules::Engine, takes envelopes from its ShardChannel in order, and commits
// in two-phase cycles through its CommitCycle (see "Commit cycle" in
// docs/ARCHITECTURE.md): it seals every commit_interval_ms or
// commit_max_events (processing goes on at once) and writes the sealed cycle
// as soon as all its outputs are acknowledged (checked between batches;
// waited for only when the next seal is due first, or on revoke/stop).
// Sealing and writing go a slice of partitions (commit_slice_ms, one
// partition at least) at a time, with batches of events processed in
// between, so a busy cycle's tens of ms of commit work do not hold an urgent
// event up in one piece (revoke, stop, and a seal due while the previous
// cycle is still being written, do it all at once). Each
// partition's LineUpdate (closed window partials, inbound starts, watermark)
// goes to the lines topic in the cycle it belongs to. A failed delivery
// stops the shard from writing anything after it.
// Idle partitions (caught up, no event for idle_after) advance their
// watermark with the wall clock (docs/ARCHITECTURE.md "Idle partitions").
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
  // An owned partition's store and progress. Shard thread only, as the class.
  struct Owned {
    std::unique_ptr<state::PartitionStore> store;
    int64_t next_offset = -1;  // -1: nothing consumed since assignment
    bool advanced = false;     // next_offset moved since the last commit
    uint64_t owner = 0;        // changelog ownership token
    // The watermark of the last LineUpdate published (-1: none yet).
    int64_t published_watermark = -1;
    // Idle without any event ever: said once in a LineUpdate.
    bool idle_without_events = false;
    bool idle_published = false;
    // For the idle watermark: when the last event was processed (or the
    // partition assigned) and the highest event time then.
    std::chrono::steady_clock::time_point last_event;
    rules::TimeNs max_event_time = 0;
  };

  void Run();
  // Adds envelopes to batch_ until it is full, the ring is empty or a control
  // envelope comes (kept in held_ for the next round).
  void TakeBatch();
  void PrefetchBatch();
  void ProcessBatch();
  void HandleEvent(Envelope& e);
  void HandleUndecodable(Envelope& e);
  void DeadLetter(const Envelope& e, const rules::Verdict& verdict);
  void HandleControl(Envelope& e);
  void PublishWatermarks();
  // Partition 0's owner: emits the line alerts decided since the offset its
  // state records (into the current cycle).
  void EmitLineAlerts();
  // The partition's LineUpdate of this cycle, when anything changed
  // (LineUpdateDue).
  bool LineUpdateDue(int32_t partition, const Owned& owned);
  void PublishLineUpdate(int32_t partition, Owned& owned);
  // Advances the watermark of idle partitions (every second at most).
  void AdvanceIdle();
  // Stores the owned partitions' RocksDB offsets in the consumer now and
  // then, so the group catches up even when nothing new arrives (a previous
  // owner may have stopped before its offsets reached the group).
  void StoreGroupOffsets();
  bool CommitDue() const;
  // options.commit_slice_ms: how long sealing or writing goes on at once.
  std::chrono::microseconds commit_slice() const {
    return std::chrono::milliseconds(ctx_.options.commit_slice_ms);
  }
  // Seals the current cycle (first writing the pending sealed one, waiting
  // for its acknowledgements if need be): with `all`, every partition now;
  // otherwise a commit_slice_ms of them per call (seal_.active until the last).
  // False (and fatal reported) when it must not commit.
  bool Seal(bool all);
  // Starts sealing: the previous cycle written, line alerts emitted, the
  // partitions listed in seal_ (none when nothing changed).
  bool BeginSeal();
  // Seals the listed partitions, each with its LineUpdate (all, or a
  // commit_slice_ms of them); after the last, closes the cycle.
  bool SealSlice(bool all);
  // Writes the sealed cycle once all its outputs are acknowledged; with
  // `block`, waits for them. True when nothing failed (written or still
  // pending).
  bool FinishSealed(bool block);
  // Seal and write everything processed so far (revoke, stop).
  bool Commit();
  void Fail(absl::Status status);
  // False (and the shard failed) once the process stood still longer than
  // the group session: its partitions are other instances' by now.
  bool CheckNotFrozen();

  const int index_;
  ShardContext ctx_;
  ShardCounters& counters_;
  ShardChannel channel_;
  GroupOffsets group_offsets_;
  CommitCycle cycle_;
  KafkaOutputSink sink_;
  rules::Engine engine_;
  std::map<int32_t, Owned> owned_;
  std::vector<Envelope*> batch_;
  // The wall clock when batch_ began, ns since the epoch: what vouches for
  // its events (with their records' timestamps) in HandleEvent.
  int64_t batch_wall_ns_ = 0;
  // PrefetchBatch's caller keys by partition, reused from batch to batch.
  absl::flat_hash_map<int32_t, std::vector<std::string>> prefetch_keys_;
  Envelope* held_ = nullptr;
  std::vector<int32_t> touched_;
  // Poll times of the messages consumed since the last commit (kept only
  // with an observer, for the processing-latency histogram).
  std::vector<std::chrono::steady_clock::time_point> polled_;
  // A cycle being sealed a slice of partitions at a time.
  struct SealProgress {
    bool active = false;
    std::vector<int32_t> partitions;    // still to seal, in order
    std::chrono::microseconds busy{0};  // spent sealing so far
  };
  SealProgress seal_;
  uint64_t events_since_commit_ = 0;
  std::chrono::steady_clock::time_point last_commit_;
  bool failed_ = false;
  std::chrono::steady_clock::time_point last_idle_check_;
  std::chrono::steady_clock::time_point last_offsets_store_;
  std::string buffer_;  // reused serialization buffer
  std::thread thread_;
};

}  // namespace callflow::pipeline
