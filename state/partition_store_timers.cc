// PartitionStore's timers: new ones buffered in memory, disk ones read from
// RocksDB in batches ahead of the watermark (overlaid with a sealed,
// unwritten batch), popped in (due, kind, key, ref, seq) order.
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "state/internal/partition_store_impl.h"
#include "state/keys.h"
#include "state/partition_store.h"
#include "state/status.h"

namespace callflow::state {
namespace {

// Timers read from disk per scan. The scan reads ahead of the watermark:
// an iterator (a RocksDB superversion, a seek in every memtable and level)
// costs far more than the timers it reads, and the watermark usually
// creeps past the disk timers a few at a time, so reading only the due
// ones took an iterator for every one or two timers.
constexpr size_t kTimerScanBatch = 256;

}  // namespace

std::optional<rules::Timer> PartitionStore::Impl::PopDueTimer(
    rules::TimeNs watermark) {
  if (loaded_timers_.empty() && has_disk_next_ && disk_next_due_ <= watermark) {
    LoadTimers();
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
    return std::move(pending_timers_.extract(pending_timers_.begin()).value());
  }
  return std::nullopt;
}

void PartitionStore::Impl::SetDiskNext(std::string key, rules::TimeNs due) {
  has_disk_next_ = true;
  disk_next_key_ = std::move(key);
  disk_next_due_ = due;
}

absl::Status PartitionStore::Impl::SetDiskNextFrom(rocksdb::Iterator& it) {
  if (!it.Valid()) {
    has_disk_next_ = false;
    disk_next_key_.clear();
    return FromRocksDb(it.status(),
                       absl::StrCat("scanning timers of '", path_, "'"));
  }
  std::optional<rules::Timer> timer =
      keys::DecodeTimerKey(std::string_view(it.key().data(), it.key().size()));
  if (!timer) {
    return absl::DataLossError(
        absl::StrCat("malformed timer key in '", path_, "'"));
  }
  SetDiskNext(it.key().ToString(), timer->due);
  return absl::OkStatus();
}

std::unique_ptr<rocksdb::Iterator> PartitionStore::Impl::NewTimerIterator() {
  rocksdb::Iterator* disk = db_->NewIterator(timer_read_options_);
  if (!sealed_) return std::unique_ptr<rocksdb::Iterator>(disk);
  return std::unique_ptr<rocksdb::Iterator>(sealed_timers_.NewIteratorWithBase(
      db_->DefaultColumnFamily(), disk, &timer_read_options_));
}

absl::Status PartitionStore::Impl::FindFirstDiskTimer() {
  std::unique_ptr<rocksdb::Iterator> it = NewTimerIterator();
  it->Seek(ToSlice(keys::kTimersBegin));
  return SetDiskNextFrom(*it);
}

void PartitionStore::Impl::LoadTimers() {
  ++timer_scans_;
  std::unique_ptr<rocksdb::Iterator> it = NewTimerIterator();
  it->Seek(disk_next_key_);
  for (; it->Valid() && loaded_timers_.size() < kTimerScanBatch; it->Next()) {
    std::optional<rules::Timer> timer = keys::DecodeTimerKey(
        std::string_view(it->key().data(), it->key().size()));
    if (!timer) break;  // reported by SetDiskNextFrom
    loaded_timers_.push_back({std::move(*timer), it->key().ToString()});
  }
  absl::Status status = SetDiskNextFrom(*it);
  if (!status.ok()) Fail(std::move(status));
}

void PartitionStore::AddTimer(const rules::Timer& timer) {
  impl_->AddTimer(timer);
}
std::optional<rules::Timer> PartitionStore::PopDueTimer(
    rules::TimeNs watermark) {
  return impl_->PopDueTimer(watermark);
}

}  // namespace callflow::state
