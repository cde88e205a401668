#include "processor/ingest/position_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace callflow::ingest {

absl::StatusOr<std::optional<FilePosition>> LoadPosition(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return std::nullopt;
    return absl::UnavailableError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  std::vector<std::string> parts =
      absl::StrSplit(absl::StripAsciiWhitespace(text), ' ');
  FilePosition pos;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &pos.inode) ||
      !absl::SimpleAtoi(parts[1], &pos.offset)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        ": expected \"<inode> <offset>\"; remove the file to start "
        "from the beginning of the input"));
  }
  return pos;
}

absl::Status SavePosition(const std::string& path, const FilePosition& pos) {
  const std::string tmp = path + ".tmp";
  const std::string text = absl::StrCat(pos.inode, " ", pos.offset, "\n");
  const int fd =
      open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0 &&
            write(fd, text.data(), text.size()) ==
                static_cast<ssize_t>(text.size()) &&
            fdatasync(fd) == 0;
  if (fd >= 0) ok = close(fd) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace callflow::ingest
