#include "processor/pipeline/shard.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "processor/rules/time.h"
#include "processor/rules/validation.h"

namespace callflow::pipeline {
namespace {

constexpr size_t kMaxBatch = 512;

bool IsControl(const Envelope& e) {
  return e.kind == Envelope::Kind::kAssign ||
         e.kind == Envelope::Kind::kRevoke || e.kind == Envelope::Kind::kStop;
}

rules::TimeNs WallClockNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Shard::Shard(int index, ShardContext context)
    : index_(index),
      ctx_(std::move(context)),
      counters_(ctx_.stats.shards[index]),
      channel_(ctx_.options.ring_capacity),
      trackers_{DeliveryTracker(&counters_.delivery_errors),
                DeliveryTracker(&counters_.delivery_errors)},
      sink_(index, ctx_.topics, ctx_.producer, trackers_[0], ctx_.stats,
            ctx_.observer),
      engine_(ctx_.engine_options) {
  batch_.reserve(kMaxBatch);
}

Shard::~Shard() { Join(); }

void Shard::Start() {
  last_commit_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] { Run(); });
}

void Shard::Join() {
  if (thread_.joinable()) thread_.join();
}

void Shard::Run() {
  int idle_rounds = 0;
  while (true) {
    Envelope* e =
        held_ != nullptr ? std::exchange(held_, nullptr) : channel_.TryPop();
    if (e == nullptr) {
      counters_.ring_occupancy.store(0, std::memory_order_relaxed);
      FinishSealed(/*block=*/false);
      if (CommitDue()) Seal();
      // Back off gently: a short spin, then 1 ms naps.
      if (++idle_rounds < 64) {
        std::this_thread::yield();
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      continue;
    }
    idle_rounds = 0;
    if (IsControl(*e)) {
      const bool stop = e->kind == Envelope::Kind::kStop;
      HandleControl(*e);  // fulfils its promise
      channel_.Recycle(e);
      if (stop) return;
      continue;
    }
    batch_.push_back(e);
    TakeBatch();
    counters_.ring_occupancy.store(channel_.size(), std::memory_order_relaxed);
    ProcessBatch();
    FinishSealed(/*block=*/false);
    if (CommitDue()) Seal();
  }
}

void Shard::TakeBatch() {
  while (batch_.size() < kMaxBatch) {
    Envelope* e = channel_.TryPop();
    if (e == nullptr) return;
    if (IsControl(*e)) {
      held_ = e;
      return;
    }
    batch_.push_back(e);
  }
}

// Reads the batch's callers that are not cached with one MultiGet per
// partition (DESIGN.md: random point reads are the store's bottleneck).
void Shard::PrefetchBatch() {
  absl::flat_hash_map<int32_t, std::vector<std::string>> keys;
  for (const Envelope* e : batch_) {
    if (e->kind != Envelope::Kind::kEvent) continue;
    keys[e->partition].push_back(engine_.KeyFor(e->event));
  }
  for (auto& [partition, list] : keys) {
    auto it = owned_.find(partition);
    if (it == owned_.end()) continue;
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    absl::Status s = it->second.store->Prefetch(list);
    if (!s.ok()) spdlog::warn("prefetch p{}: {}", partition, s.ToString());
  }
}

void Shard::ProcessBatch() {
  if (!failed_) PrefetchBatch();
  for (Envelope* e : batch_) {
    if (!failed_) {
      if (e->kind == Envelope::Kind::kEvent) {
        HandleEvent(*e);
      } else {
        HandleUndecodable(*e);
      }
    }
    channel_.Recycle(e);
  }
  batch_.clear();
  if (failed_) return;
  PublishWatermarks();
  ctx_.lines.Apply(sink_.line_inputs(), sink_);
}

void Shard::HandleEvent(Envelope& e) {
  auto it = owned_.find(e.partition);
  if (it == owned_.end()) {
    // Cannot happen: assignment precedes the partition's messages.
    Fail(absl::InternalError(absl::StrCat(
        "shard ", index_, ": event for unowned partition ", e.partition)));
    return;
  }
  Owned& owned = it->second;
  // A bad event keeps its own reason; a good one must be where it belongs
  // before the engine touches state.
  rules::Verdict verdict =
      rules::ValidateEvent(e.event, owned.store->MutablePartition(),
                           ctx_.engine_options, e.timestamp_ns);
  if (verdict.ok()) {
    verdict = ctx_.routing.Check(e.key, engine_.KeyFor(e.event), e.partition);
  }
  if (verdict.ok()) {
    verdict = engine_.Process(e.event, *owned.store, sink_, e.timestamp_ns);
  }
  if (!verdict.ok()) DeadLetter(e, verdict);
  owned.next_offset = e.offset + 1;
  owned.advanced = true;
  if (ctx_.observer != nullptr) polled_.push_back(e.polled_at);
  if (touched_.empty() || touched_.back() != e.partition) {
    touched_.push_back(e.partition);
  }
  ++events_since_commit_;
  counters_.processed.fetch_add(1, std::memory_order_relaxed);
}

void Shard::HandleUndecodable(Envelope& e) {
  auto it = owned_.find(e.partition);
  if (it == owned_.end()) {
    Fail(absl::InternalError(absl::StrCat(
        "shard ", index_, ": payload for unowned partition ", e.partition)));
    return;
  }
  DeadLetter(e, rules::Verdict::Reject(v1::DeadLetter::UNDECODABLE, e.error));
  it->second.next_offset = e.offset + 1;
  it->second.advanced = true;
  if (ctx_.observer != nullptr) polled_.push_back(e.polled_at);
  ++events_since_commit_;
}

void Shard::DeadLetter(const Envelope& e, const rules::Verdict& verdict) {
  v1::DeadLetter dl;
  dl.set_source_topic(ctx_.topics.events);
  dl.set_partition(e.partition);
  dl.set_offset(e.offset);
  dl.set_key(e.key);
  dl.set_payload(e.payload);
  dl.set_error(verdict.message());
  dl.set_reason(verdict.reason());
  rules::ToProto(WallClockNow(), dl.mutable_received_at());
  sink_.EmitDeadLetter(dl);
}

void Shard::PublishWatermarks() {
  std::sort(touched_.begin(), touched_.end());
  touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
  for (int32_t p : touched_) {
    auto it = owned_.find(p);
    if (it == owned_.end()) continue;
    ctx_.stats.partitions[p].watermark_ns.store(
        it->second.store->MutablePartition().watermark(),
        std::memory_order_relaxed);
  }
  touched_.clear();
}

void Shard::HandleControl(Envelope& e) {
  PartitionCounters& pc = ctx_.stats.partitions[e.partition];
  switch (e.kind) {
    case Envelope::Kind::kAssign: {
      Owned owned;
      owned.store = std::move(e.store);
      pc.watermark_ns = owned.store->MutablePartition().watermark();
      pc.committed_offset = owned.store->next_offset().value_or(-1);
      if (std::optional<int64_t> stored = owned.store->next_offset()) {
        // Publish RocksDB's offset to the group at the next cycle even if
        // nothing is left to consume: a previous owner may have stopped
        // between its RocksDB write and its (asynchronous) group commit, and
        // lag tools read the group's offsets.
        owned.next_offset = *stored;
        owned.advanced = true;
      }
      pc.owned = true;
      owned_[e.partition] = std::move(owned);
      e.done.set_value();
      break;
    }
    case Envelope::Kind::kRevoke:
      Commit();
      owned_.erase(e.partition);  // closes the partition's RocksDB
      pc.owned = false;
      pc.watermark_ns = 0;
      e.done.set_value();
      break;
    case Envelope::Kind::kStop:
      Commit();
      for (auto& [p, owned] : owned_) {
        ctx_.stats.partitions[p].owned = false;
      }
      owned_.clear();
      e.done.set_value();
      break;
    default:
      break;
  }
}

bool Shard::CommitDue() const {
  if (failed_) return false;
  if (events_since_commit_ >= ctx_.options.commit_max_events) return true;
  return std::chrono::steady_clock::now() - last_commit_ >=
         std::chrono::milliseconds(ctx_.options.commit_interval_ms);
}

bool Shard::Commit() { return Seal() && FinishSealed(/*block=*/true); }

bool Shard::Seal() {
  if (failed_) return false;
  // At most one sealed cycle: the previous one is written first.
  if (!FinishSealed(/*block=*/true)) return false;
  const auto started = std::chrono::steady_clock::now();
  last_commit_ = started;
  DeliveryTracker& tracker = trackers_[current_];
  bool dirty = events_since_commit_ > 0 || tracker.outstanding() > 0;
  for (const auto& [p, owned] : owned_) {
    dirty = dirty || owned.advanced || owned.store->dirty();
  }
  if (!dirty) return true;

  // State, timers, watermark and offset: one sealed WriteBatch per
  // partition, written once this cycle's outputs are acknowledged.
  sealed_.partitions.clear();
  for (auto& [p, owned] : owned_) {
    if (!owned.advanced && !owned.store->dirty()) continue;
    std::optional<int64_t> next;
    if (owned.advanced) next = owned.next_offset;
    absl::Status s = owned.store->Seal(next);
    if (!s.ok()) {
      Fail(absl::Status(s.code(),
                        absl::StrCat("commit p", p, ": ", s.message())));
      return false;
    }
    sealed_.partitions.emplace_back(p, next);
    owned.advanced = false;
  }
  sealed_.pending = true;
  sealed_.tracker = &tracker;
  sealed_.polled.swap(polled_);
  polled_.clear();
  current_ = 1 - current_;
  sink_.set_tracker(&trackers_[current_]);
  events_since_commit_ = 0;
  sealed_.busy_us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
  return FinishSealed(/*block=*/false);
}

bool Shard::FinishSealed(bool block) {
  if (failed_) return false;
  if (!sealed_.pending) return true;
  DeliveryTracker& tracker = *sealed_.tracker;
  if (tracker.outstanding() > 0 && !block) return true;
  const auto started = std::chrono::steady_clock::now();

  // 1. Every output of the sealed cycle is acknowledged (or failed).
  while (!tracker.WaitAll(std::chrono::seconds(5))) {
    spdlog::warn("shard {}: waiting for {} deliveries before commit", index_,
                 tracker.outstanding());
  }
  if (tracker.failed() > 0) {
    Fail(absl::UnavailableError(
        absl::StrCat("shard ", index_, ": ", tracker.failed(),
                     " output record(s) were not delivered (first error: ",
                     tracker.first_error(),
                     "); state and offsets not committed past them")));
    return false;
  }
  if (ctx_.observer != nullptr && !sealed_.polled.empty()) {
    ctx_.observer->OnAcknowledged(index_, std::chrono::steady_clock::now(),
                                  sealed_.polled);
  }
  sealed_.polled.clear();

  // 2. The sealed WriteBatches (a partition revoked since was written then).
  std::vector<RdKafka::TopicPartition*> offsets;
  for (const auto& [p, next] : sealed_.partitions) {
    auto it = owned_.find(p);
    if (it == owned_.end()) continue;
    Owned& owned = it->second;
    absl::Status s = owned.store->WriteSealed();
    if (!s.ok()) {
      for (auto* tp : offsets) delete tp;
      Fail(absl::Status(s.code(),
                        absl::StrCat("commit p", p, ": ", s.message())));
      return false;
    }
    if (ctx_.observer != nullptr) {
      ctx_.observer->OnPartitionCommitted(index_, p, owned.store->Stats());
    }
    if (next) {
      ctx_.stats.partitions[p].committed_offset = *next;
      offsets.push_back(
          RdKafka::TopicPartition::create(ctx_.topics.events, p, *next));
    }
  }
  sealed_.partitions.clear();
  sealed_.pending = false;

  // 3. The group's offsets, asynchronously (RocksDB stays the truth).
  if (!offsets.empty()) {
    RdKafka::ErrorCode err = ctx_.consumer.commitAsync(offsets);
    if (err != RdKafka::ERR_NO_ERROR) {
      spdlog::debug("shard {}: group offset commit: {}", index_,
                    RdKafka::err2str(err));
    }
    for (auto* tp : offsets) delete tp;
  }
  // Commit time = time the shard spent on the cycle (sealing, waiting for
  // acknowledgements it could not overlap, writing).
  const uint64_t us =
      sealed_.busy_us + std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
  counters_.commits.fetch_add(1, std::memory_order_relaxed);
  counters_.last_commit_us.store(us, std::memory_order_relaxed);
  counters_.commit_us_total.fetch_add(us, std::memory_order_relaxed);
  if (ctx_.observer != nullptr) ctx_.observer->OnCommit(index_, us / 1e6);
  return true;
}

void Shard::Fail(absl::Status status) {
  if (failed_) return;
  failed_ = true;
  spdlog::error("shard {} stops committing: {}", index_, status.ToString());
  ctx_.on_fatal(std::move(status));
}

}  // namespace callflow::pipeline
