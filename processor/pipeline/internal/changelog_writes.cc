#include "processor/pipeline/internal/changelog_writes.h"

#include "callflow/v1/state.pb.h"
#include "processor/pipeline/internal/changelog_records.h"

namespace callflow::pipeline {

absl::Status ProduceCycleEnd(PartitionProducer& producer,
                             const std::string& topic, int32_t partition,
                             uint64_t owner, uint32_t records,
                             DeliveryTracker* tracker, std::string* buffer) {
  v1::ChangelogCycle cycle;
  cycle.set_owner(owner);
  cycle.set_records(records);
  cycle.SerializeToString(buffer);
  return producer.ProduceTo(topic, partition, CycleKey(owner), buffer, owner,
                            tracker);
}

absl::StatusOr<uint32_t> ProduceWholeStore(PartitionProducer& producer,
                                           const std::string& topic,
                                           int32_t partition, uint64_t owner,
                                           const state::PartitionStore& store,
                                           DeliveryTracker* tracker) {
  absl::Status produced;
  auto count =
      store.ForEachStored([&](std::string_view key, const std::string& value) {
        if (produced.ok()) {
          produced =
              producer.ProduceTo(topic, partition, key, &value, owner, tracker);
        }
      });
  if (!count.ok()) return count.status();
  if (!produced.ok()) return produced;
  return static_cast<uint32_t>(*count);
}

}  // namespace callflow::pipeline
