#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "processor/pipeline/pipeline_options.h"
#include "processor/rules/verdict.h"

namespace callflow::pipeline {

// docs/RULES.md §9.3, the processor trusts no key: an event belongs to the
// partition its key hashes to, under the key `callflow produce` gives it
// (rules::Engine::KeyFor: the normalized caller, "~" + call_id for an
// anonymous one). An event whose Kafka key or partition is anything else is
// misrouted: its caller's state lives elsewhere (or would be split), so it
// must not touch state here.
//
// Lifecycle: built with the pipeline; set_partitions() once the events
// topic's metadata is known, before the shards start. Immutable afterwards,
// so any thread may call Check concurrently.
class RoutingCheck {
 public:
  explicit RoutingCheck(const InputOptions& options) : options_(options) {}

  // The events topic's partition count (> 0).
  void set_partitions(int32_t partitions) { partitions_ = partitions; }
  int32_t partitions() const { return partitions_; }
  // False only in the bench's pass without the check (check_keys).
  bool enabled() const { return options_.check_keys; }

  // Accepts an event that came with `kafka_key` from `partition` when
  // `kafka_key` equals `expected_key` (Engine::KeyFor of the event) and,
  // with the murmur2 partitioner, `partition` is murmur2(key) mod
  // partitions. Otherwise a MISROUTED verdict whose message names the fix.
  rules::Verdict Check(absl::string_view kafka_key,
                       absl::string_view expected_key, int32_t partition) const;

 private:
  InputOptions options_;
  int32_t partitions_ = 0;
};

}  // namespace callflow::pipeline
