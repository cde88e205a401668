#include "processor/pipeline/internal/shard.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "callflow/v1/state.pb.h"
#include "processor/pipeline/internal/line_update_split.h"
#include "processor/pipeline/internal/work_slice.h"
#include "processor/pipeline/output_limits.h"
#include "processor/rules/time.h"
#include "processor/rules/validation.h"
#include "processor/util/thread_name.h"

namespace callflow::pipeline {
namespace {

// Most envelopes taken from the ring and processed as one batch (one
// MultiGet per partition).
constexpr size_t kMaxBatch = 512;
// How long an idle shard waits to be woken before it checks its commit
// cycle, idle partitions and group offsets again.
constexpr auto kIdleWait = std::chrono::milliseconds(5);
// How often idle partitions are checked (their watermark moves by this).
constexpr auto kIdleCheckEvery = std::chrono::seconds(1);
// How often the owned partitions' RocksDB offsets are stored for the group
// again (librdkafka's auto-commit sends what differs from the committed).
constexpr auto kStoreOffsetsEvery = std::chrono::seconds(5);

bool IsControl(const Envelope& e) {
  return e.kind == Envelope::Kind::kAssign ||
         e.kind == Envelope::Kind::kRevoke || e.kind == Envelope::Kind::kStop ||
         e.kind == Envelope::Kind::kFlush;
}

// A state read error of `partition`: the pipeline stops before anything
// decided on the default record the engine saw is produced or committed.
absl::Status ReadError(int32_t partition, const absl::Status& read) {
  return absl::Status(
      read.code(),
      absl::StrCat("partition ", partition,
                   ": state read failed, stopping "
                   "before the event's outputs (nothing committed past it; "
                   "see \"State read errors\" in docs/OPERATIONS.md): ",
                   read.message()));
}

// Before a partition's store closes cleanly: what it wrote moves into SST
// files, so whoever opens this state dir next (this process restarted, or
// another one sharing the dir) replays no write-ahead log. The store's
// destructor would flush too, but silently; here a failure is logged (it
// costs only that replay) and the close goes on.
void FlushClosing(int32_t partition, state::PartitionStore& store) {
  if (absl::Status s = store.FlushToDisk(); !s.ok()) {
    spdlog::warn(
        "partition {}: closing without a flush ({}); the next open "
        "replays its write-ahead log",
        partition, s.ToString());
  }
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
      group_offsets_(ctx_.consumer, ctx_.topics.events, index),
      cycle_(CommitCycle::Context{
          .shard = index,
          .changelog_topic = ctx_.topics.changelog,
          .producer = ctx_.producer,
          .offsets = group_offsets_,
          .stats = ctx_.stats,
          .observer = ctx_.observer,
          .abort = ctx_.abort,
          .delivery_errors = &counters_.delivery_errors,
          // A cycle's last acknowledgement wakes the idle shard that waits
          // for it.
          .on_all_reported = [this] { channel_.Notify(); },
          .write_slice = commit_slice(),
      }),
      sink_(index, ctx_.topics, ctx_.producer, cycle_.outputs(), ctx_.stats,
            ctx_.observer),
      engine_(ctx_.engine_options) {
  batch_.reserve(kMaxBatch);
}

Shard::~Shard() { Join(); }

void Shard::Start() {
  last_commit_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] {
    util::NameThisThread(absl::StrCat("cf-shard-", index_));
    Run();
  });
}

void Shard::Join() {
  if (thread_.joinable()) thread_.join();
}

void Shard::Run() {
  while (true) {
    Envelope* e =
        held_ != nullptr ? std::exchange(held_, nullptr) : channel_.TryPop();
    if (e == nullptr) {
      counters_.ring_occupancy.store(0, std::memory_order_relaxed);
      FinishSealed(/*block=*/false);
      AdvanceIdle();
      StoreGroupOffsets();
      if (seal_.active || CommitDue()) Seal(/*all=*/false);
      // Until the poll thread pushes or the outstanding records are all
      // acknowledged (both wake this thread); the checks above run at least
      // every kIdleWait. Not while a cycle is sealed or written a slice at a
      // time: the next slice goes at once (unless the shard failed: then
      // neither goes on, and it only waits for its stop).
      const bool slices_left = seal_.active || cycle_.writing();
      if (failed_ || !slices_left) channel_.WaitForPush(kIdleWait);
      continue;
    }
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
    AdvanceIdle();
    if (seal_.active || CommitDue()) Seal(/*all=*/false);
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
// partition (random point reads are the store's bottleneck).
void Shard::PrefetchBatch() {
  // Reused from batch to batch: the lists keep their capacity.
  for (auto& [partition, list] : prefetch_keys_) list.clear();
  for (const Envelope* e : batch_) {
    if (e->kind != Envelope::Kind::kEvent) continue;
    prefetch_keys_[e->partition].push_back(engine_.KeyFor(e->event));
  }
  for (auto& [partition, list] : prefetch_keys_) {
    if (list.empty()) continue;
    auto it = owned_.find(partition);
    if (it == owned_.end()) continue;
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    absl::Status s = it->second.store->Prefetch(list);
    if (!s.ok()) {
      // Nothing of the batch is processed: the engine would see a default
      // record and decide outputs on it.
      Fail(ReadError(partition, s));
      return;
    }
  }
}

void Shard::ProcessBatch() {
  if (!failed_ && CheckNotFrozen()) PrefetchBatch();
  // Once per batch: it only vouches within days (HandleEvent).
  batch_wall_ns_ = absl::ToUnixNanos(absl::Now());
  for (Envelope* e : batch_) {
    if (!failed_ && CheckNotFrozen()) {
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
  sink_.set_partition(e.partition);
  // What may vouch for an event far ahead of the watermark: a clock its
  // sender does not control. The record's timestamp is the producer's clock
  // (ingest next to the PBX shares the PBX's), so it counts only as far as
  // this process's wall clock agrees.
  const int64_t vouch = e.timestamp_ns == 0
                            ? batch_wall_ns_
                            : std::min(e.timestamp_ns, batch_wall_ns_);
  // A bad event keeps its own reason; a good one must be where it belongs
  // before the engine touches state.
  rules::Verdict verdict = rules::ValidateEvent(
      e.event, owned.store->MutablePartition(), ctx_.engine_options,
      e.timestamp_ns, "the record's time", vouch);
  if (verdict.ok() && ctx_.routing.enabled()) {
    verdict = ctx_.routing.Check(e.key, engine_.KeyFor(e.event), e.partition);
  }
  if (verdict.ok()) {
    // The event's outputs wait until its state reads are known to be good.
    sink_.BeginHold();
    verdict = engine_.Process(e.event, *owned.store, sink_, e.timestamp_ns,
                              "the record's time", vouch);
    const bool read_ok = owned.store->status().ok();
    sink_.EndHold(/*produce=*/read_ok);
    if (!read_ok) {
      Fail(ReadError(e.partition, owned.store->status()));
      return;
    }
  }
  owned.last_event = std::chrono::steady_clock::now();
  owned.max_event_time = owned.store->partition_record().max_event_time();
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
  LimitDeadLetter(dl);  // an input near message.max.bytes must not stop us
  sink_.EmitDeadLetter(dl);
}

void Shard::PublishWatermarks() {
  std::sort(touched_.begin(), touched_.end());
  touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
  for (int32_t p : touched_) {
    auto it = owned_.find(p);
    if (it == owned_.end()) continue;
    ctx_.stats.partitions[p].watermark_ns.store(
        it->second.store->partition_record().watermark(),
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
      owned.owner = e.owner;
      owned.last_event = std::chrono::steady_clock::now();
      owned.max_event_time = owned.store->partition_record().max_event_time();
      pc.watermark_ns = owned.store->partition_record().watermark();
      pc.phase = static_cast<int>(PartitionPhase::kActive);
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
      cycle_.Forget(e.partition);  // only left there after a failure
      if (auto it = owned_.find(e.partition); it != owned_.end()) {
        FlushClosing(e.partition, *it->second.store);
        owned_.erase(it);  // closes the partition's RocksDB
      }
      pc.owned = false;
      pc.watermark_ns = 0;
      pc.lag = 0;
      pc.phase = static_cast<int>(PartitionPhase::kNone);
      e.done.set_value();
      break;
    case Envelope::Kind::kFlush:
      Commit();
      e.done.set_value();
      break;
    case Envelope::Kind::kStop:
      Commit();
      for (auto& [p, owned] : owned_) {
        cycle_.Forget(p);
        FlushClosing(p, *owned.store);
        ctx_.stats.partitions[p].owned = false;
        ctx_.stats.partitions[p].phase =
            static_cast<int>(PartitionPhase::kNone);
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

bool Shard::Commit() {
  // The cycle being sealed is sealed to its end; what was processed since
  // goes into one more, and both are written.
  if (seal_.active && !Seal(/*all=*/true)) return false;
  return Seal(/*all=*/true) && FinishSealed(/*block=*/true);
}

bool Shard::Seal(bool all) {
  if (failed_ || !CheckNotFrozen()) return false;
  if (!seal_.active && !BeginSeal()) return false;
  return SealSlice(all);
}

bool Shard::BeginSeal() {
  // At most one sealed cycle: the previous one is written first.
  if (!FinishSealed(/*block=*/true)) return false;
  const auto started = std::chrono::steady_clock::now();
  last_commit_ = started;
  EmitLineAlerts();
  bool dirty = events_since_commit_ > 0 || cycle_.outputs().outstanding() > 0;
  for (const auto& [p, owned] : owned_) {
    dirty = dirty || owned.advanced || owned.store->dirty() ||
            LineUpdateDue(p, owned);
  }
  if (!dirty) return true;
  // Counted from here: events processed between slices are partly the next
  // cycle's, and never fewer than commit_max_events go by unsealed.
  events_since_commit_ = 0;
  seal_.active = true;
  seal_.partitions.clear();
  for (const auto& [p, owned] : owned_) seal_.partitions.push_back(p);
  seal_.busy = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  return true;
}

bool Shard::SealSlice(bool all) {
  if (!seal_.active) return true;
  WorkSlice slice(all, commit_slice());
  size_t sealed = 0;
  while (sealed < seal_.partitions.size() && !slice.Over()) {
    const int32_t p = seal_.partitions[sealed++];
    auto it = owned_.find(p);
    // Not reached: a revoke finishes the seal before the partition goes.
    if (it == owned_.end()) continue;
    Owned& owned = it->second;
    // The LineUpdate and the state of a partition cover the same events:
    // nothing is processed between the two.
    PublishLineUpdate(p, owned);
    // State, timers, watermark and offset: one sealed WriteBatch per
    // partition, written once this cycle's outputs are acknowledged.
    if (!owned.advanced && !owned.store->dirty()) continue;
    std::optional<int64_t> next;
    if (owned.advanced) next = owned.next_offset;
    absl::Status s = cycle_.SealPartition(p, *owned.store, owned.owner, next);
    if (!s.ok()) {
      Fail(std::move(s));
      return false;
    }
    owned.advanced = false;
  }
  seal_.partitions.erase(seal_.partitions.begin(),
                         seal_.partitions.begin() + sealed);
  seal_.busy += slice.elapsed();
  if (!seal_.partitions.empty()) return true;  // more at the next call
  // Outputs of events processed between the first and the last partition's
  // seal count in the sealed cycle too: it waits for a few more
  // acknowledgements than it needs, never fewer.
  seal_.active = false;
  cycle_.Close(std::exchange(polled_, {}), seal_.busy);
  sink_.set_tracker(&cycle_.outputs());
  return FinishSealed(/*block=*/false);
}

bool Shard::FinishSealed(bool block) {
  if (failed_) return false;
  absl::Status s = cycle_.Finish(block);
  if (!s.ok()) {
    Fail(std::move(s));
    return false;
  }
  return true;
}

void Shard::EmitLineAlerts() {
  auto it = owned_.find(0);
  if (it == owned_.end() || ctx_.lines == nullptr) return;
  state::PartitionStore& store = *it->second.store;
  const int64_t from = store.partition_record().lines_emitted();
  auto [alerts, next] = ctx_.lines->DecidedFrom(from);
  if (next == from) return;
  for (const v1::Alert& alert : alerts) sink_.EmitAlert(alert);
  store.MutablePartition().set_lines_emitted(next);
}

bool Shard::LineUpdateDue(int32_t partition, const Owned& owned) {
  const bool idle_news = owned.idle_without_events && !owned.idle_published;
  return sink_.line_updates().contains(partition) ||
         owned.store->partition_record().watermark() !=
             owned.published_watermark ||
         idle_news;
}

void Shard::PublishLineUpdate(int32_t partition, Owned& owned) {
  if (!LineUpdateDue(partition, owned)) return;
  auto& updates = sink_.line_updates();
  auto it = updates.find(partition);
  const v1::PartitionState& record = owned.store->partition_record();
  v1::LineUpdate update;
  if (it != updates.end()) {
    update = std::move(it->second);
    updates.erase(it);
  }
  update.set_source_partition(partition);
  update.set_watermark(record.watermark());
  update.set_first_watermark(record.first_watermark());
  update.set_idle_without_events(owned.idle_without_events &&
                                 record.watermark() == 0);
  const std::string key = absl::StrCat("p", partition);
  for (const v1::LineUpdate& part : SplitLineUpdate(
           std::move(update), owned.published_watermark, kMaxLineUpdateBytes)) {
    part.SerializeToString(&buffer_);
    absl::Status s = ctx_.producer.ProduceTo(
        ctx_.topics.lines, 0, key, &buffer_, owned.owner, &cycle_.outputs());
    if (!s.ok()) return;  // counted as a failed delivery of this cycle
  }
  owned.published_watermark = record.watermark();
  // The idle news (LineUpdateDue) is out with this update.
  if (owned.idle_without_events) owned.idle_published = true;
}

void Shard::AdvanceIdle() {
  const int64_t idle_after = ctx_.options.idle_after_ns;
  // Even with idle_after 0 (watermarks by event time only), a partition
  // that never had an event must not hold the line windows back forever.
  const int64_t empty_after =
      idle_after > 0 ? idle_after : ctx_.options.empty_partition_after_ns;
  if (failed_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_idle_check_ < kIdleCheckEvery) return;
  last_idle_check_ = now;
  for (auto& [p, owned] : owned_) {
    // A backlog never counts as idle.
    if (ctx_.stats.partitions[p].lag.load() > 0) continue;
    const int64_t quiet = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              now - owned.last_event)
                              .count();
    if (owned.max_event_time == 0) {
      if (quiet >= empty_after) owned.idle_without_events = true;
      continue;
    }
    if (idle_after <= 0 || quiet < idle_after) continue;
    const rules::TimeNs watermark =
        owned.max_event_time + quiet - ctx_.engine_options.allowed_lateness;
    if (watermark <= owned.store->partition_record().watermark()) continue;
    sink_.set_partition(p);
    sink_.BeginHold();
    engine_.AdvanceWatermark(watermark, *owned.store, sink_);
    const bool read_ok = owned.store->status().ok();
    sink_.EndHold(/*produce=*/read_ok);
    if (!read_ok) {
      Fail(ReadError(p, owned.store->status()));
      return;
    }
    touched_.push_back(p);
  }
  PublishWatermarks();
}

void Shard::StoreGroupOffsets() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_offsets_store_ < kStoreOffsetsEvery || failed_) return;
  last_offsets_store_ = now;
  std::vector<std::pair<int32_t, int64_t>> offsets;
  for (const auto& [p, owned] : owned_) {
    if (std::optional<int64_t> next = owned.store->next_offset()) {
      offsets.emplace_back(p, *next);
    }
  }
  cycle_.PublishOffsets(offsets);
}

bool Shard::CheckNotFrozen() {
  if (ctx_.freeze_watch == nullptr) return true;
  const std::chrono::milliseconds frozen =
      ctx_.freeze_watch->FrozenFor(std::chrono::steady_clock::now());
  if (frozen.count() == 0) return true;
  // What it consumed but did not process, and the cycle it did not commit,
  // are the new owners' now; outputs made from them here would reach the
  // topics after theirs, as older versions of the same tasks.
  Fail(ctx_.freeze_watch->StoodStill(frozen));
  return false;
}

void Shard::Fail(absl::Status status) {
  if (failed_) return;
  failed_ = true;
  spdlog::error("shard {} stops committing: {}", index_, status.ToString());
  ctx_.on_fatal(std::move(status));
}

}  // namespace callflow::pipeline
