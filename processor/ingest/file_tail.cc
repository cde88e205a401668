#include "processor/ingest/file_tail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "processor/codec/codec.h"
#include "processor/rules/stable_hash.h"

namespace callflow::ingest {
namespace {

constexpr size_t kChunk = 1 << 20;

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Whether `offset` is just after a newline, the start or the end of the
// file (`size`): a saved position always is (the end when the last line had
// no newline), so a file that has another byte there was truncated and
// written again while ingest was stopped (copytruncate), and the offset
// means nothing in it any more.
bool EndsALine(int fd, uint64_t offset, uint64_t size) {
  if (offset == 0 || offset == size) return true;
  char byte = 0;
  return pread(fd, &byte, 1, static_cast<off_t>(offset - 1)) == 1 &&
         byte == '\n';
}

}  // namespace

absl::StatusOr<std::unique_ptr<FileTail>> FileTail::Open(
    const std::string& path, bool follow, std::optional<FilePosition> resume,
    std::chrono::milliseconds rotate_wait) {
  std::unique_ptr<FileTail> tail(new FileTail(path, follow, rotate_wait));
  if (absl::Status s = tail->OpenPath(resume); !s.ok()) return s;
  return tail;
}

FileTail::~FileTail() {
  if (fd_ > 0) close(fd_);
}

absl::Status FileTail::OpenPath(std::optional<FilePosition> resume) {
  if (fd_ > 0) close(fd_);
  buffer_.clear();
  begin_ = 0;
  offset_ = 0;
  lines_ = 0;
  eof_ = false;
  if (path_ == "-") {
    fd_ = STDIN_FILENO;
    return absl::OkStatus();
  }
  fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return Errno("cannot open", path_);
  struct stat st {};
  if (fstat(fd_, &st) != 0) return Errno("cannot stat", path_);
  inode_ = st.st_ino;
  if (resume && resume->inode == inode_ &&
      static_cast<uint64_t>(st.st_size) >= resume->offset &&
      EndsALine(fd_, resume->offset, static_cast<uint64_t>(st.st_size))) {
    if (lseek(fd_, static_cast<off_t>(resume->offset), SEEK_SET) < 0) {
      return Errno("cannot seek in", path_);
    }
    offset_ = resume->offset;
    lines_ = resume->lines;
    resumed_ = true;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> FileTail::Fill() {
  if (begin_ > 0) {
    buffer_.erase(0, begin_);
    begin_ = 0;
  }
  const size_t old = buffer_.size();
  buffer_.resize(old + kChunk);
  ssize_t n;
  do {
    n = read(fd_, buffer_.data() + old, kChunk);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    buffer_.resize(old);
    return Errno("cannot read", path_);
  }
  buffer_.resize(old + static_cast<size_t>(n));
  eof_ = n == 0;
  return n > 0;
}

std::string_view FileTail::HandOut(size_t end, size_t next) {
  const size_t size = end - begin_;
  std::string_view line(buffer_.data() + begin_, std::min(size, kMaxLineBytes));
  const bool first = offset_ == 0;
  last_line_size_ = size + skipped_;
  if (skipped_ > 0) {
    last_line_fnv1a_ = rules::StableHash(
        std::string_view(buffer_.data() + begin_ + kMaxLineBytes,
                         size - kMaxLineBytes),
        skipped_fnv1a_);
  } else if (size > kMaxLineBytes) {
    last_line_fnv1a_ =
        rules::StableHash(std::string_view(buffer_.data() + begin_, size));
  } else {
    last_line_fnv1a_ = 0;
  }
  offset_ += (next - begin_) + skipped_;
  skipped_ = 0;
  begin_ = next;
  ++lines_;
  return first ? codec::WithoutByteOrderMark(line) : line;
}

absl::StatusOr<std::optional<std::string_view>> FileTail::NextLine() {
  size_t scan = begin_;
  while (true) {
    const size_t nl = buffer_.find('\n', scan);
    if (nl != std::string::npos) return HandOut(nl, nl + 1);
    if (buffer_.size() - begin_ > kMaxLineBytes) {
      // No newline in sight: keep the line's head only (and hash the rest
      // as it goes by).
      const std::string_view head(buffer_.data() + begin_, kMaxLineBytes);
      const std::string_view rest(buffer_.data() + begin_ + kMaxLineBytes,
                                  buffer_.size() - begin_ - kMaxLineBytes);
      skipped_fnv1a_ = rules::StableHash(
          rest, skipped_ > 0 ? skipped_fnv1a_ : rules::StableHash(head));
      skipped_ += rest.size();
      buffer_.resize(begin_ + kMaxLineBytes);
    }
    scan = buffer_.size() - begin_;  // relative: Fill moves the data to 0
    auto more = Fill();
    if (!more.ok()) return more.status();
    if (*more) continue;
    if ((!follow_ || old_file_done_) &&
        (begin_ < buffer_.size() || skipped_ > 0)) {
      // The last line of a file that does not end in a newline (in follow
      // mode: of a renamed-away file, which will get no more).
      return HandOut(buffer_.size(), buffer_.size());
    }
    return std::nullopt;
  }
}

absl::StatusOr<bool> FileTail::CheckRotation() {
  if (fd_ == STDIN_FILENO) return false;
  struct stat named {};
  if (stat(path_.c_str(), &named) != 0) return false;  // between rename+create
  const uint64_t read_to = offset_ + (buffer_.size() - begin_) + skipped_;
  if (named.st_ino != inode_) {
    // Renamed away and replaced. The writer may still append to the old
    // file (it has not reopened its log yet, or it wrote while the last
    // position was saved): read that first. Go on with the new file from
    // its start once the old one is read to its end and the new one has
    // lines (the writer moved over), or the old one has been still for
    // rotate_wait_.
    struct stat old {};
    if (fstat(fd_, &old) != 0) return Errno("cannot stat", path_);
    const auto now = std::chrono::steady_clock::now();
    const bool grew = static_cast<uint64_t>(old.st_size) > read_to;
    if (grew || !old_quiet_since_.has_value()) old_quiet_since_ = now;
    if (grew) return false;  // NextLine reads what is new in the old file
    if (named.st_size == 0 && now - *old_quiet_since_ < rotate_wait_) {
      return false;
    }
    if (begin_ < buffer_.size() || skipped_ > 0) {
      old_file_done_ = true;  // NextLine hands out its unfinished last line
      return false;
    }
    old_file_done_ = false;
    old_quiet_since_.reset();
    if (absl::Status s = OpenPath(std::nullopt); !s.ok()) return s;
    return true;
  }
  if (static_cast<uint64_t>(named.st_size) < read_to) {
    if (lseek(fd_, 0, SEEK_SET) < 0) return Errno("cannot seek in", path_);
    buffer_.clear();
    begin_ = 0;
    offset_ = 0;
    lines_ = 0;
    skipped_ = 0;
    return true;
  }
  return false;
}

}  // namespace callflow::ingest
