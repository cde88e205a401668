#pragma once

#include <cstdint>
#include <string_view>

namespace callflow::pipeline {

// Why an output record can never be produced: a permanent per-record
// refusal, which no retry or restart fixes.
enum class Unproducible : uint8_t {
  kTooLarge,       // larger than message.max.bytes (client or broker)
  kNotAuthorized,  // the topic's ACL refuses this client
  kRejected,       // the broker refuses the record itself (policy, invalid)
};
// The metric label of `reason`.
std::string_view UnproducibleLabel(Unproducible reason);
// How many reasons there are (PipelineStats counts each).
inline constexpr int kNumUnproducibleReasons = 3;

}  // namespace callflow::pipeline
