#include "processor/pipeline/internal/partition_loader.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "callflow/v1/state.pb.h"
#include "processor/pipeline/internal/changelog_records.h"
#include "processor/pipeline/internal/changelog_restore.h"
#include "processor/pipeline/internal/changelog_writes.h"
#include "processor/util/thread_name.h"

namespace callflow::pipeline {
namespace {

constexpr auto kOpenRetryDelay = std::chrono::milliseconds(250);
constexpr auto kCommittedTimeout = std::chrono::seconds(10);
constexpr auto kWaitWarnEvery = std::chrono::seconds(5);
// A state lock held longer than this is probably not a previous owner
// finishing its last cycle: the wait is logged as a warning with a hint.
constexpr auto kLongLockWait = std::chrono::seconds(30);
// The longest a load waits on Kafka between checks for a cancel or a stop.
constexpr auto kCancelCheckEvery = std::chrono::milliseconds(250);
constexpr auto kProgressEvery = std::chrono::seconds(2);

int64_t WallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string InstanceName() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, "/", getpid());
}

}  // namespace

PartitionLoader::PartitionLoader(Context context) : ctx_(std::move(context)) {
  // Every worker exists before any starts: they look at each other's loads.
  for (int i = 0; i < kWorkers; ++i) {
    workers_.push_back(std::make_unique<Worker>());
  }
  for (auto& worker : workers_) {
    worker->thread = std::thread([this, w = worker.get()] {
      util::NameThisThread("cf-loader");
      Work(*w);
    });
  }
}

PartitionLoader::~PartitionLoader() {
  {
    std::lock_guard lock(mu_);
    quit_ = true;
    for (auto& w : workers_) w->cancel = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w->thread.join();
  // A marker still unreported is reported while the producer closes, after
  // this: its tracker is left to that report (a few per stop at most).
  for (auto& tracker : unreported_) {
    if (!tracker->WaitAll(std::chrono::milliseconds(0))) tracker.release();
  }
}

void PartitionLoader::KeepUntilReported(
    std::unique_ptr<DeliveryTracker> tracker) {
  std::lock_guard lock(unreported_mu_);
  std::erase_if(unreported_, [](const std::unique_ptr<DeliveryTracker>& t) {
    return t->WaitAll(std::chrono::milliseconds(0));
  });
  unreported_.push_back(std::move(tracker));
}

void PartitionLoader::Load(int32_t partition) {
  ctx_.stats.partitions[partition].phase =
      static_cast<int>(PartitionPhase::kRestoring);
  {
    std::lock_guard lock(mu_);
    queue_.push_back(partition);
  }
  cv_.notify_all();
}

bool PartitionLoader::LoadingLocked(int32_t partition) const {
  return std::any_of(workers_.begin(), workers_.end(),
                     [&](const auto& w) { return w->loading == partition; });
}

void PartitionLoader::Cancel(int32_t partition) {
  std::unique_lock lock(mu_);
  std::erase(queue_, partition);
  for (auto& w : workers_) {
    if (w->loading == partition) w->cancel = true;
  }
  cv_.wait(lock, [&] { return !LoadingLocked(partition); });
  std::erase_if(ready_, [&](const LoadedPartition& l) {
    return l.partition == partition;
  });
  ctx_.stats.partitions[partition].phase =
      static_cast<int>(PartitionPhase::kNone);
  ctx_.stats.partitions[partition].restore_lag = 0;
}

std::vector<LoadedPartition> PartitionLoader::TakeReady() {
  std::lock_guard lock(mu_);
  return std::exchange(ready_, {});
}

size_t PartitionLoader::busy() const {
  std::lock_guard lock(mu_);
  return queue_.size() + static_cast<size_t>(std::count_if(
                             workers_.begin(), workers_.end(),
                             [](const auto& w) { return w->loading >= 0; }));
}

std::deque<int32_t>::iterator PartitionLoader::NextLocked() {
  return std::find_if(queue_.begin(), queue_.end(),
                      [&](int32_t p) { return !LoadingLocked(p); });
}

void PartitionLoader::Work(Worker& worker) {
  while (true) {
    int32_t partition = -1;
    {
      std::unique_lock lock(mu_);
      // A partition queued again while another worker still loads it waits
      // for that load: one store per partition.
      cv_.wait(lock, [&] { return quit_ || NextLocked() != queue_.end(); });
      if (quit_) return;
      auto next = NextLocked();
      partition = *next;
      queue_.erase(next);
      worker.loading = partition;
      worker.cancel = false;
    }
    LoadedPartition loaded = LoadOne(partition, worker);
    {
      std::lock_guard lock(mu_);
      if (!worker.cancel) {
        ready_.push_back(std::move(loaded));
      } else {
        // Closed before the partition stops counting as loading, so a
        // worker that loads it again next never finds its RocksDB lock
        // still taken by this one.
        loaded.store.reset();
      }
      worker.loading = -1;
    }
    cv_.notify_all();
  }
}

bool PartitionLoader::Abandoned(const std::atomic<bool>& cancel) const {
  return cancel || ctx_.stop.load();
}

absl::StatusOr<std::unique_ptr<state::PartitionStore>> PartitionLoader::Open(
    int32_t partition, const std::atomic<bool>& cancel) {
  // On a shared state dir the previous owner may still be finishing its
  // last cycle (up to message.timeout.ms) before it releases the lock.
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + ctx_.open_timeout;
  auto last_log = std::chrono::steady_clock::time_point();
  while (true) {
    auto store = state::PartitionStore::Open(ctx_.env, partition);
    if (store.ok() || !absl::IsFailedPrecondition(store.status())) {
      return store;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return store;
    if (Abandoned(cancel)) {
      return absl::CancelledError(
          absl::StrCat("partition ", partition, ": open cancelled"));
    }
    if (now - last_log >= kWaitWarnEvery) {
      // A previous owner finishing its last cycle takes seconds; longer
      // than that, it is most likely another process on this state dir.
      std::string hint;
      auto level = spdlog::level::info;
      if (now - started >= kLongLockWait) {
        using std::chrono::duration_cast;
        using std::chrono::seconds;
        level = spdlog::level::warn;
        hint = absl::StrCat(
            "; still held after ",
            duration_cast<seconds>(now - started).count(),
            " s: is another process (a second instance, another group) using "
            "this state dir? Each instance needs one of its own. Giving up in ",
            duration_cast<seconds>(deadline - now).count(), " s");
      }
      spdlog::log(level,
                  "partition {}: waiting for the previous owner to release "
                  "its state ({}){}",
                  partition, std::string(store.status().message()), hint);
      last_log = now;
    }
    std::this_thread::sleep_for(kOpenRetryDelay);
  }
}

// Asked in short waits: while the consumer closes (a stop), the group
// answers no offset fetch, and close() revokes the partitions, which waits
// for their loads to end. One long wait held every stop that came while a
// partition was loading for all of it (about 10 s).
absl::StatusOr<int64_t> PartitionLoader::GroupOffset(
    int32_t partition, const std::atomic<bool>& cancel) {
  std::unique_ptr<RdKafka::TopicPartition> tp(
      RdKafka::TopicPartition::create(ctx_.topics.events, partition));
  std::vector<RdKafka::TopicPartition*> tps = {tp.get()};
  const auto deadline = std::chrono::steady_clock::now() + kCommittedTimeout;
  while (true) {
    const RdKafka::ErrorCode err = ctx_.consumer.committed(
        tps, static_cast<int>(kCancelCheckEvery.count()));
    if (err == RdKafka::ERR_NO_ERROR) {
      return tp->offset() >= 0 ? tp->offset() : -1;
    }
    if (err != RdKafka::ERR__TIMED_OUT ||
        std::chrono::steady_clock::now() >= deadline) {
      return KafkaStatus(err, "reading the group's committed offsets");
    }
    if (Abandoned(cancel)) {
      return absl::CancelledError(absl::StrCat(
          "partition ", partition, ": reading the group's offset cancelled"));
    }
  }
}

absl::StatusOr<int64_t> PartitionLoader::StartOffset(
    const state::PartitionStore& store, const std::atomic<bool>& cancel) {
  if (std::optional<int64_t> next = store.next_offset()) return *next;
  auto group = GroupOffset(store.partition(), cancel);
  if (!group.ok()) return group.status();
  if (*group >= 0) return StateLost(store.partition(), *group);
  auto reset = ctx_.kafka.find("auto.offset.reset");
  const bool latest = reset != ctx_.kafka.end() &&
                      (reset->second == "latest" || reset->second == "end" ||
                       reset->second == "largest");
  return latest ? RdKafka::Topic::OFFSET_END : RdKafka::Topic::OFFSET_BEGINNING;
}

absl::Status PartitionLoader::StateLost(int32_t p, int64_t group) const {
  const std::string lost = absl::StrCat(
      "partition ", p, " of ", ctx_.topics.events, " has no local state in ",
      ctx_.env.options().dir, "/p-", p,
      " but the group has already consumed it up to offset ", group);
  if (!ctx_.options.changelog) {
    return absl::FailedPreconditionError(absl::StrCat(
        lost,
        "; with [state] changelog = false its state cannot move between "
        "hosts: give this instance the previous owner's state dir, or turn "
        "the changelog on"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      lost, ", and the changelog ", ctx_.topics.changelog, " [", p,
      "] holds none of it (the topic was deleted, recreated or emptied, or "
      "the changelog was turned on after the partition was processed "
      "without it). Carrying on would start its callers, callback tasks and "
      "timers from nothing. Give this instance the state dir of the host "
      "that had the partition, or bring the changelog topic back; to accept "
      "the loss, stop the group and delete its committed offsets of ",
      ctx_.topics.events,
      " (kafka-consumer-groups --delete-offsets), and the partition starts "
      "where auto.offset.reset says"));
}

absl::StatusOr<int64_t> PartitionLoader::WriteMarker(
    int32_t partition, uint64_t owner, const std::atomic<bool>& cancel) {
  // On the heap: a load cancelled before the broker answered leaves it to
  // the delivery report (KeepUntilReported). On the stack it was a dead
  // frame by then, and the report wrote into it (a crash found by the
  // chaos soak: a stop while a broker was down).
  auto tracker = std::make_unique<DeliveryTracker>(
      &ctx_.stats.marker_delivery_errors, /*record_offsets=*/true);
  v1::ChangelogOwner marker;
  marker.set_owner(owner);
  marker.set_instance(InstanceName());
  marker.set_taken_at(WallNs());
  const std::string value = marker.SerializeAsString();
  if (absl::Status s =
          Acknowledged(ctx_.producer.ProduceTo(ctx_.topics.changelog, partition,
                                               OwnerKey(owner), &value, owner,
                                               tracker.get()),
                       tracker, partition, "the owner marker", cancel);
      !s.ok()) {
    return s;
  }
  return tracker->MaxOffset(partition);
}

absl::Status PartitionLoader::Acknowledged(
    absl::Status produced, std::unique_ptr<DeliveryTracker>& tracker,
    int32_t partition, absl::string_view what,
    const std::atomic<bool>& cancel) {
  if (!produced.ok()) {
    KeepUntilReported(std::move(tracker));
    return produced;
  }
  // Short waits, so a stop or a revoke meanwhile ends the load at once.
  auto next_warning = std::chrono::steady_clock::now() + kWaitWarnEvery;
  while (!tracker->WaitAll(kCancelCheckEvery)) {
    if (Abandoned(cancel)) {
      KeepUntilReported(std::move(tracker));
      return absl::CancelledError(
          absl::StrCat("partition ", partition, ": ", what,
                       " not acknowledged before the load ended"));
    }
    if (std::chrono::steady_clock::now() >= next_warning) {
      spdlog::warn("partition {}: waiting for the changelog to take {}",
                   partition, std::string(what));
      next_warning += kWaitWarnEvery;
    }
  }
  if (tracker->failed() > 0) {
    return absl::UnavailableError(absl::StrCat(
        "the changelog record(s) of ", what, " of partition ", partition,
        " were not delivered (first error: ", tracker->first_error(),
        "); nothing of this partition is processed without them"));
  }
  return absl::OkStatus();
}

absl::Status PartitionLoader::SeedChangelog(int32_t partition, uint64_t owner,
                                            state::PartitionStore& store,
                                            const std::atomic<bool>& cancel) {
  spdlog::warn(
      "partition {}: the changelog {} holds none of the local state in {}/p-{} "
      "(the topic was recreated or emptied, or the changelog was just turned "
      "on); writing all of it to the changelog, so another host can restore "
      "it",
      partition, ctx_.topics.changelog, ctx_.env.options().dir, partition);
  auto tracker = std::make_unique<DeliveryTracker>(
      &ctx_.stats.marker_delivery_errors, /*record_offsets=*/true);
  auto records = ProduceWholeStore(ctx_.producer, ctx_.topics.changelog,
                                   partition, owner, store, tracker.get());
  absl::Status s = Acknowledged(records.status(), tracker, partition,
                                "the local state", cancel);
  if (!s.ok()) return s;
  // Its cycle end only once every record of the cycle is in the log.
  std::string buffer;
  s = Acknowledged(
      ProduceCycleEnd(ctx_.producer, ctx_.topics.changelog, partition, owner,
                      *records, tracker.get(), &buffer),
      tracker, partition, "the local state", cancel);
  if (!s.ok()) return s;
  v1::ChangelogPosition position;
  position.set_owner(owner);
  position.set_next(tracker->MaxOffset(partition) + 1);
  if (s = store.ApplyRestored({}, position); !s.ok()) return s;
  spdlog::info("partition {}: wrote {} keys of local state to the changelog",
               partition, *records);
  return absl::OkStatus();
}

LoadedPartition PartitionLoader::LoadOne(int32_t partition, Worker& worker) {
  LoadedPartition out;
  out.partition = partition;
  PartitionCounters& pc = ctx_.stats.partitions[partition];
  auto store = Open(partition, worker.cancel);
  if (!store.ok()) {
    out.status = store.status();
    return out;
  }
  if (!ctx_.options.changelog) {
    out.status = SetStart(out, std::move(*store), worker.cancel);
    return out;
  }
  out.owner = NewOwnerToken();
  auto marker = WriteMarker(partition, out.owner, worker.cancel);
  if (!marker.ok()) {
    out.status = marker.status();
    return out;
  }
  const auto started = std::chrono::steady_clock::now();
  auto last_log = started;
  int64_t last_read = 0;
  auto progress = [&](int64_t read, int64_t left) {
    ctx_.stats.restore_records.fetch_add(read - last_read);
    last_read = read;
    pc.restore_lag = left;
    const auto now = std::chrono::steady_clock::now();
    if (left > 0 && now - last_log >= kProgressEvery) {
      spdlog::info(
          "partition {}: restoring, {} changelog records read, {} "
          "left",
          partition, read, left);
      last_log = now;
    }
  };
  if (worker.reader == nullptr) {
    auto reader = ChangelogReader::Create(ctx_.kafka);
    if (!reader.ok()) {
      out.status = reader.status();
      return out;
    }
    worker.reader = *std::move(reader);
  }
  auto result = RestoreFromChangelog(*worker.reader, ctx_.topics.changelog,
                                     partition, *marker, out.owner, **store,
                                     worker.cancel, progress);
  pc.restore_lag = 0;
  if (!result.ok()) {
    out.status = result.status();
    return out;
  }
  ctx_.stats.restores.fetch_add(1);
  if (result->log_lacks_local_state) {
    out.status = SeedChangelog(partition, out.owner, **store, worker.cancel);
    if (!out.status.ok()) return out;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  if (result->records_read > 0 || result->started_over) {
    spdlog::info(
        "partition {}: restored from changelog offset {} to {} ({} "
        "records, {} keys written{}) in {:.1f} s",
        partition, result->start, *marker, result->records_read,
        result->changes_applied,
        result->started_over ? ", local state rebuilt" : "", seconds);
  }
  out.status = SetStart(out, std::move(*store), worker.cancel);
  return out;
}

absl::Status PartitionLoader::SetStart(
    LoadedPartition& out, std::unique_ptr<state::PartitionStore> store,
    const std::atomic<bool>& cancel) {
  auto start = StartOffset(*store, cancel);
  if (!start.ok()) return start.status();
  out.start_offset = *start;
  out.store = std::move(store);
  return absl::OkStatus();
}

}  // namespace callflow::pipeline
