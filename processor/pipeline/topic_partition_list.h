#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace callflow::pipeline {

// A list of RdKafka::TopicPartition that owns its elements. librdkafka's C++
// API takes `std::vector<TopicPartition*>&` and leaves the objects to the
// caller; this deletes them when the list goes, on every path (early
// returns, errors). Pass `get()` to the API.
//
// A value type: not thread-safe.
class TopicPartitionList {
 public:
  TopicPartitionList() = default;
  ~TopicPartitionList() { RdKafka::TopicPartition::destroy(tps_); }
  TopicPartitionList(TopicPartitionList&& other) noexcept
      : tps_(std::exchange(other.tps_, {})) {}
  TopicPartitionList& operator=(TopicPartitionList&& other) noexcept {
    if (this != &other) {
      RdKafka::TopicPartition::destroy(tps_);
      tps_ = std::exchange(other.tps_, {});
    }
    return *this;
  }
  TopicPartitionList(const TopicPartitionList&) = delete;
  TopicPartitionList& operator=(const TopicPartitionList&) = delete;

  // Adds `topic` [`partition`] without an offset.
  void Add(const std::string& topic, int32_t partition) {
    tps_.push_back(RdKafka::TopicPartition::create(topic, partition));
  }
  // Adds `topic` [`partition`] at `offset`.
  void Add(const std::string& topic, int32_t partition, int64_t offset) {
    tps_.push_back(RdKafka::TopicPartition::create(topic, partition, offset));
  }

  std::vector<RdKafka::TopicPartition*>& get() { return tps_; }
  bool empty() const { return tps_.empty(); }
  size_t size() const { return tps_.size(); }
  auto begin() const { return tps_.begin(); }
  auto end() const { return tps_.end(); }

 private:
  std::vector<RdKafka::TopicPartition*> tps_;
};

}  // namespace callflow::pipeline
