#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"

namespace callflow::pipeline {

// The Java client's murmur2 (org.apache.kafka.common.utils.Utils.murmur2):
// the hash behind Kafka's default partitioner for keyed records, and
// librdkafka's "murmur2" / "murmur2_random" partitioners. Pure.
int32_t JavaMurmur2(absl::string_view key);

// The partition Java's default partitioner (and `callflow produce`) picks for
// a keyed record: (murmur2(key) & 0x7fffffff) % partitions. `partitions`
// must be positive.
int32_t Murmur2Partition(absl::string_view key, int32_t partitions);

}  // namespace callflow::pipeline
