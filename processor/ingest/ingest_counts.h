#pragma once

#include <cstdint>
#include <string>

#include "processor/ingest/line_adapter.h"

namespace callflow::ingest {

// What an ingest run did so far: the exit summary and the metrics. Plain
// data, owned by the run's thread.
struct IngestCounts {
  uint64_t lines = 0;      // lines (or records) read, blank ones included
  uint64_t events = 0;     // CallEvents written
  uint64_t ignored = 0;    // valid lines with no CallEvent meaning
  uint64_t orphans = 0;    // lines of calls whose start was not seen
  uint64_t malformed = 0;  // unreadable lines (reported, DLQ in Kafka mode)
  uint64_t evicted = 0;    // open calls forgotten at the memory bound
  uint64_t future = 0;     // events not written: occurred_at too far ahead

  // Counts one line's outcome (not its events).
  void Count(LineOutcome outcome) {
    ++lines;
    if (outcome == LineOutcome::kIgnored) ++ignored;
    if (outcome == LineOutcome::kOrphan) ++orphans;
    if (outcome == LineOutcome::kMalformed) ++malformed;
  }

  // "ingest: 10 lines read, 12 events written, 1 ignored, 0 orphans,
  // 0 malformed, 0 calls evicted, 0 events from the future"
  std::string Summary() const;
};

}  // namespace callflow::ingest
