#pragma once

#include <cstddef>
#include <cstdint>

namespace callflow::ingest {

// The input formats of `callflow ingest --format`.
enum class Format {
  kAsteriskQueueLog,  // "asterisk-queue-log"
  kCallEvent,         // "callevent"
};

// Where a queue_log call's `line` comes from.
enum class LineFrom {
  kQueue,  // the queue name of the call's ENTERQUEUE
  kDid,    // the number of a QueueMetrics-style DID line seen before it
};

// `callflow ingest`'s tunables ([ingest] in the config). Plain data.
struct IngestOptions {
  // [ingest] line. Default kQueue; kDid falls back to the queue name for a
  // call without a DID line.
  LineFrom line = LineFrom::kQueue;
  // [ingest] max_idle: how long (wall time) a raw partition with nothing
  // buffered and not at its end holds the event-time merge back. Default 2s.
  int64_t max_idle_ns = 2'000'000'000;
  // Calls the queue_log adapter remembers (open ones and the ENTERQUEUE
  // count of ended ones); past it the oldest is forgotten and counted as
  // evicted. About 100 bytes each. Default 200000.
  size_t max_open_calls = 200'000;
  // Raw records buffered per partition by the merge before that partition's
  // fetching pauses. Default 100000.
  size_t max_buffered_per_partition = 100'000;
};

}  // namespace callflow::ingest
