#include "processor/ingest/jsonl_event_sink.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "processor/codec/codec.h"

namespace callflow::ingest {
namespace {

// Cuts a line a crash left half written off the end of `path` (its events
// come again: the position saved covers only flushed lines).
absl::Status DropTornLine(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return absl::OkStatus();  // a new file
  long end = 0;
  std::string tail;
  if (std::fseek(f, 0, SEEK_END) == 0 && (end = std::ftell(f)) > 0) {
    const long from = std::max(0L, end - (1L << 20));
    tail.resize(static_cast<size_t>(end - from));
    std::fseek(f, from, SEEK_SET);
    tail.resize(std::fread(tail.data(), 1, tail.size(), f));
    end = from + static_cast<long>(tail.size());
  }
  std::fclose(f);
  if (tail.empty() || tail.back() == '\n') return absl::OkStatus();
  const size_t nl = tail.rfind('\n');
  const long keep = end - static_cast<long>(tail.size()) +
                    (nl == std::string::npos ? 0 : static_cast<long>(nl) + 1);
  if (truncate(path.c_str(), keep) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot repair ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<JsonlEventSink>> JsonlEventSink::Open(
    const std::string& path, bool append) {
  if (append && path != "-") {
    if (absl::Status s = DropTornLine(path); !s.ok()) return s;
  }
  FILE* file =
      path == "-" ? stdout : std::fopen(path.c_str(), append ? "a" : "w");
  if (file == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<JsonlEventSink>(new JsonlEventSink(path, file));
}

JsonlEventSink::~JsonlEventSink() {
  if (file_ == stdout) {
    std::fflush(file_);
  } else {
    std::fclose(file_);
  }
}

absl::Status JsonlEventSink::Write(v1::CallEvent&& event) {
  std::string line = codec::ToJson(event);
  line.push_back('\n');
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", path_, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status JsonlEventSink::Flush() {
  if (std::fflush(file_) != 0 ||
      (file_ != stdout && fdatasync(fileno(file_)) != 0)) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", path_, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace callflow::ingest
