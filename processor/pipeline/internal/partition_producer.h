#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "processor/pipeline/internal/delivery_tracker.h"

namespace callflow::pipeline {

// Produces keyed records to an explicit partition with an ownership header
// (the changelog and the lines topic): what the commit cycle needs of a
// producer. OutputProducer in the pipeline; a fake in unit tests.
//
// Thread-safety: up to the implementation (OutputProducer is thread-safe).
class PartitionProducer {
 public:
  virtual ~PartitionProducer() = default;
  // Queues one record; `payload` null is a tombstone. `tracker` (not null,
  // must outlive the delivery) gets OnProduced now and a delivery report
  // later; a record refused outright is reported as failed and returned as
  // an error.
  virtual absl::Status ProduceTo(const std::string& topic, int32_t partition,
                                 std::string_view key,
                                 const std::string* payload, uint64_t owner,
                                 DeliveryTracker* tracker) = 0;
};

}  // namespace callflow::pipeline
