#include "state/partition_store.h"

#include <algorithm>
#include <cstdarg>
#include <deque>
#include <filesystem>
#include <iterator>
#include <limits>
#include <list>
#include <set>
#include <string_view>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "processor/rules/stable_hash.h"
#include "rocksdb/comparator.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/table_properties_collectors.h"
#include "rocksdb/utilities/write_batch_with_index.h"
#include "rocksdb/write_batch.h"
#include "state/keys.h"
#include "state/status.h"

namespace callflow::state {
namespace {

// Timers read from disk per scan when many are due at once.
constexpr size_t kTimerScanBatch = 256;

std::string PartitionPath(const std::string& root, int32_t partition) {
  return absl::StrCat(root, "/p-", partition);
}

// A store opens with the smallest memtable and takes its share of the
// budget right after (ApplyMemoryShare): a memtable keeps the size (and
// bloom, and arena block) it was created with, so stores opened one after
// the other never hold the large first memtables of a count that was
// smaller then.
constexpr size_t kInitialWriteBufferBytes = size_t{64} << 10;

// The arena's allocation unit for a memtable of `write_buffer_size`: the
// first write to an idle store allocates one.
size_t ArenaBlockBytes(size_t write_buffer_size) {
  const size_t block = std::min<size_t>(write_buffer_size / 8, size_t{1} << 20);
  return std::max<size_t>(4096, block / 4096 * 4096);
}

rocksdb::Options DbOptions(const StateEnv& env) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.write_buffer_manager = env.write_buffers();
  options.write_buffer_size = kInitialWriteBufferBytes;
  options.arena_block_size = ArenaBlockBytes(kInitialWriteBufferBytes);
  options.listeners.push_back(env.flush_listener());
  // Memtable bloom (2 % of the memtable, so all of them stay within 2 % of
  // the memtables' share): most misses are new callers, answered without a
  // search.
  options.memtable_prefix_bloom_size_ratio = 0.02;
  options.memtable_whole_key_filtering = true;
  options.keep_log_file_num = 3;
  options.max_log_file_size = size_t{4} << 20;
  // Fired timers are deleted: compact files dense with their tombstones.
  options.table_properties_collector_factories.push_back(
      rocksdb::NewCompactOnDeletionCollectorFactory(/*sliding_window_size=*/128,
                                                    /*deletion_trigger=*/64));
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = env.block_cache();
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.optimize_filters_for_memory = true;
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

absl::Status OpenError(const rocksdb::Status& status, const std::string& path) {
  if (status.IsIOError() &&
      status.ToString().find("/LOCK") != std::string::npos) {
    return absl::FailedPreconditionError(absl::StrCat(
        "state db '", path,
        "' is in use by another store or process; close it there first (",
        status.ToString(), ")"));
  }
  return FromRocksDb(status, absl::StrCat("opening state db '", path, "'"));
}

// Keeps a read-only open from rotating the LOG of a running processor.
class NullLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
  void Logv(const rocksdb::InfoLogLevel /*level*/, const char* /*format*/,
            va_list /*ap*/) override {}
};

}  // namespace

// Owns the database handle, the caller cache and the buffered changes.
//
// Callers live in an LRU list (node-stable, so references survive inserts)
// indexed by a hash map of views into the nodes' keys. Timers are in three
// places: `pending_timers_` (added, not committed), `loaded_timers_` (read
// from disk, due, not popped yet; every unread disk timer sorts after them)
// and the unread disk range starting at `disk_next_key_`.
class PartitionStore::Impl {
 public:
  Impl(StateEnv& env, int32_t partition, std::string path,
       std::unique_ptr<rocksdb::DB> db)
      : env_(env),
        partition_(partition),
        path_(std::move(path)),
        db_(std::move(db)) {
    env_.StoreOpened();
    // Survives a process crash (WAL), not a power loss (no fsync per commit).
    write_options_.sync = false;
    write_options_.disableWAL = false;
    timer_upper_bound_ = ToSlice(keys::kTimersEnd);
    timer_read_options_ = read_options_;
    timer_read_options_.iterate_upper_bound = &timer_upper_bound_;
  }

  ~Impl() {
    db_.reset();
    env_.StoreClosed();
  }

  // Takes this store's share of the memtable budget for its next memtables
  // when the share moved by more than a quarter since last applied (stores
  // opened or closed), so a burst of opens costs each store a few changes.
  absl::Status ApplyMemoryShare() {
    const size_t target = env_.write_buffer_size_per_store();
    if (applied_write_buffer_ != 0 && target * 4 < applied_write_buffer_ * 5 &&
        target * 5 > applied_write_buffer_ * 4) {
      return absl::OkStatus();
    }
    rocksdb::Status s = db_->SetOptions(
        {{"write_buffer_size", std::to_string(target)},
         {"arena_block_size", std::to_string(ArenaBlockBytes(target))}});
    if (!s.ok()) {
      return FromRocksDb(s,
                         absl::StrCat("sizing the memtable of '", path_, "'"));
    }
    applied_write_buffer_ = target;
    return absl::OkStatus();
  }

  absl::Status Load() {
    partition_record_.Clear();
    next_offset_.reset();
    sealed_offset_.reset();
    changelog_position_.reset();
    std::string value;
    rocksdb::Status s =
        db_->Get(read_options_, ToSlice(keys::kPartitionKey), &value);
    if (s.ok()) {
      if (!partition_record_.ParseFromString(value)) {
        return absl::DataLossError(
            absl::StrCat("partition record in '", path_, "' does not parse"));
      }
    } else if (!s.IsNotFound()) {
      return FromRocksDb(
          s, absl::StrCat("reading partition record of '", path_, "'"));
    }
    s = db_->Get(read_options_, ToSlice(keys::kNextOffsetKey), &value);
    if (s.ok()) {
      next_offset_ = keys::DecodeOffset(value);
      sealed_offset_ = next_offset_;
      if (!next_offset_) {
        return absl::DataLossError(
            absl::StrCat("next offset in '", path_, "' is malformed"));
      }
    } else if (!s.IsNotFound()) {
      return FromRocksDb(s,
                         absl::StrCat("reading next offset of '", path_, "'"));
    }
    s = db_->Get(read_options_, ToSlice(keys::kChangelogPositionKey), &value);
    if (s.ok()) {
      changelog_position_.emplace();
      if (!changelog_position_->ParseFromString(value)) {
        return absl::DataLossError(
            absl::StrCat("changelog position in '", path_, "' is malformed"));
      }
    } else if (!s.IsNotFound()) {
      return FromRocksDb(
          s, absl::StrCat("reading changelog position of '", path_, "'"));
    }
    return FindFirstDiskTimer();
  }

  size_t ForEachSealedChange(
      const std::function<void(std::string_view, const std::string*)>& fn)
      const {
    if (!sealed_) return 0;
    struct Visitor : rocksdb::WriteBatch::Handler {
      const std::function<void(std::string_view, const std::string*)>* fn;
      size_t count = 0;
      void Put(const rocksdb::Slice& key,
               const rocksdb::Slice& value) override {
        value_.assign(value.data(), value.size());
        (*fn)(std::string_view(key.data(), key.size()), &value_);
        ++count;
      }
      void Delete(const rocksdb::Slice& key) override {
        (*fn)(std::string_view(key.data(), key.size()), nullptr);
        ++count;
      }
      std::string value_;
    } visitor;
    visitor.fn = &fn;
    rocksdb::Status s = batch_.Iterate(&visitor);
    (void)s;  // built by Seal() from Put/Delete only
    return visitor.count;
  }

  absl::Status SetSealedChangelogPosition(const v1::ChangelogPosition& pos) {
    if (!sealed_) {
      return absl::FailedPreconditionError(absl::StrCat(
          "partition ", partition_, ": changelog position without a seal"));
    }
    pos.SerializeToString(&value_buf_);
    rocksdb::Status s =
        batch_.Put(ToSlice(keys::kChangelogPositionKey), value_buf_);
    if (!s.ok()) return FromRocksDb(s, "sealing the changelog position");
    sealed_position_ = pos;
    return absl::OkStatus();
  }

  const std::optional<v1::ChangelogPosition>& changelog_position() const {
    return changelog_position_;
  }

  absl::Status ApplyRestored(const std::vector<PartitionStore::Change>& changes,
                             const v1::ChangelogPosition& pos) {
    if (absl::Status s = CheckQuiet("restore"); !s.ok()) return s;
    rocksdb::WriteBatch batch;
    rocksdb::Status s;
    for (const auto& change : changes) {
      if (s.ok()) {
        s = change.value ? batch.Put(change.key, *change.value)
                         : batch.Delete(change.key);
      }
    }
    pos.SerializeToString(&value_buf_);
    if (s.ok()) s = batch.Put(ToSlice(keys::kChangelogPositionKey), value_buf_);
    if (s.ok()) s = db_->Write(write_options_, &batch);
    if (!s.ok()) {
      return FromRocksDb(s, absl::StrCat("restoring partition ", partition_,
                                         " into '", path_, "'"));
    }
    return Reload();
  }

  absl::Status Wipe() {
    if (absl::Status s = CheckQuiet("wipe"); !s.ok()) return s;
    rocksdb::WriteBatch batch;
    rocksdb::Status s = batch.DeleteRange(ToSlice(std::string_view("\0", 1)),
                                          ToSlice("\xff\xff\xff\xff"));
    if (s.ok()) s = db_->Write(write_options_, &batch);
    if (!s.ok()) {
      return FromRocksDb(s, absl::StrCat("wiping partition ", partition_,
                                         " in '", path_, "'"));
    }
    return Reload();
  }

  bool empty() const {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_));
    it->SeekToFirst();
    return !it->Valid();
  }

  int32_t partition() const { return partition_; }
  std::optional<int64_t> next_offset() const { return next_offset_; }
  const absl::Status& status() const { return status_; }

  bool dirty() const {
    return !dirty_callers_.empty() || partition_dirty_ ||
           !pending_timers_.empty() || !popped_timer_keys_.empty();
  }

  v1::CallerState& MutableCaller(std::string_view key) {
    CallerList::iterator node;
    if (auto it = index_.find(key); it != index_.end()) {
      node = it->second;
      callers_.splice(callers_.begin(), callers_, node);
    } else {
      node = Insert(key);
      ReadCaller(*node);
    }
    node->erased = false;
    MarkDirty(node);
    return node->record;
  }

  void EraseCaller(std::string_view key) {
    auto it = index_.find(key);
    CallerList::iterator node = it != index_.end() ? it->second : Insert(key);
    node->record.Clear();
    node->erased = true;
    MarkDirty(node);
  }

  v1::PartitionState& MutablePartition() {
    partition_dirty_ = true;
    return partition_record_;
  }
  const v1::PartitionState& partition_record() const {
    return partition_record_;
  }

  void AddTimer(const rules::Timer& timer) { pending_timers_.insert(timer); }

  std::optional<rules::Timer> PopDueTimer(rules::TimeNs watermark) {
    if (loaded_timers_.empty() && has_disk_next_ &&
        disk_next_due_ <= watermark) {
      LoadDueTimers(watermark);
    }
    const rules::Timer* memory =
        pending_timers_.empty() ? nullptr : &*pending_timers_.begin();
    if (!loaded_timers_.empty() &&
        (memory == nullptr || !(*memory < loaded_timers_.front().timer))) {
      DiskTimer& disk = loaded_timers_.front();
      if (disk.timer.due > watermark) return std::nullopt;
      // The same timer added again: fire it once.
      if (memory != nullptr && *memory == disk.timer) {
        pending_timers_.erase(pending_timers_.begin());
      }
      rules::Timer timer = std::move(disk.timer);
      popped_timer_keys_.push_back(std::move(disk.key));
      loaded_timers_.pop_front();
      return timer;
    }
    if (memory != nullptr && memory->due <= watermark) {
      return std::move(
          pending_timers_.extract(pending_timers_.begin()).value());
    }
    return std::nullopt;
  }

  absl::Status Prefetch(const std::vector<std::string>& keys) {
    if (!status_.ok()) return status_;
    prefetch_keys_.clear();
    for (const std::string& key : keys) {
      if (!index_.contains(key)) prefetch_keys_.push_back(key);
    }
    if (prefetch_keys_.empty()) return absl::OkStatus();
    std::sort(prefetch_keys_.begin(), prefetch_keys_.end());
    prefetch_keys_.erase(
        std::unique(prefetch_keys_.begin(), prefetch_keys_.end()),
        prefetch_keys_.end());
    const size_t n = prefetch_keys_.size();
    if (prefetch_db_keys_.size() < n) {
      prefetch_db_keys_.resize(n);
      prefetch_slices_.resize(n);
      prefetch_values_.resize(n);
      prefetch_statuses_.resize(n);
    }
    for (size_t i = 0; i < n; ++i) {
      keys::CallerKey(prefetch_keys_[i], &prefetch_db_keys_[i]);
      prefetch_slices_[i] = prefetch_db_keys_[i];
    }
    // Caller keys share one prefix, so sorted views give sorted DB keys.
    db_->MultiGet(read_options_, db_->DefaultColumnFamily(), n,
                  prefetch_slices_.data(), prefetch_values_.data(),
                  prefetch_statuses_.data(), /*sorted_input=*/true);
    for (size_t i = 0; i < n; ++i) {
      const rocksdb::Status& s = prefetch_statuses_[i];
      if (s.ok() || s.IsNotFound()) {
        CallerList::iterator node = Insert(prefetch_keys_[i]);
        if (s.ok()) ParseCaller(prefetch_values_[i], *node);
      } else {
        Fail(FromRocksDb(
            s, absl::StrCat("prefetching callers from '", path_, "'")));
      }
      prefetch_values_[i].Reset();
    }
    return status_;
  }

  // Builds the WriteBatch of every buffered change plus `next_offset` and
  // clears the buffers; WriteSealed() writes it. Until then the sealed
  // changes stay readable: their callers stay cached (no trim, erased ones
  // kept as empty records) and their timer keys are overlaid on the disk
  // range (sealed_timers_).
  absl::Status Seal(std::optional<int64_t> next_offset) {
    if (!status_.ok()) return status_;
    if (sealed_) {
      return absl::FailedPreconditionError(
          absl::StrCat("partition ", partition_,
                       ": Seal() while a sealed batch is not written yet"));
    }
    if (!dirty() && (!next_offset || next_offset == sealed_offset_)) {
      return absl::OkStatus();
    }
    batch_.Clear();
    sealed_timers_.Clear();
    sealed_position_.reset();
    rocksdb::Status s;
    auto check = [&s](const rocksdb::Status& op) {
      if (s.ok()) s = op;
    };
    for (CallerList::iterator node : dirty_callers_) {
      keys::CallerKey(node->key, &key_buf_);
      if (node->erased) {
        check(batch_.Delete(key_buf_));
      } else {
        node->record.SerializeToString(&value_buf_);
        check(batch_.Put(key_buf_, value_buf_));
      }
    }
    // Deletes before puts: a popped timer added again stays.
    for (const std::string& key : popped_timer_keys_) {
      check(batch_.Delete(key));
      check(sealed_timers_.Delete(key));
    }
    std::string first_pending_key;
    for (const rules::Timer& timer : pending_timers_) {
      keys::TimerKey(timer, &key_buf_);
      if (first_pending_key.empty()) first_pending_key = key_buf_;
      check(batch_.Put(key_buf_, rocksdb::Slice()));
      check(sealed_timers_.Put(key_buf_, rocksdb::Slice()));
    }
    if (partition_dirty_) {
      partition_record_.SerializeToString(&value_buf_);
      check(batch_.Put(ToSlice(keys::kPartitionKey), value_buf_));
    }
    if (next_offset) {
      check(batch_.Put(ToSlice(keys::kNextOffsetKey),
                       keys::EncodeOffset(*next_offset)));
    }
    if (!s.ok()) {
      return FromRocksDb(s, absl::StrCat("sealing partition ", partition_,
                                         " of '", path_, "'"));
    }
    for (CallerList::iterator node : dirty_callers_) {
      node->dirty = false;
      if (node->erased) sealed_erased_.push_back(node);
    }
    dirty_callers_.clear();
    popped_timer_keys_.clear();
    // Unpopped loaded timers go back to the unread range; so do the new
    // ones, which may sort before it. (The range reads through
    // sealed_timers_ until the batch is written.)
    if (!loaded_timers_.empty()) {
      SetDiskNext(std::move(loaded_timers_.front().key),
                  loaded_timers_.front().timer.due);
      loaded_timers_.clear();
    }
    if (!pending_timers_.empty() &&
        (!has_disk_next_ || first_pending_key < disk_next_key_)) {
      SetDiskNext(std::move(first_pending_key), pending_timers_.begin()->due);
    }
    pending_timers_.clear();
    partition_dirty_ = false;
    if (next_offset) sealed_offset_ = next_offset;
    sealed_ = true;
    return absl::OkStatus();
  }

  absl::Status WriteSealed() {
    if (!status_.ok()) return status_;
    if (!sealed_) return absl::OkStatus();
    if (absl::Status s = ApplyMemoryShare(); !s.ok()) {
      Fail(std::move(s));
      return status_;
    }
    rocksdb::Status s = db_->Write(write_options_, &batch_);
    if (!s.ok()) {
      // The sealed changes are no longer buffered anywhere: this store is
      // done (destroy it and open it again).
      Fail(FromRocksDb(s, absl::StrCat("committing partition ", partition_,
                                       " to '", path_, "'")));
      return status_;
    }
    sealed_ = false;
    sealed_timers_.Clear();
    for (CallerList::iterator node : sealed_erased_) {
      if (node->erased && !node->dirty) {
        index_.erase(std::string_view(node->key));
        callers_.erase(node);
      }
    }
    sealed_erased_.clear();
    next_offset_ = sealed_offset_;
    if (sealed_position_) changelog_position_ = std::move(sealed_position_);
    sealed_position_.reset();
    TrimCallers();
    return absl::OkStatus();
  }

  bool sealed() const { return sealed_; }

  absl::Status Commit(std::optional<int64_t> next_offset) {
    if (absl::Status s = WriteSealed(); !s.ok()) return s;
    if (absl::Status s = Seal(next_offset); !s.ok()) return s;
    return WriteSealed();
  }

  PartitionStats Stats() const {
    PartitionStats stats;
    db_->GetIntProperty(rocksdb::DB::Properties::kEstimateNumKeys,
                        &stats.estimated_keys);
    db_->GetIntProperty(rocksdb::DB::Properties::kEstimateLiveDataSize,
                        &stats.live_data_bytes);
    db_->GetIntProperty(
        rocksdb::DB::Properties::kEstimatePendingCompactionBytes,
        &stats.pending_compaction_bytes);
    stats.cached_callers = callers_.size();
    return stats;
  }

 private:
  struct CachedCaller {
    std::string key;
    v1::CallerState record;
    bool dirty = false;   // listed in dirty_callers_
    bool erased = false;  // delete on commit
  };
  using CallerList = std::list<CachedCaller>;

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

  absl::Status CheckQuiet(std::string_view what) const {
    if (!status_.ok()) return status_;
    if (sealed_ || dirty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("partition ", partition_, ": ", std::string(what),
                       " while changes are buffered or sealed"));
    }
    return absl::OkStatus();
  }

  // Forgets everything in memory and reads the database again.
  absl::Status Reload() {
    index_.clear();
    callers_.clear();
    loaded_timers_.clear();
    has_disk_next_ = false;
    disk_next_key_.clear();
    return Load();
  }

  // A new clean, default record at the front of the LRU list.
  CallerList::iterator Insert(std::string_view key) {
    callers_.emplace_front();
    CallerList::iterator node = callers_.begin();
    node->key.assign(key);
    index_.emplace(std::string_view(node->key), node);
    return node;
  }

  void MarkDirty(CallerList::iterator node) {
    if (node->dirty) return;
    node->dirty = true;
    dirty_callers_.push_back(node);
  }

  void ReadCaller(CachedCaller& caller) {
    keys::CallerKey(caller.key, &key_buf_);
    get_buf_.Reset();
    rocksdb::Status s = db_->Get(read_options_, db_->DefaultColumnFamily(),
                                 key_buf_, &get_buf_);
    if (s.ok()) {
      ParseCaller(get_buf_, caller);
    } else if (!s.IsNotFound()) {
      Fail(FromRocksDb(s, absl::StrCat("reading a caller from '", path_, "'")));
    }
    get_buf_.Reset();
  }

  void ParseCaller(const rocksdb::Slice& value, CachedCaller& caller) {
    if (!caller.record.ParseFromArray(value.data(),
                                      static_cast<int>(value.size()))) {
      caller.record.Clear();
      // The caller key is a phone number: logs name its hash only.
      Fail(absl::DataLossError(absl::StrCat(
          "record of caller #", absl::Hex(rules::StableHash(caller.key)),
          " (FNV-1a of the key) in '", path_, "' does not parse")));
    }
  }

  void SetDiskNext(std::string key, rules::TimeNs due) {
    has_disk_next_ = true;
    disk_next_key_ = std::move(key);
    disk_next_due_ = due;
  }

  // Positions `it` (already sought) as the start of the unread disk range.
  absl::Status SetDiskNextFrom(rocksdb::Iterator& it) {
    if (!it.Valid()) {
      has_disk_next_ = false;
      disk_next_key_.clear();
      return FromRocksDb(it.status(),
                         absl::StrCat("scanning timers of '", path_, "'"));
    }
    std::optional<rules::Timer> timer = keys::DecodeTimerKey(
        std::string_view(it.key().data(), it.key().size()));
    if (!timer) {
      return absl::DataLossError(
          absl::StrCat("malformed timer key in '", path_, "'"));
    }
    SetDiskNext(it.key().ToString(), timer->due);
    return absl::OkStatus();
  }

  // The unread timer range: the database, overlaid with the sealed batch's
  // timer keys while it is not written.
  std::unique_ptr<rocksdb::Iterator> NewTimerIterator() {
    rocksdb::Iterator* disk = db_->NewIterator(timer_read_options_);
    if (!sealed_) return std::unique_ptr<rocksdb::Iterator>(disk);
    return std::unique_ptr<rocksdb::Iterator>(
        sealed_timers_.NewIteratorWithBase(db_->DefaultColumnFamily(), disk,
                                           &timer_read_options_));
  }

  absl::Status FindFirstDiskTimer() {
    std::unique_ptr<rocksdb::Iterator> it = NewTimerIterator();
    it->Seek(ToSlice(keys::kTimersBegin));
    return SetDiskNextFrom(*it);
  }

  // Reads up to kTimerScanBatch due timers from the unread disk range.
  void LoadDueTimers(rules::TimeNs watermark) {
    std::unique_ptr<rocksdb::Iterator> it = NewTimerIterator();
    it->Seek(disk_next_key_);
    for (; it->Valid() && loaded_timers_.size() < kTimerScanBatch; it->Next()) {
      std::optional<rules::Timer> timer = keys::DecodeTimerKey(
          std::string_view(it->key().data(), it->key().size()));
      if (!timer) break;  // reported by SetDiskNextFrom
      if (timer->due > watermark) break;
      loaded_timers_.push_back({std::move(*timer), it->key().ToString()});
    }
    absl::Status status = SetDiskNextFrom(*it);
    if (!status.ok()) Fail(std::move(status));
  }

  // Evicts least recently used clean callers down to the budget (dirty ones
  // hold changes made after a seal).
  void TrimCallers() {
    const size_t budget = env_.cached_callers_per_store();
    auto it = callers_.end();
    while (callers_.size() > budget && it != callers_.begin()) {
      --it;
      if (it->dirty) continue;
      index_.erase(std::string_view(it->key));
      it = callers_.erase(it);
    }
  }

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

  CallerList callers_;  // most recently used first
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

absl::StatusOr<std::unique_ptr<PartitionStore>> PartitionStore::Open(
    StateEnv& env, int32_t partition) {
  if (partition < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition must be >= 0, got ", partition));
  }
  std::string path = PartitionPath(env.options().dir, partition);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(DbOptions(env), path, &raw);
  if (!s.ok()) return OpenError(s, path);
  auto impl = std::make_unique<Impl>(env, partition, std::move(path),
                                     std::unique_ptr<rocksdb::DB>(raw));
  if (absl::Status status = impl->Load(); !status.ok()) return status;
  if (absl::Status status = impl->ApplyMemoryShare(); !status.ok()) {
    return status;
  }
  return std::unique_ptr<PartitionStore>(new PartitionStore(std::move(impl)));
}

PartitionStore::PartitionStore(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
PartitionStore::~PartitionStore() = default;

int32_t PartitionStore::partition() const { return impl_->partition(); }
std::optional<int64_t> PartitionStore::next_offset() const {
  return impl_->next_offset();
}
absl::Status PartitionStore::Prefetch(const std::vector<std::string>& keys) {
  return impl_->Prefetch(keys);
}
absl::Status PartitionStore::Commit(std::optional<int64_t> next_offset) {
  return impl_->Commit(next_offset);
}
absl::Status PartitionStore::Seal(std::optional<int64_t> next_offset) {
  return impl_->Seal(next_offset);
}
absl::Status PartitionStore::WriteSealed() { return impl_->WriteSealed(); }
bool PartitionStore::sealed() const { return impl_->sealed(); }
bool PartitionStore::dirty() const { return impl_->dirty(); }
size_t PartitionStore::ForEachSealedChange(
    const std::function<void(std::string_view, const std::string*)>& fn) const {
  return impl_->ForEachSealedChange(fn);
}
absl::Status PartitionStore::SetSealedChangelogPosition(
    const v1::ChangelogPosition& pos) {
  return impl_->SetSealedChangelogPosition(pos);
}
const std::optional<v1::ChangelogPosition>& PartitionStore::changelog_position()
    const {
  return impl_->changelog_position();
}
absl::Status PartitionStore::ApplyRestored(const std::vector<Change>& changes,
                                           const v1::ChangelogPosition& pos) {
  return impl_->ApplyRestored(changes, pos);
}
absl::Status PartitionStore::Wipe() { return impl_->Wipe(); }
bool PartitionStore::empty() const { return impl_->empty(); }
const absl::Status& PartitionStore::status() const { return impl_->status(); }
PartitionStats PartitionStore::Stats() const { return impl_->Stats(); }
const v1::PartitionState& PartitionStore::partition_record() const {
  return impl_->partition_record();
}

v1::CallerState& PartitionStore::MutableCaller(std::string_view key) {
  return impl_->MutableCaller(key);
}
void PartitionStore::EraseCaller(std::string_view key) {
  impl_->EraseCaller(key);
}
v1::PartitionState& PartitionStore::MutablePartition() {
  return impl_->MutablePartition();
}
void PartitionStore::AddTimer(const rules::Timer& timer) {
  impl_->AddTimer(timer);
}
std::optional<rules::Timer> PartitionStore::PopDueTimer(
    rules::TimeNs watermark) {
  return impl_->PopDueTimer(watermark);
}

absl::StatusOr<v1::CallerState> InspectCaller(const std::string& state_dir,
                                              const std::string& caller_key) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(state_dir, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "state dir '", state_dir,
        "' does not exist or is not a directory; pass the processor's "
        "--state-dir (default ./callflow-state)"));
  }
  std::vector<std::pair<int32_t, std::string>> partitions;
  for (fs::directory_iterator it(state_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    int32_t partition = 0;
    if (name.rfind("p-", 0) == 0 &&
        absl::SimpleAtoi(name.substr(2), &partition) && it->is_directory(ec)) {
      partitions.emplace_back(partition, it->path().string());
    }
  }
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot list state dir '",
                                               state_dir, "': ", ec.message()));
  }
  std::sort(partitions.begin(), partitions.end());

  rocksdb::Options options;
  options.info_log = std::make_shared<NullLogger>();
  const std::string key = keys::CallerKey(caller_key);
  std::string value;
  for (const auto& [partition, path] : partitions) {
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::OpenForReadOnly(options, path, &raw);
    if (!s.ok()) {
      return FromRocksDb(
          s, absl::StrCat("opening state db '", path, "' read-only"));
    }
    std::unique_ptr<rocksdb::DB> db(raw);
    s = db->Get(rocksdb::ReadOptions(), key, &value);
    if (s.IsNotFound()) continue;
    if (!s.ok()) {
      return FromRocksDb(s, absl::StrCat("reading caller '", caller_key,
                                         "' from '", path, "'"));
    }
    v1::CallerState record;
    if (!record.ParseFromString(value)) {
      return absl::DataLossError(absl::StrCat("record of caller '", caller_key,
                                              "' in '", path,
                                              "' does not parse"));
    }
    return record;
  }
  return absl::NotFoundError(
      absl::StrCat("caller '", caller_key, "' not found in the ",
                   partitions.size(), " partition(s) under '", state_dir,
                   "'; callers are stored by their normalized E.164 number "
                   "(e.g. +74951234567)"));
}

}  // namespace callflow::state
