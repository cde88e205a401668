#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "callflow/v1/state.pb.h"

namespace callflow::pipeline {

// A LineUpdate carries every inbound start of its partition's cycle, so a
// long cycle (a large [pipeline] commit_max_events) can make it larger than
// the producer's message.max.bytes; the lines record would then fail its
// cycle on every retry. Above this size it is split.
inline constexpr size_t kMaxLineUpdateBytes = 64 * 1024;

// `update` as records of at most `max_bytes` each, in the order to produce
// them: the windows, then the starts, spread over them in order; only the
// last carries the update's watermark and idle flag, the
// others `earlier_watermark` (the one last published: a no-op for the
// merger), so no start reaches the merger after the watermark that covers
// it. One record (the update itself) when it fits. Pure.
std::vector<v1::LineUpdate> SplitLineUpdate(v1::LineUpdate update,
                                            int64_t earlier_watermark,
                                            size_t max_bytes);

}  // namespace callflow::pipeline
