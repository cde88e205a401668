#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "callflow/v1/outputs.pb.h"
#include "callflow/v1/state.pb.h"
#include "processor/pipeline/internal/delivery_tracker.h"
#include "processor/pipeline/internal/output_producer.h"
#include "processor/pipeline/pipeline_observer.h"
#include "processor/pipeline/pipeline_options.h"
#include "processor/pipeline/pipeline_stats.h"
#include "processor/rules/output_sink.h"

namespace callflow::pipeline {

// A shard's rules::OutputSink: serializes each output and produces it keyed
// as docs/RULES.md §2 says (tasks by task_id, alerts by alert_id, contacts by
// caller, dead letters by the original key); EMERGENCY alerts go through the
// urgent producer. Every record is counted in the DeliveryTracker of the
// shard's current commit cycle, which the cycle waits on. Window partials and
// inbound starts are gathered per partition into LineUpdates, which the commit
// cycle writes to the lines topic (line_updates()).
//
// One per shard, used only on that shard's thread.
class KafkaOutputSink : public rules::OutputSink {
 public:
  KafkaOutputSink(int shard, const Topics& topics, OutputProducer& producer,
                  DeliveryTracker& tracker, PipelineStats& stats,
                  PipelineObserver* observer);

  void EmitTask(const v1::Task& task) override;
  void EmitAlert(const v1::Alert& alert) override;
  void EmitContact(const v1::ContactContext& contact) override;
  void EmitWindow(const rules::WindowPartial& window) override;
  void RecordFact(const rules::Fact& fact) override;

  // Holds the tasks, alerts and contacts emitted from now on until
  // EndHold: the shard holds one engine call's outputs until it knows the
  // call read its state without error.
  void BeginHold() { holding_ = true; }
  // Produces the held outputs (`produce`) or drops them (the engine saw a
  // state read error: nothing decided on a default record may go out).
  void EndHold(bool produce);

  // Produces `dead_letter` (its `reason` set) and counts it by reason.
  void EmitDeadLetter(const v1::DeadLetter& dead_letter);

  // Counts the records produced from now on in `tracker` (not null, must
  // outlive their delivery reports): the shard switches trackers per commit
  // cycle.
  void set_tracker(DeliveryTracker* tracker) { tracker_ = tracker; }

  // The partition whose event (or watermark advance) the engine is on: its
  // window partials and inbound starts go to that partition's LineUpdate.
  void set_partition(int32_t partition) { partition_ = partition; }
  // LineUpdates (windows and starts) gathered since the shard last took
  // them, by partition.
  std::map<int32_t, v1::LineUpdate>& line_updates() { return line_updates_; }

 private:
  void Send(const std::string& topic, std::string_view key,
            const google::protobuf::MessageLite& message, bool urgent);
  void ProduceTask(const v1::Task& task);
  void ProduceAlert(const v1::Alert& alert);
  void ProduceContact(const v1::ContactContext& contact);

  const int shard_;
  const Topics& topics_;
  OutputProducer& producer_;
  DeliveryTracker* tracker_;
  PipelineStats& stats_;
  ShardCounters& counters_;
  PipelineObserver* observer_;
  std::string buffer_;  // reused serialization buffer
  int32_t partition_ = 0;
  std::map<int32_t, v1::LineUpdate> line_updates_;
  bool holding_ = false;
  // The held outputs, in slots reused from one engine call to the next:
  // CopyFrom into a used message keeps its strings' capacity, so holding
  // does not copy every string anew. Shard thread only, as the class.
  template <typename T>
  struct HeldSlots {
    // Copies `message` into the next free slot; returns its index.
    size_t Add(const T& message) {
      if (used == slots.size()) slots.emplace_back();
      slots[used].CopyFrom(message);
      return used++;
    }
    std::vector<T> slots;
    size_t used = 0;
  };
  enum class HeldKind : uint8_t { kTask, kAlert, kContact };
  HeldSlots<v1::Task> held_tasks_;
  HeldSlots<v1::Alert> held_alerts_;
  HeldSlots<v1::ContactContext> held_contacts_;
  std::vector<std::pair<HeldKind, size_t>> held_;  // emission order
};

}  // namespace callflow::pipeline
