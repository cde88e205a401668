#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace callflow::ingest {

// A place in a log file: which file (inode), the byte after the last line
// handed out, and how many lines that is (for the line numbers in messages).
// A plain value; thread-compatible.
struct FilePosition {
  uint64_t inode = 0;
  uint64_t offset = 0;
  uint64_t lines = 0;
  bool operator==(const FilePosition&) const = default;
};

// Reads a file (or stdin, "-") line by line. With follow it behaves like
// `tail -F`: at the end it waits for more, and CheckRotation() notices when
// the path names another file (logrotate's rename + create: the old file is
// read to its end first, then the new one from its start) or when the file
// got shorter than what was read (copytruncate: read again from the start).
// After a rename the old file is kept until nothing has been added to it
// for `rotate_wait`: a writer goes on appending to it until it reopens its
// log (Asterisk until `logger reload`), and those lines count too.
// Lines written to a copytruncated file between the copy and the truncate,
// or past the old size before the truncate is noticed, are a known limit
// of copytruncate.
//
// Lifecycle: Open, NextLine... (CheckRotation when NextLine has nothing in
// follow mode), destroy. Not thread-safe.
class FileTail {
 public:
  // Opens `path` ("-" = stdin). With `resume` (a position saved earlier)
  // reading starts at its offset when the path still names that inode, is
  // at least that long and has a line end just before it; otherwise at the
  // start (`resumed()` says which).
  static absl::StatusOr<std::unique_ptr<FileTail>> Open(
      const std::string& path, bool follow, std::optional<FilePosition> resume,
      std::chrono::milliseconds rotate_wait = kRotateWait);
  // How long a renamed-away file must stay unchanged before the new one is
  // read: a reload right after the rename (logrotate's postrotate) is far
  // quicker.
  static constexpr std::chrono::milliseconds kRotateWait{5000};
  // The longest line handed out: a longer one (a crash's run of bytes with
  // no newline) is cut to its first kMaxLineBytes, the rest is skipped
  // without being held in memory, and last_line_size() says how long it
  // was.
  static constexpr size_t kMaxLineBytes = size_t{1} << 20;
  ~FileTail();
  FileTail(const FileTail&) = delete;
  FileTail& operator=(const FileTail&) = delete;

  // The next complete line, without its newline, valid until the next
  // call; nullopt when there is none now. Without follow, a last line with
  // no newline is returned at the end of the file.
  absl::StatusOr<std::optional<std::string_view>> NextLine();

  // Follow mode, after NextLine found nothing: switches to the file the
  // path names now, or rewinds a truncated file. Returns true when it did.
  absl::StatusOr<bool> CheckRotation();

  // Just after the last line handed out.
  FilePosition position() const { return {inode_, offset_, lines_}; }
  // The length of the last line handed out as it was in the file: more
  // than the line's size when it was cut at kMaxLineBytes.
  uint64_t last_line_size() const { return last_line_size_; }
  // The 64-bit FNV-1a of that whole line, when it was cut (else 0).
  uint64_t last_line_fnv1a() const { return last_line_fnv1a_; }
  bool resumed() const { return resumed_; }
  const std::string& path() const { return path_; }

 private:
  FileTail(std::string path, bool follow, std::chrono::milliseconds rotate_wait)
      : path_(std::move(path)), follow_(follow), rotate_wait_(rotate_wait) {}
  absl::Status OpenPath(std::optional<FilePosition> resume);
  // Reads more bytes into buffer_; false at the end of the file.
  absl::StatusOr<bool> Fill();
  // The line from begin_ to `end` (at most kMaxLineBytes of it); reading
  // goes on at `next`.
  std::string_view HandOut(size_t end, size_t next);

  std::string path_;
  bool follow_;
  std::chrono::milliseconds rotate_wait_;
  // Since when a renamed-away file, read to its end, has not grown.
  std::optional<std::chrono::steady_clock::time_point> old_quiet_since_;
  // The renamed-away file is done: its last line needs no newline.
  bool old_file_done_ = false;
  int fd_ = -1;
  uint64_t inode_ = 0;
  uint64_t offset_ = 0;  // of buffer_[begin_] in the file
  uint64_t lines_ = 0;   // lines before offset_
  // Bytes of the line at begin_ read and skipped past kMaxLineBytes.
  uint64_t skipped_ = 0;
  uint64_t skipped_fnv1a_ = 0;  // of the line up to what was skipped
  uint64_t last_line_size_ = 0;
  uint64_t last_line_fnv1a_ = 0;
  std::string buffer_;  // bytes read, not yet handed out from begin_
  size_t begin_ = 0;
  bool resumed_ = false;
  bool eof_ = false;  // the last Fill hit the end
};

}  // namespace callflow::ingest
