#include "state/state_env.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/listener.h"
#include "rocksdb/write_buffer_manager.h"

namespace callflow::state {
namespace {

// Counts completed memtable flushes (any thread of any store).
class FlushCounter : public rocksdb::EventListener {
 public:
  const char* Name() const override { return "callflow.FlushCounter"; }
  void OnFlushCompleted(rocksdb::DB* /*db*/,
                        const rocksdb::FlushJobInfo& /*info*/) override {
    flushes_.fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t flushes() const { return flushes_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> flushes_{0};
};

constexpr size_t kMinWriteBufferBytes = size_t{64} << 10;  // RocksDB's floor
constexpr size_t kMaxWriteBufferBytes = size_t{64} << 20;

}  // namespace

absl::StatusOr<std::unique_ptr<StateEnv>> StateEnv::Create(
    StateOptions options) {
  if (options.dir.empty()) {
    return absl::InvalidArgumentError(
        "state dir is empty: set [state] dir or --state-dir");
  }
  if (options.memory_budget_bytes < kMinBudgetBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("state memory budget (", options.memory_budget_bytes >> 20,
                     " MiB) must be at least ", kMinBudgetBytes >> 20,
                     " MiB: raise [state] memory_budget_mb"));
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create state dir '", options.dir,
                     "': ", ec.message(), "; pick a writable --state-dir"));
  }
  return std::unique_ptr<StateEnv>(new StateEnv(std::move(options)));
}

StateEnv::StateEnv(StateOptions options) : options_(std::move(options)) {
  // Memtables are charged to the block cache, so the cache holds both
  // shares and the memtables plus data blocks stay within their sum. One
  // shard: index and filter blocks live in the cache, and default sharding
  // thrashes on them.
  rocksdb::LRUCacheOptions cache_options;
  cache_options.capacity = data_block_bytes() + write_buffer_bytes();
  cache_options.num_shard_bits = 0;
  cache_options.high_pri_pool_ratio = 0.5;  // index and filter blocks
  cache_ = rocksdb::NewLRUCache(cache_options);
  wbm_ = std::make_shared<rocksdb::WriteBufferManager>(
      write_buffer_bytes(), cache_, /*allow_stall=*/false);
  flush_listener_ = std::make_shared<FlushCounter>();
}

StateEnv::~StateEnv() = default;

size_t StateEnv::block_cache_usage() const { return cache_->GetUsage(); }

size_t StateEnv::write_buffer_size_per_store() const {
  const size_t stores = std::max<size_t>(1, open_stores());
  return std::clamp(write_buffer_bytes() / stores, kMinWriteBufferBytes,
                    kMaxWriteBufferBytes);
}

size_t StateEnv::cached_callers_per_store() const {
  if (options_.cached_callers_per_partition > 0) {
    return options_.cached_callers_per_partition;
  }
  const size_t stores = std::max<size_t>(1, open_stores());
  return std::max<size_t>(1,
                          caller_cache_bytes() / stores / kCachedCallerBytes);
}

size_t StateEnv::caller_cache_bytes_per_store() const {
  if (options_.cached_callers_per_partition > 0) return SIZE_MAX;
  return caller_cache_bytes() / std::max<size_t>(1, open_stores());
}

uint64_t StateEnv::flushes() const {
  return static_cast<const FlushCounter&>(*flush_listener_).flushes();
}

}  // namespace callflow::state
