#include "processor/pipeline/internal/commit_cycle.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "callflow/v1/state.pb.h"
#include "processor/pipeline/internal/changelog_records.h"
#include "processor/pipeline/internal/changelog_writes.h"
#include "processor/pipeline/internal/work_slice.h"

namespace callflow::pipeline {
namespace {

// While waiting for acknowledgements: how often an abort is noticed, and how
// often the wait is logged.
constexpr auto kAbortCheckEvery = std::chrono::milliseconds(100);
constexpr auto kDeliveryWarnEvery = std::chrono::seconds(5);

absl::Status CommitError(int32_t partition, const absl::Status& s) {
  return absl::Status(s.code(),
                      absl::StrCat("commit p", partition, ": ", s.message()));
}

}  // namespace

CommitCycle::CommitCycle(Context context)
    : ctx_(std::move(context)),
      trackers_{DeliveryTracker(ctx_.delivery_errors),
                DeliveryTracker(ctx_.delivery_errors)},
      changelog_trackers_{
          DeliveryTracker(ctx_.delivery_errors, /*record_offsets=*/true),
          DeliveryTracker(ctx_.delivery_errors, /*record_offsets=*/true)} {
  if (ctx_.on_all_reported) {
    for (DeliveryTracker* t :
         {&trackers_[0], &trackers_[1], &changelog_trackers_[0],
          &changelog_trackers_[1]}) {
      t->set_on_all_reported(ctx_.on_all_reported);
    }
  }
}

absl::Status CommitCycle::SealPartition(int32_t partition,
                                        state::PartitionStore& store,
                                        uint64_t owner,
                                        std::optional<int64_t> next) {
  if (absl::Status s = store.Seal(next); !s.ok()) {
    return CommitError(partition, s);
  }
  SealedPartition sealed{partition, &store, owner, next, std::nullopt};
  if (owner != 0 && store.sealed()) {
    // A refused record is counted as a failed delivery of this cycle, whose
    // wait then fails the cycle before anything is written; stop producing.
    DeliveryTracker* tracker = &changelog();
    bool ok = true;
    const size_t n = store.ForEachSealedChange(
        [&](std::string_view key, const std::string* value) {
          if (ok) {
            ok = ctx_.producer
                     .ProduceTo(ctx_.changelog_topic, partition, key, value,
                                owner, tracker)
                     .ok();
          }
        });
    sealed.changelog_records = static_cast<uint32_t>(n);
  }
  sealing_.push_back(sealed);
  return absl::OkStatus();
}

void CommitCycle::Close(
    std::vector<std::chrono::steady_clock::time_point> polled,
    std::chrono::microseconds busy) {
  sealed_.pending = true;
  sealed_.tracker = &trackers_[current_];
  sealed_.changelog = &changelog_trackers_[current_];
  sealed_.cycle_ends_sent = false;
  sealed_.written_some = false;
  sealed_.partitions.swap(sealing_);
  sealing_.clear();
  sealed_.polled = std::move(polled);
  sealed_.busy = busy;
  current_ = 1 - current_;
  changelog_trackers_[current_].ClearOffsets();
}

absl::Status CommitCycle::Finish(bool block) {
  if (!sealed_.pending) return absl::OkStatus();
  DeliveryTracker& tracker = *sealed_.tracker;
  DeliveryTracker& changelog = *sealed_.changelog;
  if ((tracker.outstanding() > 0 || changelog.outstanding() > 0) && !block) {
    return absl::OkStatus();
  }
  const auto started = std::chrono::steady_clock::now();

  // Every output and changelog record of the sealed cycle is acknowledged
  // (or failed). Only then may the changelog's cycle-end records go out: a
  // restore applies a cycle once its end is read, so the end must never be
  // in the log before the cycle's outputs are (a new owner would start
  // after outputs nobody acknowledged).
  const bool has_cycle_ends = std::any_of(
      sealed_.partitions.begin(), sealed_.partitions.end(),
      [](const SealedPartition& p) { return p.changelog_records.has_value(); });
  if (has_cycle_ends && !sealed_.cycle_ends_sent) {
    for (DeliveryTracker* t : {&tracker, &changelog}) {
      if (absl::Status s = WaitDelivered(*t); !s.ok()) return s;
    }
    if (tracker.failed() == 0 && changelog.failed() == 0) {
      SendCycleEnds();
      if (!block && changelog.outstanding() > 0) return absl::OkStatus();
    }
  }
  for (DeliveryTracker* t : {&tracker, &changelog}) {
    if (absl::Status s = WaitDelivered(*t); !s.ok()) return s;
    if (t->failed() > 0) {
      return absl::UnavailableError(absl::StrCat(
          "shard ", ctx_.shard, ": ", t->failed(),
          " output record(s) were not delivered (first error: ",
          t->first_error(), "); state and offsets not committed past them"));
    }
  }
  if (ctx_.observer != nullptr && !sealed_.polled.empty()) {
    ctx_.observer->OnAcknowledged(ctx_.shard, std::chrono::steady_clock::now(),
                                  sealed_.polled);
  }
  sealed_.polled.clear();

  if (absl::Status s = WriteSealed(/*all=*/block); !s.ok()) return s;
  // Commit time = time the shard spent on the cycle (sealing, waiting for
  // acknowledgements it could not overlap, writing, in one call or more).
  sealed_.busy += std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  if (sealed_.pending) return absl::OkStatus();  // more at the next call
  const uint64_t us = sealed_.busy.count();
  ShardCounters& counters = ctx_.stats.shards[ctx_.shard];
  counters.commits.fetch_add(1, std::memory_order_relaxed);
  counters.last_commit_us.store(us, std::memory_order_relaxed);
  counters.commit_us_total.fetch_add(us, std::memory_order_relaxed);
  if (ctx_.observer != nullptr) ctx_.observer->OnCommit(ctx_.shard, us / 1e6);
  return absl::OkStatus();
}

absl::Status CommitCycle::WriteSealed(bool all) {
  WorkSlice slice(all, ctx_.write_slice);
  std::vector<std::pair<int32_t, int64_t>> offsets;
  while (!sealed_.partitions.empty() && !slice.Over()) {
    const SealedPartition sealed = sealed_.partitions.front();
    state::PartitionStore& store = *sealed.store;
    absl::Status s;
    if (sealed.owner != 0 && store.sealed()) {
      v1::ChangelogPosition pos;
      pos.set_owner(sealed.owner);
      pos.set_next(sealed_.changelog->MaxOffset(sealed.partition) + 1);
      s = store.SetSealedChangelogPosition(pos);
    }
    if (s.ok()) s = store.WriteSealed();
    if (!s.ok()) return CommitError(sealed.partition, s);
    if (ctx_.observer != nullptr) {
      ctx_.observer->OnPartitionCommitted(ctx_.shard, sealed.partition,
                                          store.Stats());
    }
    if (sealed.next) {
      ctx_.stats.partitions[sealed.partition].committed_offset = *sealed.next;
      offsets.emplace_back(sealed.partition, *sealed.next);
    }
    sealed_.partitions.erase(sealed_.partitions.begin());
    sealed_.written_some = true;
  }
  sealed_.pending = !sealed_.partitions.empty();
  PublishOffsets(offsets);
  return absl::OkStatus();
}

void CommitCycle::Forget(int32_t partition) {
  for (auto* list : {&sealed_.partitions, &sealing_}) {
    std::erase_if(*list, [&](const SealedPartition& p) {
      return p.partition == partition;
    });
  }
}

void CommitCycle::PublishOffsets(
    const std::vector<std::pair<int32_t, int64_t>>& offsets) {
  if (!offsets.empty()) ctx_.offsets.Publish(offsets);
}

absl::Status CommitCycle::WaitDelivered(DeliveryTracker& tracker) {
  const auto started = std::chrono::steady_clock::now();
  auto next_warning = started + kDeliveryWarnEvery;
  while (!tracker.WaitAll(kAbortCheckEvery)) {
    if (ctx_.abort.load(std::memory_order_relaxed)) {
      return absl::DeadlineExceededError(absl::StrCat(
          "shard ", ctx_.shard, ": stopped with ", tracker.outstanding(),
          " record(s) of a cycle not acknowledged (shutdown_timeout passed, "
          "a second stop signal, or the process stood still past its "
          "session); that cycle's state and offsets are not committed, its "
          "events are processed again by the next owner"));
    }
    if (std::chrono::steady_clock::now() >= next_warning) {
      spdlog::warn("shard {}: waiting for {} deliveries before commit",
                   ctx_.shard, tracker.outstanding());
      next_warning += kDeliveryWarnEvery;
    }
  }
  return absl::OkStatus();
}

void CommitCycle::SendCycleEnds() {
  for (const SealedPartition& sealed : sealed_.partitions) {
    if (!sealed.changelog_records) continue;
    ProduceCycleEnd(ctx_.producer, ctx_.changelog_topic, sealed.partition,
                    sealed.owner, *sealed.changelog_records, sealed_.changelog,
                    &buffer_)
        .IgnoreError();  // counted by the tracker
  }
  sealed_.cycle_ends_sent = true;
}

}  // namespace callflow::pipeline
