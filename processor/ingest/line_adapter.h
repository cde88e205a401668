#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "callflow/v1/events.pb.h"
#include "callflow/v1/outputs.pb.h"

namespace callflow::ingest {

// What one input line became.
enum class LineOutcome {
  kEvents,     // one or more CallEvents
  kBlank,      // an empty line: nothing, not counted
  kIgnored,    // a valid line with no CallEvent meaning
  kOrphan,     // belongs to a call whose start was not seen
  kMalformed,  // cannot be read; `error` says why
};

// One line's outcome. A plain value; thread-compatible.
struct LineResult {
  LineOutcome outcome = LineOutcome::kEvents;
  std::string error;  // kMalformed only; without the line number
  // kMalformed only: the dead letter's reason.
  v1::DeadLetter::Reason reason = v1::DeadLetter::UNDECODABLE;
};

// Turns lines of one input format into CallEvents. Pure: no I/O, no clock;
// an adapter may keep state across lines (queue_log remembers open calls).
//
// Lifecycle: one per input stream, lines in order. Not thread-safe.
class LineAdapter {
 public:
  virtual ~LineAdapter() = default;
  // Converts one line (without its newline), appending to `out`.
  virtual LineResult Convert(std::string_view line,
                             std::vector<v1::CallEvent>* out) = 0;
  // Calls forgotten because the memory bound was reached.
  virtual uint64_t evicted() const { return 0; }
  // Calls in progress now (started, not ended, not forgotten).
  virtual size_t open_calls() const { return 0; }
};

}  // namespace callflow::ingest
