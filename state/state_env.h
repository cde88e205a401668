#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace rocksdb {
class Cache;
class WriteBufferManager;
}  // namespace rocksdb

namespace callflow::state {

// The state's memory budget ([state] in the config).
struct StateOptions {
  // Root directory; each partition lives in "<dir>/p-<partition>".
  std::string dir = "./callflow-state";
  // RocksDB block cache shared by all partitions. Default 64 MiB.
  size_t block_cache_bytes = 64u << 20;
  // Memtable budget shared by all partitions. Default 64 MiB.
  size_t write_buffer_bytes = 64u << 20;
  // Caller records kept in memory per partition after a commit. Default 50000.
  size_t cached_callers_per_partition = 50000;
};

// Shared resources of every PartitionStore of one process: the block cache
// and the write buffer manager, so the whole state stays inside one budget.
// Thread-safe; must outlive the stores opened with it.
class StateEnv {
 public:
  static absl::StatusOr<std::unique_ptr<StateEnv>> Create(StateOptions options);
  ~StateEnv();

  const StateOptions& options() const { return options_; }
  const std::shared_ptr<rocksdb::Cache>& block_cache() const { return cache_; }
  const std::shared_ptr<rocksdb::WriteBufferManager>& write_buffers() const {
    return wbm_;
  }
  // Bytes the block cache uses now.
  size_t block_cache_usage() const;

 private:
  explicit StateEnv(StateOptions options);
  StateOptions options_;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::shared_ptr<rocksdb::WriteBufferManager> wbm_;
};

}  // namespace callflow::state
