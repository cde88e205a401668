#include "state/state_env.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/write_buffer_manager.h"

namespace callflow::state {

absl::StatusOr<std::unique_ptr<StateEnv>> StateEnv::Create(
    StateOptions options) {
  if (options.dir.empty()) {
    return absl::InvalidArgumentError(
        "state dir is empty: set [state] dir or --state-dir");
  }
  if (options.block_cache_bytes == 0 || options.write_buffer_bytes == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("state block_cache_bytes (", options.block_cache_bytes,
                     ") and write_buffer_bytes (", options.write_buffer_bytes,
                     ") must both be > 0"));
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
  // budgets and the whole state stays within their sum. One shard: index and
  // filter blocks live in the cache, and default sharding thrashes on them.
  rocksdb::LRUCacheOptions cache_options;
  cache_options.capacity =
      options_.block_cache_bytes + options_.write_buffer_bytes;
  cache_options.num_shard_bits = 0;
  cache_options.high_pri_pool_ratio = 0.5;  // index and filter blocks
  cache_ = rocksdb::NewLRUCache(cache_options);
  wbm_ = std::make_shared<rocksdb::WriteBufferManager>(
      options_.write_buffer_bytes, cache_, /*allow_stall=*/false);
}

StateEnv::~StateEnv() = default;

size_t StateEnv::block_cache_usage() const { return cache_->GetUsage(); }

}  // namespace callflow::state
