#pragma once

#include <atomic>
#include <chrono>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "processor/ingest/event_sink.h"
#include "processor/ingest/future_check.h"
#include "processor/ingest/ingest_counts.h"
#include "processor/ingest/ingest_metrics.h"
#include "processor/ingest/line_adapter.h"

namespace callflow::ingest {

// What `callflow ingest --input` reads and how. A plain value;
// thread-compatible.
struct FileIngestOptions {
  // A file, or "-" for stdin. Required.
  std::string input;
  // Keep reading what is appended, across rotations (tail -F). Default off:
  // stop at the end of the input.
  bool follow = false;
  // Where to save the position ("" = nowhere, start at the beginning).
  std::string position_file;
  // Flush the sink and save the position at most this often while lines
  // keep coming. Default 1s.
  std::chrono::milliseconds checkpoint_every{1000};
  // Follow mode: how long to wait when nothing new was written. Default
  // 200ms.
  std::chrono::milliseconds poll_every{200};
  // The FUTURE check (the wall clock with follow, --now without). Default:
  // none.
  FutureCheck future;
};

// Reads the input line by line through `adapter` into `sink` until its end
// (or, with follow, until `stop`), then flushes and saves the position.
// Malformed lines are reported on `log` and never stop the run; an error
// only for I/O failures (input, sink, position file). `metrics` may be null.
absl::StatusOr<IngestCounts> RunFileIngest(
    const FileIngestOptions& options, LineAdapter& adapter, EventSink& sink,
    const std::atomic<bool>& stop, IngestMetrics* metrics, std::ostream& log);

}  // namespace callflow::ingest
