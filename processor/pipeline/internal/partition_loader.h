#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "processor/pipeline/internal/changelog_restore.h"
#include "processor/pipeline/internal/delivery_tracker.h"
#include "processor/pipeline/internal/output_producer.h"
#include "processor/pipeline/kafka_status.h"
#include "processor/pipeline/pipeline_options.h"
#include "processor/pipeline/pipeline_stats.h"
#include "state/partition_store.h"
#include "state/state_env.h"

namespace RdKafka {
class KafkaConsumer;
}

namespace callflow::pipeline {

// A partition made ready for its shard. Thread-compatible: handed from a
// loading thread to the poll thread, then to the shard.
struct LoadedPartition {
  int32_t partition = -1;
  absl::Status status;  // not OK: the partition cannot be processed here
  std::unique_ptr<state::PartitionStore> store;
  uint64_t owner = 0;  // this instance's ownership token in the changelog
  // Where to consume from: the store's offset, else the group's committed
  // offset, else auto.offset.reset (a logical offset).
  int64_t start_offset = -1;
};

// Gets newly assigned partitions ready off the poll thread, so the group
// session and max.poll.interval.ms survive slow hand-overs and long
// restores: opens the partition's RocksDB (waiting while the previous owner
// on a shared state dir still holds its lock), and with the changelog on,
// writes this instance's owner marker and restores the store from the
// changelog up to it (changelog_restore.h). With the changelog off, a
// partition without local state that the group has already consumed is an
// error, never an empty state.
//
// Partitions load kWorkers at a time: a load mostly waits (RocksDB's
// fsyncs on open, the owner marker's acknowledgement, the changelog's
// fetches), so a group of them assigned at once is ready in a fraction of
// the time one after the other took.
//
// Lifecycle: construct, Load() per assigned partition from the poll thread,
// TakeReady() from the poll thread, Cancel() on revocation, destroy (stops
// the workers). Thread-safe.
class PartitionLoader {
 public:
  static constexpr int kWorkers = 4;

  // What the loader works with; fixed at construction and read by the
  // loading threads (the objects it refers to are thread-safe or const).
  struct Context {
    state::StateEnv& env;
    const PipelineOptions& options;
    const Topics& topics;
    const KafkaProperties& kafka;
    OutputProducer& producer;
    RdKafka::KafkaConsumer& consumer;  // committed() only
    PipelineStats& stats;
    const std::atomic<bool>& stop;
    // How long to wait for a previous owner's RocksDB lock.
    std::chrono::milliseconds open_timeout;
  };
  explicit PartitionLoader(Context context);
  ~PartitionLoader();

  void Load(int32_t partition);
  // Stops loading `partition` (revoked before it was ready) and drops it,
  // ready or not; returns once the worker no longer touches it.
  void Cancel(int32_t partition);
  // Partitions whose load finished since the last call.
  std::vector<LoadedPartition> TakeReady();
  // Partitions queued or loading.
  size_t busy() const;

 private:
  // A loading thread and what it works on (loading and cancel under mu_).
  struct Worker {
    int32_t loading = -1;
    std::atomic<bool> cancel{false};          // stop loading `loading`
    std::unique_ptr<ChangelogReader> reader;  // this worker's thread only
    std::thread thread;
  };

  void Work(Worker& worker);
  // The first queued partition no worker is loading, or queue_.end().
  std::deque<int32_t>::iterator NextLocked();
  bool LoadingLocked(int32_t partition) const;
  LoadedPartition LoadOne(int32_t partition, Worker& worker);
  // The load was cancelled (a revoke) or the process is stopping.
  bool Abandoned(const std::atomic<bool>& cancel) const;
  absl::StatusOr<std::unique_ptr<state::PartitionStore>> Open(
      int32_t partition, const std::atomic<bool>& cancel);
  // The error for partition `p`, whose store (opened, and restored when
  // the changelog is on) has no input offset while the group has consumed
  // it up to `group`: its state is lost, and carrying on would start its
  // callers from nothing. FailedPrecondition, naming the fixes.
  absl::Status StateLost(int32_t p, int64_t group) const;
  // The group's committed offset of `partition`, or -1 when none; Cancelled
  // once `cancel` or the stop is set.
  absl::StatusOr<int64_t> GroupOffset(int32_t partition,
                                      const std::atomic<bool>& cancel);
  // The store's input offset; else auto.offset.reset's when the group has
  // none either; StateLost when only the group has one.
  absl::StatusOr<int64_t> StartOffset(const state::PartitionStore& store,
                                      const std::atomic<bool>& cancel);
  absl::Status SetStart(LoadedPartition& out,
                        std::unique_ptr<state::PartitionStore> store,
                        const std::atomic<bool>& cancel);
  absl::StatusOr<int64_t> WriteMarker(int32_t partition, uint64_t owner,
                                      const std::atomic<bool>& cancel);
  // `produced` (queuing records of `what` into `tracker`) if it failed,
  // else waits for every report of `tracker`, in short waits: Cancelled on
  // a cancel or stop, Unavailable when a record failed. A tracker that may
  // still get reports is kept until it does (KeepUntilReported).
  absl::Status Acknowledged(absl::Status produced,
                            std::unique_ptr<DeliveryTracker>& tracker,
                            int32_t partition, absl::string_view what,
                            const std::atomic<bool>& cancel);
  // Writes the whole of `store` to the changelog as one cycle of `owner`
  // (RestoreResult::log_lacks_local_state) and moves its changelog
  // position past it.
  absl::Status SeedChangelog(int32_t partition, uint64_t owner,
                             state::PartitionStore& store,
                             const std::atomic<bool>& cancel);
  // Keeps the tracker of an owner marker whose load ended before the
  // broker answered: librdkafka reports on it later, so it must outlive
  // WriteMarker. Frees the kept trackers that have their report.
  void KeepUntilReported(std::unique_ptr<DeliveryTracker> tracker);

  Context ctx_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int32_t> queue_;
  std::vector<LoadedPartition> ready_;
  bool quit_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;  // set in the constructor
  std::mutex unreported_mu_;
  std::vector<std::unique_ptr<DeliveryTracker>> unreported_;
};

}  // namespace callflow::pipeline
