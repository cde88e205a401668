#include "processor/pipeline/internal/changelog_restore.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "callflow/v1/state.pb.h"
#include "processor/pipeline/internal/changelog_records.h"
#include "processor/pipeline/internal/watermark_query.h"

namespace callflow::pipeline {
namespace {

// Changes written to RocksDB per WriteBatch while restoring.
constexpr size_t kApplyBatch = 50000;
constexpr int kConsumeTimeoutMs = 200;
constexpr auto kWatermarkTimeout = std::chrono::seconds(10);

// Records of a read that diverged from the store's history.
struct Diverged {};

// The partition needs the changelog from offset 0 but it starts at `low`.
// `situation` says why the whole log is needed; `cause` the likely cause.
absl::Status HeadGone(const std::string& topic, int32_t partition, int64_t low,
                      absl::string_view situation, absl::string_view cause) {
  return absl::FailedPreconditionError(absl::StrCat(
      "changelog ", topic, " [", partition, "]: ", situation,
      "the log starts at offset ", low,
      ", not 0: its head is gone, so this partition's state cannot be "
      "rebuilt. ",
      cause,
      "Give the changelog topic cleanup.policy=compact and no time "
      "retention"));
}

class Restore {
 public:
  Restore(const std::string& topic, int32_t partition, int64_t end,
          state::PartitionStore& store, const std::atomic<bool>& cancel,
          const RestoreProgressFn& progress)
      : topic_(topic),
        partition_(partition),
        end_(end),
        store_(store),
        cancel_(cancel),
        progress_(progress) {}

  // Reads [start, end_) following `owner` (0: none until the first marker).
  // Returns Aborted when the store's history diverged from the log.
  absl::Status Run(RdKafka::KafkaConsumer& consumer, int64_t start,
                   uint64_t owner, bool check_divergence) {
    current_ = owner;
    check_divergence_ = check_divergence;
    applied_through_ = start;
    std::unique_ptr<RdKafka::TopicPartition> tp(
        RdKafka::TopicPartition::create(topic_, partition_, start));
    std::vector<RdKafka::TopicPartition*> tps = {tp.get()};
    if (absl::Status s = KafkaStatus(consumer.assign(tps), "restore assign");
        !s.ok()) {
      return s;
    }
    // On every way out (a cancel, a bad record too): an assigned reader,
    // kept for the next restore, would go on prefetching this partition
    // into memory (up to queued.max.messages.kbytes) while nobody reads.
    struct Unassign {
      RdKafka::KafkaConsumer& consumer;
      ~Unassign() { consumer.unassign(); }
    } unassign{consumer};
    int64_t next = start;
    while (next < end_) {
      if (cancel_.load()) return absl::CancelledError("restore cancelled");
      std::unique_ptr<RdKafka::Message> m(consumer.consume(kConsumeTimeoutMs));
      if (m->err() == RdKafka::ERR__TIMED_OUT ||
          m->err() == RdKafka::ERR__PARTITION_EOF) {
        continue;
      }
      if (m->err() != RdKafka::ERR_NO_ERROR) {
        spdlog::warn("restore p{}: {}", partition_, m->errstr());
        continue;
      }
      if (m->offset() < next) continue;
      next = m->offset() + 1;
      if (m->offset() >= end_) break;
      ++read_;
      if (absl::Status s = Take(*m); !s.ok()) return s;
      if (progress_ && read_ % 10000 == 0) progress_(read_, end_ - next);
    }
    return Flush();
  }

  int64_t read() const { return read_; }
  int64_t applied() const { return applied_; }
  uint64_t current_owner() const { return current_; }

 private:
  absl::Status Take(RdKafka::Message& m) {
    const std::optional<uint64_t> owner = OwnerOf(m);
    const std::string* key = m.key();
    if (!owner || key == nullptr) {
      spdlog::warn(
          "restore p{}: record at offset {} has no owner or key; "
          "skipped",
          partition_, m.offset());
      return absl::OkStatus();
    }
    if (key->compare(0, kOwnerKeyPrefix.size(), kOwnerKeyPrefix) == 0) {
      cycle_.clear();
      current_ = *owner;
      check_divergence_ = false;
      return absl::OkStatus();
    }
    if (*owner != current_) {
      // Another owner wrote here without a marker since our position: the
      // local store followed a writer the log does not.
      if (check_divergence_) return absl::AbortedError("diverged");
      return absl::OkStatus();  // a zombie's late write
    }
    check_divergence_ = false;
    if (IsCycleKey(*key)) {
      for (auto& change : cycle_) pending_.push_back(std::move(change));
      cycle_.clear();
      applied_through_ = m.offset() + 1;
      if (pending_.size() >= kApplyBatch) return Flush();
      return absl::OkStatus();
    }
    state::PartitionStore::Change change;
    change.key = *key;
    if (m.payload() != nullptr) {
      change.value.emplace(static_cast<const char*>(m.payload()), m.len());
    }
    cycle_.push_back(std::move(change));
    return absl::OkStatus();
  }

  absl::Status Flush() {
    if (pending_.empty()) return absl::OkStatus();
    v1::ChangelogPosition pos;
    pos.set_owner(current_);
    pos.set_next(applied_through_);
    applied_ += static_cast<int64_t>(pending_.size());
    absl::Status s = store_.ApplyRestored(pending_, pos);
    pending_.clear();
    return s;
  }

  const std::string& topic_;
  const int32_t partition_;
  const int64_t end_;
  state::PartitionStore& store_;
  const std::atomic<bool>& cancel_;
  const RestoreProgressFn& progress_;
  uint64_t current_ = 0;
  bool check_divergence_ = false;
  int64_t applied_through_ = 0;
  int64_t read_ = 0;
  int64_t applied_ = 0;
  std::vector<state::PartitionStore::Change> cycle_;    // unfinished cycle
  std::vector<state::PartitionStore::Change> pending_;  // finished, unwritten
};

}  // namespace

absl::StatusOr<std::unique_ptr<ChangelogReader>> ChangelogReader::Create(
    const KafkaProperties& kafka) {
  auto conf = MakeKafkaConf(KafkaClient::kConsumer,
                            {{"group.id", "callflow-restore"},
                             {"enable.auto.commit", "false"},
                             {"enable.partition.eof", "false"},
                             {"auto.offset.reset", "error"},
                             // librdkafka 2.0.2 stalls 1 s when its prefetch
                             // queue passes these: keep them high.
                             {"queued.min.messages", "1000000"},
                             {"queued.max.messages.kbytes", "1048576"},
                             {"fetch.message.max.bytes", "8388608"},
                             // A restore reads a finite log: an empty fetch
                             // should come back at once.
                             {"fetch.wait.max.ms", "10"}},
                            kafka);
  if (!conf.ok()) return conf.status();
  std::string err;
  std::unique_ptr<ChangelogReader> reader(new ChangelogReader());
  reader->consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (reader->consumer_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("restore consumer: ", err));
  }
  return reader;
}

ChangelogReader::~ChangelogReader() {
  if (consumer_ != nullptr) consumer_->close();
}

absl::StatusOr<RestoreResult> RestoreFromChangelog(
    const KafkaProperties& kafka, const std::string& topic, int32_t partition,
    int64_t end, uint64_t new_owner, state::PartitionStore& store,
    const std::atomic<bool>& cancel, const RestoreProgressFn& progress) {
  auto reader = ChangelogReader::Create(kafka);
  if (!reader.ok()) return reader.status();
  return RestoreFromChangelog(**reader, topic, partition, end, new_owner, store,
                              cancel, progress);
}

absl::StatusOr<RestoreResult> RestoreFromChangelog(
    ChangelogReader& reader, const std::string& topic, int32_t partition,
    int64_t end, uint64_t new_owner, state::PartitionStore& store,
    const std::atomic<bool>& cancel, const RestoreProgressFn& progress) {
  RdKafka::KafkaConsumer* consumer = &reader.consumer();
  int64_t low = 0, high = 0;
  if (absl::Status s = QueryWatermarks(*consumer, topic, partition,
                                       kWatermarkTimeout, &low, &high);
      !s.ok()) {
    return s;
  }
  RestoreResult result;
  const std::optional<v1::ChangelogPosition>& pos = store.changelog_position();
  int64_t start = low;
  uint64_t owner = 0;
  bool from_position = false;
  if (pos.has_value() && pos->next() >= low && pos->next() <= end) {
    start = pos->next();
    owner = pos->owner();
    from_position = true;
  } else if (pos.has_value() && pos->next() < low) {
    return absl::FailedPreconditionError(absl::StrCat(
        "changelog ", topic, " [", partition, "] starts at offset ", low,
        " but the local state of this partition needs it from offset ",
        pos->next(),
        ": the log's head is gone (retention or a full test broker); give "
        "the changelog topic cleanup.policy=compact and no time retention"));
  } else if (!store.empty() && low < end) {
    // No position (or one ahead of the log): the log is the truth.
    if (absl::Status s = store.Wipe(); !s.ok()) return s;
    result.started_over = true;
  }
  if (!from_position && low > 0 && low < end) {
    return HeadGone(topic, partition, low, "", "");
  }
  result.start = start;
  result.log_lacks_local_state = !from_position && low == end && !store.empty();
  Restore restore(topic, partition, end, store, cancel, progress);
  absl::Status s = restore.Run(*consumer, start, owner, from_position);
  if (absl::IsAborted(s) && low > 0) {
    // Starting over needs the whole log: from `low` it would drop what the
    // lost head held and carry on as if the state were complete.
    return HeadGone(topic, partition, low,
                    "the local state has writes the changelog does not keep, "
                    "and ",
                    "Is another consumer group writing to this changelog "
                    "topic (each group needs changelog and lines topics of "
                    "its own)? ");
  }
  if (absl::IsAborted(s)) {
    spdlog::warn(
        "restore p{}: the local state has writes the changelog does not "
        "keep (this instance wrote after losing the partition, or another "
        "consumer group writes to this changelog topic); restoring from the "
        "beginning",
        partition);
    if (absl::Status w = store.Wipe(); !w.ok()) return w;
    result.started_over = true;
    result.start = low;
    Restore again(topic, partition, end, store, cancel, progress);
    s = again.Run(*consumer, low, 0, false);
    result.records_read = restore.read() + again.read();
    result.changes_applied = again.applied();
  } else {
    result.records_read = restore.read();
    result.changes_applied = restore.applied();
  }
  if (!s.ok()) return s;
  // Our own marker is at `end`: from here on, only our cycles.
  v1::ChangelogPosition mine;
  mine.set_owner(new_owner);
  mine.set_next(end + 1);
  if (absl::Status w = store.ApplyRestored({}, mine); !w.ok()) return w;
  if (progress) progress(result.records_read, 0);
  return result;
}

}  // namespace callflow::pipeline
