#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "callflow/v1/events.pb.h"
#include "processor/pipeline/kafka_status.h"
#include "processor/pipeline/mock_cluster.h"
#include "processor/pipeline/pipeline.h"
#include "processor/pipeline/pipeline_options.h"
#include "state/state_env.h"

namespace callflow::pipeline::testing {

// A temporary directory removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// State options with `dir` and the defaults.
inline state::StateOptions StateAt(const std::string& dir) {
  state::StateOptions o;
  o.dir = dir;
  return o;
}

// Seeded simulator traffic (file mode: callbacks predicted and dialled), as
// CallEvents in event-time order.
std::vector<v1::CallEvent> SimulatedEvents(uint64_t calls, uint64_t seed);
// Writes `events` as CallEvent JSONL.
void WriteJsonl(const std::vector<v1::CallEvent>& events,
                const std::string& path);

// Output topics with `prefix` ("a." -> a.tasks, ...) and the shared events
// topic, created on `cluster` with `partitions` partitions each.
Topics MakeTopics(MockCluster& cluster, const std::string& prefix,
                  int partitions, const std::string& events = "callflow.events");

// Kafka client settings for the mock cluster (short session timeout for
// group tests, DESIGN.md platform facts).
KafkaProperties MockKafka(const MockCluster& cluster);

// Produces events with EventProducer and waits for every ack.
void ProduceEvents(const KafkaProperties& kafka, const std::string& topic,
                   const std::vector<v1::CallEvent>& events);

// The outputs of a run as canonical JSON lines (codec::ToJson), as
// multisets, read back from the topics.
struct Outputs {
  std::multiset<std::string> tasks;
  std::multiset<std::string> alerts;
  std::multiset<std::string> contacts;
  std::vector<v1::DeadLetter> dead_letters;
};
Outputs ReadOutputs(const KafkaProperties& kafka, const Topics& topics);
// The same from a replay out dir (tasks.jsonl, alerts.jsonl, contacts.jsonl).
Outputs ReadReplayOutputs(const std::string& dir);

// Distinct values of a multiset.
std::set<std::string> Distinct(const std::multiset<std::string>& m);

// Sum of the events topic's high watermarks.
int64_t EndOffsets(const KafkaProperties& kafka, const std::string& topic,
                   int partitions);
// Waits until the pipeline's committed offsets (RocksDB) add up to `total`.
// False after `timeout` (a generous guard, not a measurement).
bool WaitCommitted(const PipelineStats& stats, int64_t total,
                   std::chrono::seconds timeout = std::chrono::seconds(90));

// Sums the group's committed offsets on the broker for `topic`.
int64_t GroupCommitted(const KafkaProperties& kafka, const std::string& group,
                       const std::string& topic, int partitions);

}  // namespace callflow::pipeline::testing
