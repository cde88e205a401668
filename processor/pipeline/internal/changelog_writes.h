#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "processor/pipeline/internal/delivery_tracker.h"
#include "processor/pipeline/internal/partition_producer.h"
#include "state/partition_store.h"

namespace callflow::pipeline {

// Queues the cycle end of `owner`'s cycle of `records` data records to
// changelog partition `partition` (changelog_records.h); `buffer` is
// scratch space. A refusal is counted by `tracker`.
absl::Status ProduceCycleEnd(PartitionProducer& producer,
                             const std::string& topic, int32_t partition,
                             uint64_t owner, uint32_t records,
                             DeliveryTracker* tracker, std::string* buffer);

// Queues every key of `store` (its whole state, ForEachStored) as data
// records of `owner` to changelog partition `partition`, into `tracker`, and
// returns how many. Stops at the first refused record. The store must be
// quiet (nothing buffered or sealed).
absl::StatusOr<uint32_t> ProduceWholeStore(PartitionProducer& producer,
                                           const std::string& topic,
                                           int32_t partition, uint64_t owner,
                                           const state::PartitionStore& store,
                                           DeliveryTracker* tracker);

}  // namespace callflow::pipeline
