#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "processor/ingest/event_sink.h"

namespace callflow::ingest {

// CallEvent JSONL in codec::ToJson's canonical form (what `callflow replay`
// reads), to a file or stdout ("-").
//
// Lifecycle: Open, Write..., Flush, destroy (flushes). Not thread-safe.
class JsonlEventSink : public EventSink {
 public:
  // `append` keeps what the file holds (a resumed run), minus a last line
  // a crash left half written.
  static absl::StatusOr<std::unique_ptr<JsonlEventSink>> Open(
      const std::string& path, bool append);
  ~JsonlEventSink() override;

  absl::Status Write(v1::CallEvent&& event) override;
  absl::Status WriteDeadLetter(const v1::DeadLetter&) override {
    return absl::OkStatus();
  }
  absl::Status Flush() override;

 private:
  JsonlEventSink(std::string path, FILE* file)
      : path_(std::move(path)), file_(file) {}
  std::string path_;
  FILE* file_;
};

}  // namespace callflow::ingest
