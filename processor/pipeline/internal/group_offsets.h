#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "processor/pipeline/internal/commit_cycle.h"

namespace RdKafka {
class KafkaConsumer;
}  // namespace RdKafka

namespace callflow::pipeline {

// Publishes committed offsets of the events topic to the consumer group:
// stores them in the consumer for librdkafka's auto-commit, which sends them
// only while the group is stable. A store for a partition no longer assigned
// fails harmlessly (logged at debug level).
//
// Thread-safety: as the consumer's offsets_store (any thread).
class GroupOffsets : public OffsetPublisher {
 public:
  GroupOffsets(RdKafka::KafkaConsumer& consumer, std::string topic, int shard)
      : consumer_(consumer), topic_(std::move(topic)), shard_(shard) {}

  void Publish(
      const std::vector<std::pair<int32_t, int64_t>>& offsets) override;

 private:
  RdKafka::KafkaConsumer& consumer_;
  const std::string topic_;
  const int shard_;  // for the log
};

}  // namespace callflow::pipeline
