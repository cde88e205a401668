#pragma once

#include <cstdint>
#include <ostream>

#include "absl/status/status.h"
#include "callflow/v1/events.pb.h"
#include "processor/sim/random.h"

namespace callflow::sim {

// How a JsonlWriter salts its output with malformed lines. A plain value;
// thread-compatible.
struct JsonlWriterOptions {
  // Seeds the choice of malformed lines. Default 1.
  uint64_t seed = 1;
  // Chance that a malformed line is written before an event. Default 0.
  double malformed_rate = 0;
};

// Writes CallEvents as JSON lines (codec::ToJson) and, at `malformed_rate`,
// an extra deliberately bad line before an event so the DLQ path runs:
// truncated JSON, an unknown enum name, or a missing event_id. Bad lines are
// copies of the event that follows, so the valid stream is unchanged.
//
// Lifecycle: wraps a caller-owned stream. Not thread-safe.
class JsonlWriter {
 public:
  enum class Malformation { kTruncated, kUnknownEnum, kMissingEventId };

  JsonlWriter(std::ostream* out, const JsonlWriterOptions& options);

  // Writes the event's line (maybe preceded by a bad line). Returns
  // DataLoss when the stream failed.
  absl::Status Write(const v1::CallEvent& event);

  // One malformed line for `event` of the given kind, without a newline.
  static std::string Malformed(const v1::CallEvent& event, Malformation kind);

  uint64_t lines() const { return lines_; }
  uint64_t malformed() const { return malformed_; }

 private:
  std::ostream* out_;
  double malformed_rate_;
  Rng rng_;
  uint64_t lines_ = 0;
  uint64_t malformed_ = 0;
};

}  // namespace callflow::sim
