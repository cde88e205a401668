#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"

namespace callflow::util {

// A fresh directory under the system's temporary directory
// ("<tmp>/<prefix>-XXXXXX"), removed with everything in it when the object
// is destroyed. Used for throw-away state (replay, demo) and by tests.
// Movable, not copyable; not thread-safe.
class TempDir {
 public:
  static absl::StatusOr<TempDir> Create(std::string_view prefix);
  // For tests and benchmarks: aborts with a message when it cannot create.
  static TempDir CreateOrDie(std::string_view prefix);

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }

  // Leaves the directory on disk (to look at after a failed run): the
  // object no longer owns it, as if moved from. Returns its path.
  std::string Release() { return std::exchange(path_, std::string()); }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  void Remove();

  std::string path_;  // empty once moved from
};

}  // namespace callflow::util
