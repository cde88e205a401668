#pragma once

#include <string>

#include "callflow/v1/outputs.pb.h"
#include "processor/pipeline/delivery_tracker.h"
#include "processor/pipeline/line_aggregator_hub.h"
#include "processor/pipeline/output_producer.h"
#include "processor/pipeline/pipeline_observer.h"
#include "processor/pipeline/pipeline_options.h"
#include "processor/pipeline/pipeline_stats.h"
#include "processor/rules/output_sink.h"

namespace callflow::pipeline {

// A shard's rules::OutputSink: serializes each output and produces it keyed
// as SPEC §2 says (tasks by task_id, alerts by alert_id, contacts by caller,
// dead letters by the original key); EMERGENCY alerts go through the urgent
// producer. Every record is counted in the DeliveryTracker of the shard's
// current commit cycle, which the cycle waits on. Window partials and inbound
// starts are collected for the LineAggregatorHub.
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

  // Produces `dead_letter` (its `reason` set) and counts it by reason.
  void EmitDeadLetter(const v1::DeadLetter& dead_letter);

  // Counts the records produced from now on in `tracker` (not null, must
  // outlive their delivery reports): the shard switches trackers per commit
  // cycle.
  void set_tracker(DeliveryTracker* tracker) { tracker_ = tracker; }

  // Line-level inputs gathered since the last LineAggregatorHub::Apply.
  LineInputs& line_inputs() { return line_inputs_; }

 private:
  void Send(const std::string& topic, std::string_view key,
            const google::protobuf::MessageLite& message, bool urgent);

  const int shard_;
  const Topics& topics_;
  OutputProducer& producer_;
  DeliveryTracker* tracker_;
  PipelineStats& stats_;
  ShardCounters& counters_;
  PipelineObserver* observer_;
  std::string buffer_;  // reused serialization buffer
  LineInputs line_inputs_;
};

}  // namespace callflow::pipeline
