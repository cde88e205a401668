#include "processor/ingest/jsonl_event_sink.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "processor/codec/codec.h"

namespace callflow::ingest {

absl::StatusOr<std::unique_ptr<JsonlEventSink>> JsonlEventSink::Open(
    const std::string& path, bool append) {
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

absl::Status JsonlEventSink::Write(const v1::CallEvent& event) {
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
