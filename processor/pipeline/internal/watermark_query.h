#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace RdKafka {
class Handle;
}  // namespace RdKafka

namespace callflow::pipeline {

// Asks the leader of `topic` [`partition`] for its low and high offsets,
// and asks again (up to `timeout` in all) while the answer is an error.
//
// Why again: after a partition leader moves, librdkafka 2.0.2 sends the
// ListOffsets request to the old leader and returns its
// NOT_LEADER_FOR_PARTITION without looking the new leader up (fixed
// upstream in 2.3.0, #4225). Between tries this asks for the topic's
// metadata, which updates the client's leaders.
//
// Thread-safety: as RdKafka::Handle's query_watermark_offsets (any thread).
absl::Status QueryWatermarks(RdKafka::Handle& handle, const std::string& topic,
                             int32_t partition,
                             std::chrono::milliseconds timeout, int64_t* low,
                             int64_t* high);

}  // namespace callflow::pipeline
