#include "processor/ingest/position_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace callflow::ingest {

namespace {

absl::Status Unavailable(const char* what, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(errno)));
}

// The file is one short line; anything longer is not a position file.
constexpr size_t kMaxPositionBytes = 256;

}  // namespace

absl::StatusOr<std::optional<FilePosition>> LoadPosition(
    const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    return Unavailable("read", path);
  }
  std::string text(kMaxPositionBytes, '\0');
  const ssize_t n = read(fd, text.data(), text.size());
  const absl::Status read_status =
      n < 0 ? Unavailable("read", path) : absl::OkStatus();
  close(fd);
  if (!read_status.ok()) return read_status;
  text.resize(static_cast<size_t>(n));
  std::vector<std::string> parts =
      absl::StrSplit(absl::StripAsciiWhitespace(text), ' ');
  FilePosition pos;
  // "<inode> <offset>" was the format before the line count.
  if (parts.size() < 2 || parts.size() > 3 ||
      !absl::SimpleAtoi(parts[0], &pos.inode) ||
      !absl::SimpleAtoi(parts[1], &pos.offset) ||
      (parts.size() == 3 && !absl::SimpleAtoi(parts[2], &pos.lines))) {
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        ": expected \"<inode> <offset> [<lines>]\"; remove the file to start "
        "from the beginning of the input"));
  }
  return pos;
}

absl::Status SavePosition(const std::string& path, const FilePosition& pos) {
  const std::string tmp = path + ".tmp";
  const std::string text =
      absl::StrCat(pos.inode, " ", pos.offset, " ", pos.lines, "\n");
  const int fd =
      open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0 &&
            write(fd, text.data(), text.size()) ==
                static_cast<ssize_t>(text.size()) &&
            fdatasync(fd) == 0;
  if (fd >= 0) ok = close(fd) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Unavailable("write", path);
  }
  // The rename is durable only once the directory is synced: without it a
  // power loss can bring back the old position, and the lines after it are
  // sent again.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dir_fd =
      open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ok = dir_fd >= 0 && fsync(dir_fd) == 0;
  if (dir_fd >= 0) close(dir_fd);
  if (!ok) return Unavailable("sync the directory of", path);
  return absl::OkStatus();
}

}  // namespace callflow::ingest
