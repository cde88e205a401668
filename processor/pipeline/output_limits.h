#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "callflow/v1/outputs.pb.h"
#include "processor/pipeline/unproducible.h"
#include "processor/rules/state_limits.h"

namespace callflow::pipeline {

// Limits that keep an output record producible whatever the input: a dead
// letter carries at most the first kMaxDeadLetterPayload bytes of its
// payload (with the original's size and hash), and text fields built from
// input are capped. Far below librdkafka's default message.max.bytes (1 MB).
inline constexpr size_t kMaxDeadLetterPayload = 64 * 1024;
inline constexpr size_t kMaxDeadLetterKey = 4 * 1024;
inline constexpr size_t kMaxOutputText = 1024;

// Cuts `dead_letter`'s payload, key and error text to the limits; a cut
// payload sets payload_truncated, payload_size and payload_fnv1a.
void LimitDeadLetter(v1::DeadLetter& dead_letter);
// `alert` with its message capped, or nullopt when it is within the limit.
std::optional<v1::Alert> LimitAlert(const v1::Alert& alert);

}  // namespace callflow::pipeline
