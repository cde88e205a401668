#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "processor/pipeline/internal/envelope.h"
#include "processor/pipeline/internal/shard_channel.h"
#include "processor/pipeline/pipeline_stats.h"

namespace RdKafka {
class KafkaConsumer;
class Message;
}  // namespace RdKafka

namespace callflow::pipeline {

// A Kafka record's timestamp (ms since the epoch; nullopt: the record has
// none) in ns, the reference time of the FUTURE check; 0 (no reference)
// for a timestamp that is not positive or whose ns do not fit in int64
// (after 2262: a producer that wrote µs or ns), rather than overflowing.
int64_t RecordTimeNs(std::optional<int64_t> ms);

// The poll thread's half of the hand-over: decodes each consumed message
// into a recycled envelope, routes it to shard `partition % S`, and applies
// backpressure: when a shard's ring is full the message waits in that shard's
// pending queue and every partition of the shard is paused; once the ring is
// half empty and the pending queue drained, they are resumed. Polling never
// stops. Also sends the ordered control envelopes (assign, revoke, stop).
//
// Poll thread only (the rebalance callback runs there too).
class PartitionRouter {
 public:
  // `channels[s]` is shard s's channel; each outlives the router.
  PartitionRouter(std::vector<ShardChannel*> channels,
                  RdKafka::KafkaConsumer& consumer, const std::string& topic,
                  PipelineStats& stats);

  size_t ShardOf(int32_t partition) const {
    return static_cast<size_t>(partition) % channels_.size();
  }

  // Messages of a partition not handed to its shard yet (its state is
  // still loading) are dropped: it is seeked to its start when ready.
  void Route(const RdKafka::Message& message);
  // Pushes pending messages, resumes shards that drained and wakes the
  // shards that wait for a push (ShardChannel::Notify): called once per
  // round of the poll loop, after the round's Route calls.
  void DrainPending();
  // Refreshes per-partition lag from librdkafka's cached high watermarks.
  void UpdateLag();

  // Hands `store` to the partition's shard (ordered before its messages).
  // `owner`: the changelog ownership token (0: changelog off);
  // `start_offset`: where the partition is consumed from. Returns true when
  // the shard is paused by back-pressure: the partition (paused while it
  // loaded) must stay paused, and is resumed with the shard.
  bool Assign(int32_t partition, std::unique_ptr<state::PartitionStore> store,
              uint64_t owner, int64_t start_offset);
  // Revokes partitions: drops their pending messages (not committed, so the
  // next owner reads them again), resumes those this router paused
  // (librdkafka keeps the application's pause on a partition across
  // unassign and assign), has their shards commit and close them, and waits
  // for that.
  void Revoke(const std::vector<int32_t>& partitions);
  // Stops every shard after a final commit, and waits until each took the
  // stop (the caller then joins the shard threads).
  void StopShards();
  // Has every shard commit what it processed (and keep its partitions), and
  // waits.
  void FlushShards();

 private:
  // A shard's messages waiting for room in its ring. Poll thread only.
  struct PendingShard {
    std::deque<Envelope*> queue;
    std::set<int32_t> paused;  // partitions this router paused
    bool pushed = false;       // pushed to its ring this round
  };
  // Blocks (briefly) until `e` is in the ring; for control envelopes.
  void PushControl(size_t shard, Envelope* e);
  // Sends `kind` to every shard (pending messages dropped first when
  // `drop_pending`) and waits for all of them.
  void BroadcastControl(Envelope::Kind kind, bool drop_pending);
  void Pause(size_t shard);
  void Resume(size_t shard);

  std::vector<ShardChannel*> channels_;
  RdKafka::KafkaConsumer& consumer_;
  const std::string topic_;
  PipelineStats& stats_;
  std::vector<PendingShard> pending_;
  std::set<int32_t> assigned_;
  // assigned_ as flags by partition, for the per-message check in Route.
  std::vector<char> active_ =
      std::vector<char>(PipelineStats::kMaxPartitions, 0);
  std::map<int32_t, int64_t> next_offset_;  // per assigned partition
};

}  // namespace callflow::pipeline
