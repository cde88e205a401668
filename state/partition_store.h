#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "processor/rules/state_view.h"
#include "state/state_env.h"

namespace callflow::state {

// Sizes of one partition's store, for metrics and the bench tool. A plain
// value; thread-compatible.
struct PartitionStats {
  uint64_t estimated_keys = 0;
  uint64_t live_data_bytes = 0;
  uint64_t pending_compaction_bytes = 0;
  uint64_t cached_callers = 0;
  // RocksDB iterators opened to read timers since Open() (each costs a
  // seek in every memtable and level).
  uint64_t timer_scans = 0;
};

// The state of one Kafka partition: a RocksDB database in
// `<state dir>/p-<partition>` holding caller records, timers, the partition
// record (watermark, windows) and the consumed offset. A bounded in-memory
// caller cache sits in front. Changes made through the StateView interface
// are buffered until Commit(), which writes them and the consumed offset in
// one atomic WriteBatch: a change that is not committed leaves no trace.
//
// Lifecycle: Open() when the partition is assigned, Commit() per cycle,
// destroy when revoked or stopped: destroying it flushes (FlushToDisk()),
// unless StateOptions::flush_on_close is off. Not thread-safe: owned by one
// thread at a time (a loader, then a shard).
class PartitionStore : public rules::StateView {
 public:
  static absl::StatusOr<std::unique_ptr<PartitionStore>> Open(
      StateEnv& env, int32_t partition);
  ~PartitionStore() override;

  int32_t partition() const;
  // Next offset to consume (the last committed consumed offset + 1), or
  // nullopt when the partition never committed.
  std::optional<int64_t> next_offset() const;

  // Reads the records of `keys` that are not cached yet with one MultiGet.
  absl::Status Prefetch(const std::vector<std::string>& keys);

  // Writes every buffered change plus next_offset (nullopt: keep the old one)
  // in one WriteBatch, then trims the caller cache to its budget. Writes a
  // sealed batch first, if one is pending.
  absl::Status Commit(std::optional<int64_t> next_offset);

  // Commit in two steps, so the owner can go on changing state between them
  // (the pipeline seals a cycle, keeps processing while the cycle's outputs
  // are acknowledged, then writes it). Seal() takes every buffered change
  // plus next_offset into one pending WriteBatch and empties the buffers;
  // later changes are buffered for the next Seal() and reads see both.
  // WriteSealed() writes the pending batch (no-op without one), makes its
  // next_offset the store's next_offset(), and trims the caller cache. At
  // most one sealed batch: Seal() with one pending is FailedPrecondition.
  // A sealed batch that is never written leaves no trace, like uncommitted
  // changes. A failed write fails the store (status()).
  absl::Status Seal(std::optional<int64_t> next_offset);
  absl::Status WriteSealed();
  // True between Seal() (that had something to seal) and WriteSealed().
  bool sealed() const;

  // Moves what was written from the memtables into SST files, so the
  // write-ahead log holds nothing and the next Open() of this partition
  // replays nothing. The destructor calls it (and ignores a failure); call it
  // first to see the status. A store closed without it (a killed process)
  // loses nothing either, but the next Open() re-inserts every record
  // written since the last flush (about a CPU-second per 600K callers on
  // the bench machine). Buffered and sealed changes are not written by it
  // (Commit() or WriteSealed() first).
  absl::Status FlushToDisk();

  // Calls `fn(key, value)` for every change of the sealed, unwritten batch in
  // order (`value` null for a delete): what the changelog carries. Returns
  // how many. Nothing sealed: 0.
  size_t ForEachSealedChange(
      const std::function<void(std::string_view key, const std::string* value)>&
          fn) const;
  // Adds the changelog position to the sealed batch (written with it).
  absl::Status SetSealedChangelogPosition(const v1::ChangelogPosition& pos);
  // The changelog position the written state reflects (nullopt: none).
  const std::optional<v1::ChangelogPosition>& changelog_position() const;

  // Restore: writes `changes` (null value = delete) and `pos` in one
  // WriteBatch straight to the database and reloads the partition record,
  // offset and timers. Only while nothing is buffered or sealed. A Change
  // is a plain value; thread-compatible.
  struct Change {
    std::string key;
    std::optional<std::string> value;
  };
  absl::Status ApplyRestored(const std::vector<Change>& changes,
                             const v1::ChangelogPosition& pos);
  // Deletes everything the store holds (a restore starting over).
  absl::Status Wipe();
  // True when the store holds nothing at all (never committed); false when
  // it cannot be read.
  bool empty() const;
  // Calls `fn(key, value)` for every stored key but the changelog position
  // (which is the host's own), in key order: the whole state as changelog
  // data records. Returns how many; an error when the store cannot be read.
  // Only on a quiet store (nothing buffered or sealed).
  absl::StatusOr<size_t> ForEachStored(
      const std::function<void(std::string_view key, const std::string& value)>&
          fn) const;

  // True when changes are buffered since the last Commit() or Seal().
  bool dirty() const;

  // The first read error since Open() (a failed Get or a record that does not
  // parse; the StateView call then saw a default record). Commit() returns it
  // and writes nothing: destroy the store and open it again.
  const absl::Status& status() const;

  PartitionStats Stats() const;
  // The partition record as it is now, without marking it changed.
  const v1::PartitionState& partition_record() const;

  // rules::StateView
  v1::CallerState& MutableCaller(std::string_view key) override;
  void EraseCaller(std::string_view key) override;
  v1::PartitionState& MutablePartition() override;
  void AddTimer(const rules::Timer& timer) override;
  std::optional<rules::Timer> PopDueTimer(rules::TimeNs watermark) override;

 private:
  class Impl;
  explicit PartitionStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Bytes of RocksDB write-ahead log in partition `partition`'s database
// under `state_dir`: what was committed since its last flush, which the next
// Open() replays (0 after FlushToDisk(), and for a missing database).
uint64_t WalBytes(const std::string& state_dir, int32_t partition);

// Reads one caller's committed record from a state dir (each partition is
// opened read-only, so a running or stopped processor's dir works). NotFound
// when no partition holds the caller; InvalidArgument when `state_dir` is not
// a directory. `caller_key` must already be normalized (E.164).
// RocksDB leaves a read-only open next to a live writer undefined, though it
// works for a quick read like this one; stopped processors are the contract.
absl::StatusOr<v1::CallerState> InspectCaller(const std::string& state_dir,
                                              const std::string& caller_key);

}  // namespace callflow::state
