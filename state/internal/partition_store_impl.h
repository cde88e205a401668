#pragma once

// PartitionStore's implementation class, shared by the files that define its
// members by concern: partition_store.cc (open, load, seal and write,
// restore), partition_store_callers.cc (the caller cache) and
// partition_store_timers.cc (timers). Only those include it.

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "rocksdb/comparator.h"
#include "rocksdb/db.h"
#include "rocksdb/utilities/write_batch_with_index.h"
#include "rocksdb/write_batch.h"
#include "state/partition_store.h"
#include "state/state_env.h"

namespace callflow::state {

// Owns the database handle, the caller cache and the buffered changes.
//
// Callers live in an LRU list (node-stable, so references survive inserts)
// indexed by a hash map of views into the nodes' keys. Timers are in three
// places: `pending_timers_` (added, not committed), `loaded_timers_` (read
// from disk, not popped yet; every unread disk timer sorts after them)
// and the unread disk range starting at `disk_next_key_`.
//
// Not thread-safe, like the PartitionStore that owns it.
class PartitionStore::Impl {
 public:
  Impl(StateEnv& env, int32_t partition, std::string path,
       std::unique_ptr<rocksdb::DB> db);
  ~Impl();

  // Lifecycle and the whole store (partition_store.cc).

  // Takes this store's share of the memtable budget for its next memtables
  // when the share moved by more than a quarter since last applied (stores
  // opened or closed), so a burst of opens costs each store a few changes.
  absl::Status ApplyMemoryShare();
  // Reads the partition record, the next offset, the changelog position and
  // where the timers start.
  absl::Status Load();
  size_t ForEachSealedChange(
      const std::function<void(std::string_view, const std::string*)>& fn)
      const;
  absl::Status SetSealedChangelogPosition(const v1::ChangelogPosition& pos);
  const std::optional<v1::ChangelogPosition>& changelog_position() const {
    return changelog_position_;
  }
  absl::Status ApplyRestored(const std::vector<PartitionStore::Change>& changes,
                             const v1::ChangelogPosition& pos);
  absl::Status Wipe();
  bool empty() const;
  absl::StatusOr<size_t> ForEachStored(
      const std::function<void(std::string_view, const std::string&)>& fn)
      const;
  int32_t partition() const { return partition_; }
  std::optional<int64_t> next_offset() const { return next_offset_; }
  const absl::Status& status() const { return status_; }
  bool dirty() const {
    return !dirty_callers_.empty() || partition_dirty_ ||
           !pending_timers_.empty() || !popped_timer_keys_.empty();
  }
  v1::PartitionState& MutablePartition() {
    partition_dirty_ = true;
    return partition_record_;
  }
  const v1::PartitionState& partition_record() const {
    return partition_record_;
  }
  // Builds the WriteBatch of every buffered change plus `next_offset` and
  // clears the buffers; WriteSealed() writes it. Until then the sealed
  // changes stay readable: their callers stay cached (no trim, erased ones
  // kept as empty records) and their timer keys are overlaid on the disk
  // range (sealed_timers_).
  absl::Status Seal(std::optional<int64_t> next_offset);
  absl::Status WriteSealed();
  bool sealed() const { return sealed_; }
  absl::Status Commit(std::optional<int64_t> next_offset);
  absl::Status FlushToDisk();
  PartitionStats Stats() const;

  // The caller cache (partition_store_callers.cc).
  v1::CallerState& MutableCaller(std::string_view key);
  void EraseCaller(std::string_view key);
  absl::Status Prefetch(const std::vector<std::string>& keys);

  // Timers (partition_store_timers.cc).
  void AddTimer(const rules::Timer& timer) { pending_timers_.insert(timer); }
  std::optional<rules::Timer> PopDueTimer(rules::TimeNs watermark);

 private:
  // A cached caller record and its key. Not thread-safe, as the class.
  struct CachedCaller {
    std::string key;
    v1::CallerState record;
    bool dirty = false;   // listed in dirty_callers_
    bool erased = false;  // delete on commit
    size_t bytes = 0;     // serialized size when last read or sealed
  };
  using CallerList = std::list<CachedCaller>;

  // A timer read from the disk range, with its database key.
  struct DiskTimer {
    rules::Timer timer;
    std::string key;
  };

  static rocksdb::Slice ToSlice(std::string_view s) {
    return rocksdb::Slice(s.data(), s.size());
  }

  void Fail(absl::Status status) {
    if (status_.ok()) status_ = std::move(status);
  }

  // The first error, else FailedPrecondition naming `what` while changes are
  // buffered or sealed: OK when a direct write loses nothing.
  absl::Status CheckQuiet(std::string_view what) const;
  // Forgets everything in memory and reads the database again.
  absl::Status Reload();

  // The caller cache (partition_store_callers.cc).

  // A new clean, default record at the front of the LRU list.
  CallerList::iterator Insert(std::string_view key);
  void MarkDirty(CallerList::iterator node);
  void ReadCaller(CachedCaller& caller);
  void ParseCaller(const rocksdb::Slice& value, CachedCaller& caller);
  // Evicts least recently used clean callers down to the budget (dirty ones
  // hold changes made after a seal).
  void TrimCallers();
  // What a cached record costs in memory, by its serialized size: parsed
  // protobuf strings and repeated fields, its key and its list and index
  // nodes (about 1 KiB, StateEnv::kCachedCallerBytes, for a typical record).
  static size_t CachedCost(size_t bytes) { return 256 + 2 * bytes; }
  // Sets the serialized size of a cached record.
  void SetCachedBytes(CachedCaller& caller, size_t bytes);
  // Drops a clean record from the cache.
  void DropCaller(CallerList::iterator node);

  // Timers (partition_store_timers.cc).

  void SetDiskNext(std::string key, rules::TimeNs due);
  // Positions `it` (already sought) as the start of the unread disk range.
  absl::Status SetDiskNextFrom(rocksdb::Iterator& it);
  // The unread timer range: the database, overlaid with the sealed batch's
  // timer keys while it is not written.
  std::unique_ptr<rocksdb::Iterator> NewTimerIterator();
  absl::Status FindFirstDiskTimer();
  // Reads the next kTimerScanBatch timers of the unread disk range, due or
  // not (PopDueTimer pops them as the watermark passes them).
  void LoadTimers();

  StateEnv& env_;
  const int32_t partition_;
  const std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ReadOptions read_options_;
  rocksdb::WriteOptions write_options_;
  rocksdb::Slice timer_upper_bound_;
  rocksdb::ReadOptions timer_read_options_;  // bounded to the timer range
  absl::Status status_;  // first read error; fails every later Commit()
  size_t applied_write_buffer_ = 0;  // memtable size set by ApplyMemoryShare

  CallerList callers_;      // most recently used first
  size_t cached_cost_ = 0;  // CachedCost of every record in callers_
  absl::flat_hash_map<std::string_view, CallerList::iterator> index_;
  std::vector<CallerList::iterator> dirty_callers_;

  v1::PartitionState partition_record_;
  bool partition_dirty_ = false;
  std::optional<int64_t> next_offset_;    // as written
  std::optional<int64_t> sealed_offset_;  // as of the last Seal()
  std::optional<v1::ChangelogPosition> changelog_position_;  // as written
  std::optional<v1::ChangelogPosition> sealed_position_;     // in batch_

  // The sealed, not yet written batch (in batch_).
  bool sealed_ = false;
  rocksdb::WriteBatchWithIndex sealed_timers_{rocksdb::BytewiseComparator(), 0,
                                              /*overwrite_key=*/true};
  std::vector<CallerList::iterator> sealed_erased_;

  std::set<rules::Timer> pending_timers_;
  std::deque<DiskTimer> loaded_timers_;
  std::vector<std::string> popped_timer_keys_;
  bool has_disk_next_ = false;
  std::string disk_next_key_;
  rules::TimeNs disk_next_due_ = 0;
  uint64_t timer_scans_ = 0;  // LoadTimers() calls since Open()

  // Reused buffers.
  std::string key_buf_;
  std::string value_buf_;
  rocksdb::PinnableSlice get_buf_;
  rocksdb::WriteBatch batch_;
  std::vector<std::string_view> prefetch_keys_;
  std::vector<std::string> prefetch_db_keys_;
  std::vector<rocksdb::Slice> prefetch_slices_;
  std::vector<rocksdb::PinnableSlice> prefetch_values_;
  std::vector<rocksdb::Status> prefetch_statuses_;
};

}  // namespace callflow::state
