// PartitionStore's caller cache: the LRU of caller records in front of
// RocksDB, read one at a time or prefetched with one MultiGet, and trimmed to
// the store's budget after each written cycle.
#include <algorithm>
#include <iterator>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "processor/rules/stable_hash.h"
#include "state/internal/partition_store_impl.h"
#include "state/keys.h"
#include "state/partition_store.h"
#include "state/status.h"

namespace callflow::state {

v1::CallerState& PartitionStore::Impl::MutableCaller(std::string_view key) {
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

void PartitionStore::Impl::EraseCaller(std::string_view key) {
  auto it = index_.find(key);
  CallerList::iterator node = it != index_.end() ? it->second : Insert(key);
  node->record.Clear();
  node->erased = true;
  MarkDirty(node);
}

absl::Status PartitionStore::Impl::Prefetch(
    const std::vector<std::string>& keys) {
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
      Fail(FromRocksDb(s,
                       absl::StrCat("prefetching callers from '", path_, "'")));
    }
    prefetch_values_[i].Reset();
  }
  return status_;
}

PartitionStore::Impl::CallerList::iterator PartitionStore::Impl::Insert(
    std::string_view key) {
  callers_.emplace_front();
  CallerList::iterator node = callers_.begin();
  node->key.assign(key);
  index_.emplace(std::string_view(node->key), node);
  cached_cost_ += CachedCost(0);
  return node;
}

void PartitionStore::Impl::SetCachedBytes(CachedCaller& caller, size_t bytes) {
  cached_cost_ += CachedCost(bytes) - CachedCost(caller.bytes);
  caller.bytes = bytes;
}

void PartitionStore::Impl::DropCaller(CallerList::iterator node) {
  cached_cost_ -= CachedCost(node->bytes);
  index_.erase(std::string_view(node->key));
  callers_.erase(node);
}

void PartitionStore::Impl::MarkDirty(CallerList::iterator node) {
  if (node->dirty) return;
  node->dirty = true;
  dirty_callers_.push_back(node);
}

void PartitionStore::Impl::ReadCaller(CachedCaller& caller) {
  keys::CallerKey(caller.key, &key_buf_);
  get_buf_.Reset();
  rocksdb::Status s =
      db_->Get(read_options_, db_->DefaultColumnFamily(), key_buf_, &get_buf_);
  if (s.ok()) {
    ParseCaller(get_buf_, caller);
  } else if (!s.IsNotFound()) {
    Fail(FromRocksDb(s, absl::StrCat("reading a caller from '", path_, "'")));
  }
  get_buf_.Reset();
}

void PartitionStore::Impl::ParseCaller(const rocksdb::Slice& value,
                                       CachedCaller& caller) {
  SetCachedBytes(caller, value.size());
  if (!caller.record.ParseFromArray(value.data(),
                                    static_cast<int>(value.size()))) {
    caller.record.Clear();
    // The caller key is a phone number: logs name its hash only.
    Fail(absl::DataLossError(absl::StrCat(
        "record of caller #", absl::Hex(rules::StableHash(caller.key)),
        " (FNV-1a of the key) in '", path_, "' does not parse")));
  }
}

// Two bounds: the count (the share over kCachedCallerBytes, as if every
// record were typical) and the bytes the records cost, so that a partition
// of large records (long histories) does not hold many times its share.
void PartitionStore::Impl::TrimCallers() {
  const size_t budget = env_.cached_callers_per_store();
  const size_t bytes = env_.caller_cache_bytes_per_store();
  auto it = callers_.end();
  while ((callers_.size() > budget || cached_cost_ > bytes) &&
         it != callers_.begin()) {
    --it;
    if (it->dirty) continue;
    auto next = std::next(it);
    DropCaller(it);
    it = next;
  }
}

absl::Status PartitionStore::Prefetch(const std::vector<std::string>& keys) {
  return impl_->Prefetch(keys);
}
v1::CallerState& PartitionStore::MutableCaller(std::string_view key) {
  return impl_->MutableCaller(key);
}
void PartitionStore::EraseCaller(std::string_view key) {
  impl_->EraseCaller(key);
}

}  // namespace callflow::state
