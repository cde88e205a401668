#include "processor/pipeline/internal/group_offsets.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include "processor/pipeline/topic_partition_list.h"

namespace callflow::pipeline {

void GroupOffsets::Publish(
    const std::vector<std::pair<int32_t, int64_t>>& offsets) {
  TopicPartitionList list;
  for (const auto& [partition, next] : offsets) {
    list.Add(topic_, partition, next);
  }
  RdKafka::ErrorCode err = consumer_.offsets_store(list.get());
  if (err != RdKafka::ERR_NO_ERROR) {
    spdlog::debug("shard {}: group offsets store: {}", shard_,
                  RdKafka::err2str(err));
  }
}

}  // namespace callflow::pipeline
