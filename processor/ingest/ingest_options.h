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

// `callflow ingest`'s tunables ([ingest] in the config). Plain data;
// thread-compatible.
struct IngestOptions {
  // [ingest] line. Default kQueue; kDid falls back to the queue name for a
  // call without a DID line.
  LineFrom line = LineFrom::kQueue;
  // [ingest] max_idle: how long (wall time) a raw partition with nothing
  // buffered and not at its end holds the event-time merge back. Default 2s.
  int64_t max_idle_ns = 2'000'000'000;
  // Calls in progress the queue_log adapter remembers (their caller); past
  // it the oldest is forgotten, counted as evicted (its later lines become
  // orphans). About 100 bytes each. Default 200000.
  size_t max_open_calls = 200'000;
  // Ended calls whose ENTERQUEUE count it keeps, so a call that enters
  // another queue is numbered `callid#2`; and callids of DID lines not yet
  // followed by an ENTERQUEUE. About 100 bytes each. Default 50000.
  size_t max_closed_calls = 50'000;
  // Raw records buffered per partition by the merge before that partition's
  // fetching pauses. Default 100000.
  size_t max_buffered_per_partition = 100'000;
};

}  // namespace callflow::ingest
