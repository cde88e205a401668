#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "rocksdb/status.h"

namespace callflow::state {

// Converts a RocksDB status to an absl::Status whose message starts with
// `context` (what was being done, on which path). OK stays OK.
absl::Status FromRocksDb(const rocksdb::Status& status,
                         std::string_view context);

}  // namespace callflow::state
