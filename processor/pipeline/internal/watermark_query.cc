#include "processor/pipeline/internal/watermark_query.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "processor/pipeline/kafka_status.h"

namespace callflow::pipeline {
namespace {

constexpr auto kRetryPause = std::chrono::milliseconds(100);

// Refreshes the client's view of `topic`'s leaders (the answer itself is not
// needed; librdkafka updates its cache from it).
void RefreshLeaders(RdKafka::Handle& handle, const std::string& topic,
                    std::chrono::milliseconds timeout) {
  std::string err;
  std::unique_ptr<RdKafka::Topic> t(
      RdKafka::Topic::create(&handle, topic, nullptr, err));
  if (t == nullptr) return;
  RdKafka::Metadata* metadata = nullptr;
  if (handle.metadata(/*all_topics=*/false, t.get(), &metadata,
                      static_cast<int>(timeout.count())) ==
      RdKafka::ERR_NO_ERROR) {
    delete metadata;
  }
}

// Errors a later try can clear: the leader moved or is being elected, or
// the connection to it broke.
bool Retriable(int error) {
  switch (error) {
    case RdKafka::ERR_NOT_LEADER_FOR_PARTITION:
    case RdKafka::ERR_LEADER_NOT_AVAILABLE:
    case RdKafka::ERR_BROKER_NOT_AVAILABLE:
    case RdKafka::ERR__TRANSPORT:
    case RdKafka::ERR__WAIT_COORD:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::Status QueryWatermarks(RdKafka::Handle& handle, const std::string& topic,
                             int32_t partition,
                             std::chrono::milliseconds timeout, int64_t* low,
                             int64_t* high) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    const int error = handle.query_watermark_offsets(
        topic, partition, low, high,
        static_cast<int>(std::max<int64_t>(left.count(), 1)));
    absl::Status status = KafkaStatus(
        error, absl::StrCat(topic, " [", partition, "] watermark offsets"));
    if (status.ok() || !Retriable(error) ||
        Clock::now() + kRetryPause >= deadline) {
      return status;
    }
    RefreshLeaders(handle, topic, left);
    std::this_thread::sleep_until(
        std::min(Clock::now() + kRetryPause, deadline));
  }
}

}  // namespace callflow::pipeline
