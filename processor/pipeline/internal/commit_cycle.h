#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "processor/pipeline/internal/delivery_tracker.h"
#include "processor/pipeline/internal/partition_producer.h"
#include "processor/pipeline/pipeline_observer.h"
#include "processor/pipeline/pipeline_stats.h"
#include "state/partition_store.h"

namespace callflow::pipeline {

// Where committed offsets of the events topic go for the consumer group
// (the consumer's offsets_store in the pipeline; a fake in unit tests).
// Called on the shard thread of its CommitCycle; shards call theirs
// concurrently.
class OffsetPublisher {
 public:
  virtual ~OffsetPublisher() = default;
  // (partition, next offset) pairs, never empty.
  virtual void Publish(
      const std::vector<std::pair<int32_t, int64_t>>& offsets) = 0;
};

// The two-phase commit of one shard, the invariant the pipeline rests on:
// RocksDB never holds state, an offset or a changelog position past an
// output, changelog or lines record the broker has not acknowledged.
//
//   seal:     SealPartition per partition with changes (its buffered changes
//             and next offset become a sealed WriteBatch; with the changelog
//             on they are produced to the changelog partition), then Close:
//             later outputs count in the other of two DeliveryTrackers, and
//             processing goes on at once.
//   acked:    Finish waits (block) or checks (not block) until every output
//             and changelog record of the sealed cycle is acknowledged; only
//             then the changelog's cycle-end records go out (a restore
//             applies a cycle once its end is read), and those are waited
//             for too. A failed delivery fails the cycle: nothing after it
//             is ever written.
//   write:    the sealed WriteBatches, each with its changelog position (the
//             highest acknowledged changelog offset + 1). A Finish that does
//             not block writes partitions for up to write_slice (one at
//             least) and leaves the rest to the next call, so the shard
//             processes its waiting events in between (an EMERGENCY alarm is
//             not held up by a whole cycle's writes); each partition's offset
//             counts as committed once its own batch is written.
//   publish:  the same offsets go to the OffsetPublisher (the group's
//             offsets, for lag tools; RocksDB stays the truth).
// At most one cycle is sealed at a time: the caller finishes it (block)
// before sealing the next.
//
// Thread-safety: used by its shard's thread only; the trackers take
// delivery reports from librdkafka's threads.
class CommitCycle {
 public:
  // What the cycle works with; fixed at construction. Shard thread only, but
  // `on_all_reported` runs on delivery-report threads.
  struct Context {
    int shard = 0;  // for messages and the observer
    std::string changelog_topic;
    PartitionProducer& producer;
    OffsetPublisher& offsets;
    PipelineStats& stats;  // committed offsets, the shard's commit counters
    PipelineObserver* observer = nullptr;  // may be null
    // Set when a stop must not wait any longer: a blocking Finish then
    // fails instead of waiting for the rest of the acknowledgements.
    const std::atomic<bool>& abort;
    std::atomic<uint64_t>* delivery_errors = nullptr;  // may be null
    // Called on a delivery-report thread whenever one of the cycle's
    // trackers has nothing outstanding left (may be empty).
    std::function<void()> on_all_reported;
    // How long a Finish that does not block goes on writing an acknowledged
    // cycle's partitions (at least one per call; the pipeline's
    // commit_slice_ms); the rest waits for the next call, so the events the
    // shard has waiting are not held up by the whole cycle's RocksDB writes
    // (tens of ms at high rates).
    std::chrono::microseconds write_slice = std::chrono::milliseconds(1);
  };

  explicit CommitCycle(Context context);

  // The trackers the current (open) cycle's outputs and changelog records
  // count in; they change at Close.
  DeliveryTracker& outputs() { return trackers_[current_]; }
  DeliveryTracker& changelog() { return changelog_trackers_[current_]; }

  // True while a sealed cycle waits to be written.
  bool pending() const { return sealed_.pending; }
  // True while an acknowledged cycle is written a slice at a time: the next
  // Finish has work to do at once.
  bool writing() const { return sealed_.pending && sealed_.written_some; }

  // Seals `store`'s buffered changes with `next` as its next offset (none:
  // the offset stays) into the cycle being sealed. With `owner` (the
  // changelog ownership token, 0 when the changelog is off) the sealed
  // changes are produced to the changelog partition of the same number.
  // `store` must stay open until the cycle is finished or the partition
  // forgotten.
  absl::Status SealPartition(int32_t partition, state::PartitionStore& store,
                             uint64_t owner, std::optional<int64_t> next);
  // Ends sealing: the sealed cycle now waits for its acknowledgements, and
  // outputs() is the other tracker. `polled` are the poll times of its
  // messages (for OnAcknowledged); `busy` the time spent sealing it.
  void Close(std::vector<std::chrono::steady_clock::time_point> polled,
             std::chrono::microseconds busy);

  // Writes the sealed cycle once all its records are acknowledged; with
  // `block`, waits for them and writes every partition. OK when written,
  // when nothing was sealed, or (not `block`) when still waiting or when
  // some partitions are left for the next call (see writing()). An error
  // (failed delivery, abort, RocksDB) means the cycle must never be written:
  // the caller stops.
  absl::Status Finish(bool block);

  // The partition was closed (revoked after a failure): its part of the
  // sealed cycle is dropped.
  void Forget(int32_t partition);

  // Publishes offsets to the group outside a cycle (the stored offsets of
  // partitions that have nothing new).
  void PublishOffsets(const std::vector<std::pair<int32_t, int64_t>>& offsets);

 private:
  // One partition's part of a sealed cycle. Shard thread only, as the class.
  struct SealedPartition {
    int32_t partition;
    state::PartitionStore* store;
    uint64_t owner;
    std::optional<int64_t> next;
    // Changelog records of the cycle; the cycle-end record still to go.
    std::optional<uint32_t> changelog_records;
  };
  // The sealed cycle until it is written. Shard thread only, as the class.
  struct SealedCycle {
    bool pending = false;
    DeliveryTracker* tracker = nullptr;
    DeliveryTracker* changelog = nullptr;
    bool cycle_ends_sent = false;
    bool written_some = false;  // partitions written, others still to go
    std::vector<SealedPartition> partitions;
    std::vector<std::chrono::steady_clock::time_point> polled;
    std::chrono::microseconds busy{0};
  };

  // Waits until `tracker` has every report; DeadlineExceeded when the stop
  // is aborted first.
  absl::Status WaitDelivered(DeliveryTracker& tracker);
  // The changelog cycle-end record of each sealed partition.
  void SendCycleEnds();
  // Writes the sealed partitions, all of them or (not `all`) as many as fit
  // in one write_slice, one at least; the cycle stays pending until the
  // last is written.
  absl::Status WriteSealed(bool all);

  Context ctx_;
  // Outputs of the open cycle count in trackers_[current_]; the sealed
  // cycle's in the other one until it is written.
  DeliveryTracker trackers_[2];
  DeliveryTracker changelog_trackers_[2];  // they record offsets
  int current_ = 0;
  SealedCycle sealed_;
  std::vector<SealedPartition> sealing_;  // between SealPartition and Close
  std::string buffer_;                    // reused serialization buffer
};

}  // namespace callflow::pipeline
