#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "processor/pipeline/kafka_status.h"
#include "state/partition_store.h"

namespace RdKafka {
class KafkaConsumer;
}

namespace callflow::pipeline {

// What a restore did. A plain value; thread-compatible.
struct RestoreResult {
  int64_t start = 0;            // first changelog offset read
  int64_t records_read = 0;     // changelog records consumed
  int64_t changes_applied = 0;  // keys written to the store
  bool started_over = false;    // the local store was wiped first
  // The local store holds state the changelog has nothing of (the log is
  // empty before the new owner's marker: the topic was recreated or
  // emptied, or the changelog was just turned on over a single-host state
  // dir). The store is kept; its owner must write it to the changelog, or
  // the next owner elsewhere would restore only later changes.
  bool log_lacks_local_state = false;
};

// The consumer restores read with (plain assign, no group), kept across
// restores: creating one costs more than reading a small partition.
// Lifecycle: Create, use from one thread at a time, destroy.
class ChangelogReader {
 public:
  static absl::StatusOr<std::unique_ptr<ChangelogReader>> Create(
      const KafkaProperties& kafka);
  ~ChangelogReader();
  RdKafka::KafkaConsumer& consumer() { return *consumer_; }

 private:
  ChangelogReader() = default;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
};

// Progress callback: records read so far and records left to read.
using RestoreProgressFn = std::function<void(int64_t read, int64_t left)>;

// Brings one partition's store up to changelog offset `end` (exclusive; the
// offset of the new owner's marker), then records {new_owner, end + 1} as
// its position. Reads with its own consumer (plain assign, no group), from
// the store's position, or from the beginning when the store has none or
// its history diverged from the log (an instance that wrote as a zombie).
//
// Applying rule, the same for every reader so every restore of the same
// prefix gives the same state: an owner marker makes its owner current and
// drops the records of an unfinished cycle; data records count only when
// written by the current owner and only once their cycle-end record (of the
// same owner) is read; whatever follows the last cycle end is dropped.
//
// A changelog whose head is gone (low watermark past the needed start) is a
// FailedPrecondition: the store cannot be rebuilt exactly. `cancel` ends the
// read early with Cancelled. Runs on the caller's thread.
absl::StatusOr<RestoreResult> RestoreFromChangelog(
    ChangelogReader& reader, const std::string& topic, int32_t partition,
    int64_t end, uint64_t new_owner, state::PartitionStore& store,
    const std::atomic<bool>& cancel, const RestoreProgressFn& progress);
// The same with a reader of its own.
absl::StatusOr<RestoreResult> RestoreFromChangelog(
    const KafkaProperties& kafka, const std::string& topic, int32_t partition,
    int64_t end, uint64_t new_owner, state::PartitionStore& store,
    const std::atomic<bool>& cancel, const RestoreProgressFn& progress);

}  // namespace callflow::pipeline
