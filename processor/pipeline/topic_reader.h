#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "processor/pipeline/kafka_status.h"

namespace RdKafka {
class KafkaConsumer;
}

namespace callflow::pipeline {

// One record read from a topic. A plain value; thread-compatible.
struct TopicRecord {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
};

// Reads every partition of one topic from the beginning, outside any
// consumer group (plain assign, nothing committed): the demo's dialer
// follows callflow.tasks with it, and tests read outputs back.
//
// Lifecycle: Open, Poll / ReadToEnd, destroy. Not thread-safe.
class TopicReader {
 public:
  static absl::StatusOr<std::unique_ptr<TopicReader>> Open(
      const KafkaProperties& kafka, const std::string& topic);
  ~TopicReader();

  // Hands records that arrive within `timeout` to `fn` (at most `max`).
  // Returns how many.
  absl::StatusOr<size_t> Poll(const std::function<void(const TopicRecord&)>& fn,
                              size_t max, std::chrono::milliseconds timeout);

  // Reads until every partition's position reaches its high watermark as
  // the broker reports it now; DeadlineExceeded after `timeout`.
  absl::Status ReadToEnd(const std::function<void(const TopicRecord&)>& fn,
                         std::chrono::milliseconds timeout);

 private:
  TopicReader() = default;
  std::string topic_;
  int partitions_ = 0;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
};

}  // namespace callflow::pipeline
