#include "processor/pipeline/internal/partition_router.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <future>
#include <limits>
#include <thread>

#include "processor/pipeline/topic_partition_list.h"

namespace callflow::pipeline {

int64_t RecordTimeNs(std::optional<int64_t> ms) {
  constexpr int64_t kNsPerMs = 1000000;
  if (!ms || *ms <= 0 || *ms > std::numeric_limits<int64_t>::max() / kNsPerMs) {
    return 0;
  }
  return *ms * kNsPerMs;
}

PartitionRouter::PartitionRouter(std::vector<ShardChannel*> channels,
                                 RdKafka::KafkaConsumer& consumer,
                                 const std::string& topic, PipelineStats& stats)
    : channels_(std::move(channels)),
      consumer_(consumer),
      topic_(topic),
      stats_(stats),
      pending_(channels_.size()) {}

void PartitionRouter::Route(const RdKafka::Message& message) {
  const int32_t partition = message.partition();
  if (partition < 0 || partition >= PipelineStats::kMaxPartitions) {
    spdlog::error("partition {} beyond the supported {}; message skipped",
                  partition, PipelineStats::kMaxPartitions);
    return;
  }
  if (!active_[partition]) return;
  const size_t s = ShardOf(partition);
  ShardChannel& channel = *channels_[s];
  Envelope* e = channel.Acquire();
  e->partition = partition;
  e->offset = message.offset();
  e->polled_at = std::chrono::steady_clock::now();
  const RdKafka::MessageTimestamp ts = message.timestamp();
  e->timestamp_ns = RecordTimeNs(
      ts.type == RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE
          ? std::nullopt
          : std::optional<int64_t>(ts.timestamp));
  // key_pointer(), not key(): key() allocates a std::string per message.
  if (message.key_pointer() != nullptr) {
    e->key.assign(static_cast<const char*>(message.key_pointer()),
                  message.key_len());
  } else {
    e->key.clear();
  }
  e->payload.assign(static_cast<const char*>(message.payload()), message.len());
  if (e->event.ParseFromString(e->payload)) {
    e->kind = Envelope::Kind::kEvent;
  } else {
    e->kind = Envelope::Kind::kUndecodable;
    e->error = "payload is not a callflow.v1.CallEvent protobuf";
  }
  stats_.partitions[partition].consumed.fetch_add(1, std::memory_order_relaxed);
  next_offset_[partition] = message.offset() + 1;

  PendingShard& pending = pending_[s];
  if (pending.queue.empty() && channel.TryPush(e)) {
    pending.pushed = true;
    return;
  }
  pending.queue.push_back(e);
  std::atomic<uint64_t>& peak = stats_.shards[s].pending_peak;
  if (pending.queue.size() > peak.load(std::memory_order_relaxed)) {
    peak.store(pending.queue.size(), std::memory_order_relaxed);
  }
  if (pending.paused.empty()) Pause(s);
}

void PartitionRouter::DrainPending() {
  for (size_t s = 0; s < pending_.size(); ++s) {
    PendingShard& pending = pending_[s];
    ShardChannel& channel = *channels_[s];
    while (!pending.queue.empty() && channel.TryPush(pending.queue.front())) {
      pending.queue.pop_front();
      pending.pushed = true;
    }
    if (pending.queue.empty() && !pending.paused.empty() &&
        channel.size() <= channel.capacity() / 2) {
      Resume(s);
    }
    // Once per round of the poll loop, not per push.
    if (pending.pushed) channel.Notify();
    pending.pushed = false;
  }
}

void PartitionRouter::Pause(size_t shard) {
  TopicPartitionList tps;
  for (int32_t p : assigned_) {
    if (ShardOf(p) != shard) continue;
    tps.Add(topic_, p);
    pending_[shard].paused.insert(p);
    stats_.partitions[p].paused = true;
  }
  if (tps.empty()) return;
  RdKafka::ErrorCode err = consumer_.pause(tps.get());
  if (err != RdKafka::ERR_NO_ERROR) {
    spdlog::warn("pause shard {}: {}", shard, RdKafka::err2str(err));
  }
}

void PartitionRouter::Resume(size_t shard) {
  TopicPartitionList tps;
  for (int32_t p : pending_[shard].paused) {
    stats_.partitions[p].paused = false;
    if (assigned_.contains(p)) tps.Add(topic_, p);
  }
  pending_[shard].paused.clear();
  if (tps.empty()) return;
  RdKafka::ErrorCode err = consumer_.resume(tps.get());
  if (err != RdKafka::ERR_NO_ERROR) {
    spdlog::warn("resume shard {}: {}", shard, RdKafka::err2str(err));
  }
  // Pausing drops librdkafka's prefetched messages; fetch again from the
  // first offset this router has not routed.
  for (RdKafka::TopicPartition* tp : tps) {
    auto it = next_offset_.find(tp->partition());
    if (it == next_offset_.end()) continue;
    tp->set_offset(it->second);
    err = consumer_.seek(*tp, 0);
    if (err != RdKafka::ERR_NO_ERROR) {
      spdlog::warn("seek {} [{}] to {}: {}", topic_, tp->partition(),
                   it->second, RdKafka::err2str(err));
    }
  }
}

void PartitionRouter::UpdateLag() {
  for (int32_t p : assigned_) {
    int64_t low = 0, high = 0;
    if (consumer_.get_watermark_offsets(topic_, p, &low, &high) !=
            RdKafka::ERR_NO_ERROR ||
        high < 0) {
      continue;
    }
    auto it = next_offset_.find(p);
    int64_t next = it != next_offset_.end()
                       ? it->second
                       : stats_.partitions[p].committed_offset.load();
    if (next < 0) next = low;
    stats_.partitions[p].lag = std::max<int64_t>(high - next, 0);
  }
}

void PartitionRouter::PushControl(size_t shard, Envelope* e) {
  // The shard drains its ring without waiting on this thread, so this ends.
  ShardChannel& channel = *channels_[shard];
  while (!channel.TryPush(e)) {
    channel.Notify();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  channel.Notify();
}

bool PartitionRouter::Assign(int32_t partition,
                             std::unique_ptr<state::PartitionStore> store,
                             uint64_t owner, int64_t start_offset) {
  const size_t s = ShardOf(partition);
  // Messages pending for this shard were consumed before the assignment and
  // belong to other partitions; keep their order ahead of the control.
  Envelope* e = channels_[s]->Acquire();
  e->kind = Envelope::Kind::kAssign;
  e->partition = partition;
  e->store = std::move(store);
  e->owner = owner;
  e->done = std::promise<void>();
  std::future<void> done = e->done.get_future();
  while (!pending_[s].queue.empty()) {
    PushControl(s, pending_[s].queue.front());
    pending_[s].queue.pop_front();
  }
  PushControl(s, e);
  done.wait();
  assigned_.insert(partition);
  active_[partition] = 1;
  // Resume() seeks here when the partition was held paused.
  next_offset_[partition] = start_offset;
  if (pending_[s].paused.empty()) return false;
  // Its shard is back-pressured: a partition resumed now would fill the
  // pending queue without bound.
  pending_[s].paused.insert(partition);
  stats_.partitions[partition].paused = true;
  return true;
}

void PartitionRouter::Revoke(const std::vector<int32_t>& partitions) {
  std::vector<std::future<void>> waits;
  TopicPartitionList unpause;
  for (int32_t p : partitions) {
    if (!assigned_.contains(p)) continue;
    const size_t s = ShardOf(p);
    // Drop p's uncommitted pending messages: the next owner reads them again.
    auto& q = pending_[s].queue;
    for (auto it = q.begin(); it != q.end();) {
      if ((*it)->partition == p) {
        channels_[s]->Release(*it);
        it = q.erase(it);
      } else {
        ++it;
      }
    }
    if (pending_[s].paused.erase(p) > 0) {
      unpause.Add(topic_, p);
    }
    stats_.partitions[p].paused = false;
    while (!q.empty()) {
      PushControl(s, q.front());
      q.pop_front();
    }
    Envelope* e = channels_[s]->Acquire();
    e->kind = Envelope::Kind::kRevoke;
    e->partition = p;
    e->done = std::promise<void>();
    waits.push_back(e->done.get_future());
    PushControl(s, e);
    assigned_.erase(p);
    active_[p] = 0;
    next_offset_.erase(p);
  }
  // Messages fetched from now on are dropped (not active).
  if (!unpause.empty()) {
    RdKafka::ErrorCode err = consumer_.resume(unpause.get());
    if (err != RdKafka::ERR_NO_ERROR) {
      spdlog::warn("resume revoked partitions: {}", RdKafka::err2str(err));
    }
  }
  for (auto& w : waits) w.wait();
}

void PartitionRouter::BroadcastControl(Envelope::Kind kind, bool drop_pending) {
  std::vector<std::future<void>> waits;
  for (size_t s = 0; s < channels_.size(); ++s) {
    auto& q = pending_[s].queue;
    if (drop_pending) {
      for (Envelope* e : q) channels_[s]->Release(e);
      q.clear();
    }
    while (!q.empty()) {
      PushControl(s, q.front());
      q.pop_front();
    }
    Envelope* e = channels_[s]->Acquire();
    e->kind = kind;
    e->partition = 0;
    e->done = std::promise<void>();
    waits.push_back(e->done.get_future());
    PushControl(s, e);
  }
  for (auto& w : waits) w.wait();
}

void PartitionRouter::FlushShards() {
  BroadcastControl(Envelope::Kind::kFlush, /*drop_pending=*/false);
}

void PartitionRouter::StopShards() {
  BroadcastControl(Envelope::Kind::kStop, /*drop_pending=*/true);
}

}  // namespace callflow::pipeline
