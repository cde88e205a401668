#pragma once

#include "callflow/v1/outputs.pb.h"
#include "processor/rules/facts.h"

namespace callflow::rules {

// Where the engine puts what it produces. The replay driver writes JSONL
// files; the Kafka pipeline produces to topics. Messages are only valid
// during the call: copy what you keep. Called on the one thread driving the
// engine or a LineAggregator (a shard's thread, the replay thread), one call
// at a time: implementations need not be thread-safe.
class OutputSink {
 public:
  virtual ~OutputSink() = default;
  virtual void EmitTask(const v1::Task& task) = 0;
  virtual void EmitAlert(const v1::Alert& alert) = 0;
  virtual void EmitContact(const v1::ContactContext& contact) = 0;
  virtual void EmitWindow(const WindowPartial& window) = 0;
  virtual void RecordFact(const Fact& fact) = 0;
};

}  // namespace callflow::rules
