#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>

#include "callflow/v1/events.pb.h"
#include "state/partition_store.h"

namespace callflow::pipeline {

// One item travelling from the poll thread to a shard: a decoded event, an
// undecodable payload, or a control command that must be ordered with the
// partition's messages (assignment, revocation, stop).
//
// Envelopes are recycled (see ShardChannel), so `event`, `key` and `payload`
// keep their allocations from message to message. Owned by whichever thread
// holds the pointer; the ring hand-over orders the accesses.
struct Envelope {
  enum class Kind : uint8_t {
    kEvent,        // `event` decoded from `payload`
    kUndecodable,  // `payload` did not parse; `error` says why
    kAssign,       // take ownership of `store` for `partition`
    kRevoke,       // commit and close `partition`; then set `done`
    kStop,         // commit everything and exit; then set `done`
    kFlush,        // commit everything, keep going; then set `done`
  };

  Kind kind = Kind::kEvent;
  int32_t partition = 0;
  int64_t offset = 0;
  // When the poll thread took the message from Kafka (processing latency).
  std::chrono::steady_clock::time_point polled_at;
  v1::CallEvent event;
  std::string key;      // the Kafka message key (for the DLQ)
  std::string payload;  // the raw value (for the DLQ)
  std::string error;
  // The Kafka record's timestamp in ns since the epoch (0: not available);
  // the reference time of the FUTURE check.
  int64_t timestamp_ns = 0;
  std::unique_ptr<state::PartitionStore> store;  // kAssign
  uint64_t owner = 0;  // kAssign: changelog ownership token (0: no changelog)
  std::promise<void> done;  // kRevoke / kStop
};

}  // namespace callflow::pipeline
