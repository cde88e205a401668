#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "processor/ingest/event_sink.h"
#include "processor/ingest/future_check.h"
#include "processor/ingest/ingest_counts.h"
#include "processor/ingest/line_adapter.h"

namespace callflow::ingest {

// Where a raw line came from, for its error message and dead letter. A plain
// value; thread-compatible.
struct LineOrigin {
  int32_t partition = -1;  // -1 for a file
  int64_t offset = 0;      // the line number in a file, the record's offset
  std::string_view key;    // the raw record's key
  // A line cut when it was read (FileTail::kMaxLineBytes): its whole size
  // and 64-bit FNV-1a, for the dead letter. 0: the line is whole.
  uint64_t whole_size = 0;
  uint64_t whole_fnv1a = 0;
};

// The step after an adapter, shared by the file and topic runs: counts the
// line's outcome, writes its events to the sink, and reports a malformed
// line on `log` ("<source>: line N: malformed: <why>"; the first
// kMaxReported only) and as a DeadLetter to the sink. An event `future`
// rejects is not written: it is counted, reported ("<source>: line N:
// future: <why>") and dead-lettered with reason FUTURE the same way.
//
// Lifecycle: one per run. Not thread-safe.
class IngestWriter {
 public:
  static constexpr uint64_t kMaxReported = 100;

  // `source` names the input: a path or a topic.
  IngestWriter(EventSink& sink, std::ostream& log, std::string source,
               FutureCheck future = {})
      : sink_(sink), log_(log), source_(std::move(source)), future_(future) {}

  // Handles one converted line; `events` are the adapter's output for it
  // (moved into the sink).
  absl::Status Handle(const LineResult& result,
                      std::vector<v1::CallEvent>& events, std::string_view raw,
                      const LineOrigin& origin);

  IngestCounts& counts() { return counts_; }
  EventSink& sink() { return sink_; }

 private:
  // Reports what went wrong (`kind`: "malformed", "future"; `count` is
  // that kind's count so far, for the report limit) and dead-letters
  // `payload`.
  absl::Status Reject(const LineOrigin& origin, absl::string_view kind,
                      uint64_t count, v1::DeadLetter::Reason reason,
                      const std::string& error, std::string payload);

  EventSink& sink_;
  std::ostream& log_;
  std::string source_;
  FutureCheck future_;
  IngestCounts counts_;
};

}  // namespace callflow::ingest
