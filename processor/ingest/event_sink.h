#pragma once

#include "absl/status/status.h"
#include "callflow/v1/events.pb.h"
#include "callflow/v1/outputs.pb.h"

namespace callflow::ingest {

// Where `callflow ingest` writes: a CallEvent JSONL file or the events
// topic. Flush() is the checkpoint barrier: a position or offset is saved
// only after it returned OK for the output of everything before it.
//
// Lifecycle: Write... Flush... destroy. Not thread-safe.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Takes the event (its contents may be moved away).
  virtual absl::Status Write(v1::CallEvent&& event) = 0;
  // Malformed input; a file sink has no DLQ and drops it (the run reports
  // it on stderr).
  virtual absl::Status WriteDeadLetter(const v1::DeadLetter& dead_letter) = 0;
  // Blocks until everything written so far is on disk or acknowledged.
  virtual absl::Status Flush() = 0;
};

}  // namespace callflow::ingest
