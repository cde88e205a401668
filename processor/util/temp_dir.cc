#include "processor/util/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"

namespace callflow::util {

absl::StatusOr<TempDir> TempDir::Create(std::string_view prefix) {
  std::error_code ec;
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string templ =
      (base / absl::StrCat(std::string(prefix), "-XXXXXX")).string();
  if (mkdtemp(templ.data()) == nullptr) {
    return absl::InternalError(absl::StrCat(
        "cannot create a temporary directory in ", base.string(), ": ",
        std::strerror(errno), " (set TMPDIR to a writable directory)"));
  }
  return TempDir(std::move(templ));
}

TempDir TempDir::CreateOrDie(std::string_view prefix) {
  absl::StatusOr<TempDir> dir = Create(prefix);
  if (!dir.ok()) {
    std::fprintf(stderr, "%s\n", dir.status().ToString().c_str());
    std::abort();
  }
  return *std::move(dir);
}

TempDir::TempDir(TempDir&& other) noexcept
    : path_(std::exchange(other.path_, std::string())) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::exchange(other.path_, std::string());
  }
  return *this;
}

TempDir::~TempDir() { Remove(); }

void TempDir::Remove() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  path_.clear();
}

}  // namespace callflow::util
