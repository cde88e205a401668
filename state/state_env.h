#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace rocksdb {
class Cache;
class EventListener;
class WriteBufferManager;
}  // namespace rocksdb

namespace callflow::state {

// The state's options ([state] in the config). A plain value;
// thread-compatible.
struct StateOptions {
  // Root directory; each partition lives in "<dir>/p-<partition>".
  std::string dir = "./callflow-state";
  // The whole state's memory: memtables, block cache and caller cache
  // (StateEnv splits it). Default 256 MiB.
  size_t memory_budget_bytes = 256u << 20;
  // Tests and benches only: a fixed caller cache per partition instead of
  // the budget's share (0: the share).
  size_t cached_callers_per_partition = 0;
  // A store flushes its memtables when it closes, so the next open of the
  // partition replays no write-ahead log. Off: a store closes as a killed
  // process leaves it (tests of that replay; a state dir deleted right
  // after, such as replay's temporary one).
  bool flush_on_close = true;
};

// Shared resources of every PartitionStore of one process, so the whole
// state stays inside one memory budget: the block cache, the write buffer
// manager, and the division of the budget over the stores open now.
//
// The budget is split once: a quarter for memtables (shared through the
// write buffer manager, which charges them to the block cache), a quarter
// for data blocks, half for caller records. What is per store (its
// memtable size, its caller cache) is that share divided by the stores open
// now; each store picks the new size up at its next commit.
// Thread-safe; must outlive the stores opened with it.
class StateEnv {
 public:
  // Estimated memory of one cached caller record (key, protobuf, list and
  // index nodes), used to turn the callers' share into a count.
  static constexpr size_t kCachedCallerBytes = 1024;
  // Smallest budget accepted.
  static constexpr size_t kMinBudgetBytes = 8u << 20;

  static absl::StatusOr<std::unique_ptr<StateEnv>> Create(StateOptions options);
  ~StateEnv();

  const StateOptions& options() const { return options_; }
  const std::shared_ptr<rocksdb::Cache>& block_cache() const { return cache_; }
  const std::shared_ptr<rocksdb::WriteBufferManager>& write_buffers() const {
    return wbm_;
  }
  // Counts the flushes of every store (give it to each store's options).
  const std::shared_ptr<rocksdb::EventListener>& flush_listener() const {
    return flush_listener_;
  }
  // Bytes the block cache uses now.
  size_t block_cache_usage() const;

  // The budget's shares (bytes).
  size_t write_buffer_bytes() const { return options_.memory_budget_bytes / 4; }
  size_t data_block_bytes() const { return options_.memory_budget_bytes / 4; }
  size_t caller_cache_bytes() const {
    return options_.memory_budget_bytes - write_buffer_bytes() -
           data_block_bytes();
  }

  // PartitionStore calls these when it opens and closes.
  void StoreOpened() { open_stores_.fetch_add(1); }
  void StoreClosed() { open_stores_.fetch_sub(1); }
  size_t open_stores() const { return open_stores_.load(); }

  // One store's memtable size now: the memtables' share over the open
  // stores, within RocksDB's bounds (64 KiB .. 64 MiB).
  size_t write_buffer_size_per_store() const;
  // One store's caller cache now (records).
  size_t cached_callers_per_store() const;
  // One store's caller cache now (bytes the cached records may cost; no
  // bound with a fixed cached_callers_per_partition).
  size_t caller_cache_bytes_per_store() const;
  // Memtable flushes of every store so far.
  uint64_t flushes() const;

 private:
  explicit StateEnv(StateOptions options);
  StateOptions options_;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::shared_ptr<rocksdb::WriteBufferManager> wbm_;
  std::shared_ptr<rocksdb::EventListener> flush_listener_;
  std::atomic<size_t> open_stores_{0};
};

}  // namespace callflow::state
