// PartitionStore: opening a partition's database, loading it, sealing and
// writing commit cycles, restore and the public interface. The caller cache
// is in partition_store_callers.cc, the timers in partition_store_timers.cc,
// InspectCaller in inspect_caller.cc.
#include "state/partition_store.h"

#include <algorithm>
#include <filesystem>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/table_properties_collectors.h"
#include "rocksdb/write_batch.h"
#include "state/internal/partition_store_impl.h"
#include "state/keys.h"
#include "state/status.h"

namespace callflow::state {
namespace {

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

// Bytes of write-ahead log that opening the store at `path` replays: what
// was committed since its last flush (0 for a new store).
uint64_t LogBytesAt(const std::string& path) {
  std::error_code ec;
  uint64_t bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    if (entry.path().extension() != ".log") continue;  // "LOG" is the info log
    const uintmax_t size = entry.file_size(ec);
    if (!ec) bytes += size;
  }
  return bytes;
}

// The memtable a store opens with. Replaying a write-ahead log into the
// 64 KiB one would flush a tiny SST file (and fsync it, and the MANIFEST)
// for every 64 KiB replayed, adding tens of milliseconds to every
// partition's open after a restart. So a store with a log opens with room
// for all of it (a memtable entry takes up to about twice its log bytes),
// within the share of the budget it is about to take; the replay then
// needs no flush. The memtables replayed hold no more than the write
// buffers held before the restart, so the budget still bounds them.
size_t OpeningWriteBufferBytes(const StateEnv& env, uint64_t wal_bytes) {
  return std::clamp<size_t>(
      2 * wal_bytes, kInitialWriteBufferBytes,
      std::max(kInitialWriteBufferBytes, env.write_buffer_size_per_store()));
}

rocksdb::Options DbOptions(const StateEnv& env, size_t write_buffer_size) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.write_buffer_manager = env.write_buffers();
  options.write_buffer_size = write_buffer_size;
  options.arena_block_size = ArenaBlockBytes(write_buffer_size);
  // The replayed log stays in the memtable (and the log on disk until it is
  // flushed) instead of being flushed before the open returns.
  options.avoid_flush_during_recovery = true;
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

}  // namespace

uint64_t WalBytes(const std::string& state_dir, int32_t partition) {
  return LogBytesAt(PartitionPath(state_dir, partition));
}

PartitionStore::Impl::Impl(StateEnv& env, int32_t partition, std::string path,
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

PartitionStore::Impl::~Impl() {
  // Whoever drops the store (a revoke, a stop, a load cancelled by either),
  // the next open replays no log. A failure costs only that replay.
  if (env_.options().flush_on_close) (void)FlushToDisk();
  db_.reset();
  env_.StoreClosed();
}

absl::Status PartitionStore::Impl::ApplyMemoryShare() {
  const size_t target = env_.write_buffer_size_per_store();
  if (applied_write_buffer_ != 0 && target * 4 < applied_write_buffer_ * 5 &&
      target * 5 > applied_write_buffer_ * 4) {
    return absl::OkStatus();
  }
  rocksdb::Status s = db_->SetOptions(
      {{"write_buffer_size", std::to_string(target)},
       {"arena_block_size", std::to_string(ArenaBlockBytes(target))}});
  if (!s.ok()) {
    return FromRocksDb(s, absl::StrCat("sizing the memtable of '", path_, "'"));
  }
  applied_write_buffer_ = target;
  return absl::OkStatus();
}

absl::Status PartitionStore::Impl::Load() {
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
    return FromRocksDb(s, absl::StrCat("reading next offset of '", path_, "'"));
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

size_t PartitionStore::Impl::ForEachSealedChange(
    const std::function<void(std::string_view, const std::string*)>& fn) const {
  if (!sealed_) return 0;
  struct Visitor : rocksdb::WriteBatch::Handler {
    const std::function<void(std::string_view, const std::string*)>* fn;
    size_t count = 0;
    void Put(const rocksdb::Slice& key, const rocksdb::Slice& value) override {
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

absl::Status PartitionStore::Impl::SetSealedChangelogPosition(
    const v1::ChangelogPosition& pos) {
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

absl::Status PartitionStore::Impl::ApplyRestored(
    const std::vector<PartitionStore::Change>& changes,
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

absl::Status PartitionStore::Impl::Wipe() {
  if (absl::Status s = CheckQuiet("wipe"); !s.ok()) return s;
  rocksdb::WriteBatch batch;
  rocksdb::Status s = batch.DeleteRange(ToSlice(std::string_view("\0", 1)),
                                        ToSlice("\xff\xff\xff\xff"));
  if (s.ok()) s = db_->Write(write_options_, &batch);
  if (!s.ok()) {
    return FromRocksDb(
        s, absl::StrCat("wiping partition ", partition_, " in '", path_, "'"));
  }
  return Reload();
}

bool PartitionStore::Impl::empty() const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_));
  it->SeekToFirst();
  // An iterator that failed (an I/O error) is not Valid() either: that is
  // not an empty store, and taking it for one would skip the wipe before a
  // restore from the beginning.
  return !it->Valid() && it->status().ok();
}

absl::StatusOr<size_t> PartitionStore::Impl::ForEachStored(
    const std::function<void(std::string_view, const std::string&)>& fn) const {
  if (absl::Status s = CheckQuiet("reading every key"); !s.ok()) return s;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_));
  size_t count = 0;
  std::string value;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    if (key == keys::kChangelogPositionKey) continue;
    value.assign(it->value().data(), it->value().size());
    fn(key, value);
    ++count;
  }
  if (!it->status().ok()) {
    return FromRocksDb(
        it->status(),
        absl::StrCat("reading partition ", partition_, " of '", path_, "'"));
  }
  return count;
}

absl::Status PartitionStore::Impl::CheckQuiet(std::string_view what) const {
  if (!status_.ok()) return status_;
  if (sealed_ || dirty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("partition ", partition_, ": ", std::string(what),
                     " while changes are buffered or sealed"));
  }
  return absl::OkStatus();
}

absl::Status PartitionStore::Impl::Reload() {
  index_.clear();
  callers_.clear();
  cached_cost_ = 0;
  loaded_timers_.clear();
  has_disk_next_ = false;
  disk_next_key_.clear();
  return Load();
}

absl::Status PartitionStore::Impl::Seal(std::optional<int64_t> next_offset) {
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
      SetCachedBytes(*node, value_buf_.size());
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
    return FromRocksDb(
        s, absl::StrCat("sealing partition ", partition_, " of '", path_, "'"));
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

absl::Status PartitionStore::Impl::WriteSealed() {
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
    if (node->erased && !node->dirty) DropCaller(node);
  }
  sealed_erased_.clear();
  next_offset_ = sealed_offset_;
  if (sealed_position_) changelog_position_ = std::move(sealed_position_);
  sealed_position_.reset();
  TrimCallers();
  return absl::OkStatus();
}

absl::Status PartitionStore::Impl::Commit(std::optional<int64_t> next_offset) {
  if (absl::Status s = WriteSealed(); !s.ok()) return s;
  if (absl::Status s = Seal(next_offset); !s.ok()) return s;
  return WriteSealed();
}

absl::Status PartitionStore::Impl::FlushToDisk() {
  rocksdb::FlushOptions flush;
  flush.wait = true;
  // Waiting for a stalled write to clear could block a close for as long
  // as the compactions take; the flush itself is what is wanted.
  flush.allow_write_stall = true;
  return FromRocksDb(db_->Flush(flush),
                     absl::StrCat("flushing state db '", path_, "'"));
}

PartitionStats PartitionStore::Impl::Stats() const {
  PartitionStats stats;
  db_->GetIntProperty(rocksdb::DB::Properties::kEstimateNumKeys,
                      &stats.estimated_keys);
  db_->GetIntProperty(rocksdb::DB::Properties::kEstimateLiveDataSize,
                      &stats.live_data_bytes);
  db_->GetIntProperty(rocksdb::DB::Properties::kEstimatePendingCompactionBytes,
                      &stats.pending_compaction_bytes);
  stats.cached_callers = callers_.size();
  stats.timer_scans = timer_scans_;
  return stats;
}

absl::StatusOr<std::unique_ptr<PartitionStore>> PartitionStore::Open(
    StateEnv& env, int32_t partition) {
  if (partition < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition must be >= 0, got ", partition));
  }
  std::string path = PartitionPath(env.options().dir, partition);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(
      DbOptions(env, OpeningWriteBufferBytes(env, LogBytesAt(path))), path,
      &raw);
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
absl::Status PartitionStore::Commit(std::optional<int64_t> next_offset) {
  return impl_->Commit(next_offset);
}
absl::Status PartitionStore::Seal(std::optional<int64_t> next_offset) {
  return impl_->Seal(next_offset);
}
absl::Status PartitionStore::WriteSealed() { return impl_->WriteSealed(); }
bool PartitionStore::sealed() const { return impl_->sealed(); }
absl::Status PartitionStore::FlushToDisk() { return impl_->FlushToDisk(); }
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
absl::StatusOr<size_t> PartitionStore::ForEachStored(
    const std::function<void(std::string_view, const std::string&)>& fn) const {
  return impl_->ForEachStored(fn);
}
const absl::Status& PartitionStore::status() const { return impl_->status(); }
PartitionStats PartitionStore::Stats() const { return impl_->Stats(); }
const v1::PartitionState& PartitionStore::partition_record() const {
  return impl_->partition_record();
}

v1::PartitionState& PartitionStore::MutablePartition() {
  return impl_->MutablePartition();
}

}  // namespace callflow::state
