// InspectCaller (`callflow inspect`): one caller's committed record, read
// from a state dir's partition databases opened read-only.
#include <algorithm>
#include <cstdarg>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "state/keys.h"
#include "state/partition_store.h"
#include "state/status.h"

namespace callflow::state {
namespace {

// Keeps a read-only open from rotating the LOG of a running processor.
class NullLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
  void Logv(const rocksdb::InfoLogLevel /*level*/, const char* /*format*/,
            va_list /*ap*/) override {}
};

}  // namespace

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
