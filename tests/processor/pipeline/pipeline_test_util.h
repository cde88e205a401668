#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "callflow/v1/events.pb.h"
#include "processor/pipeline/kafka_status.h"
#include "processor/pipeline/mock_cluster.h"
#include "processor/pipeline/pipeline.h"
#include "processor/pipeline/pipeline_options.h"
#include "processor/util/temp_dir.h"
#include "state/state_env.h"

namespace callflow::pipeline::testing {

// A temporary directory removed with the object. Not thread-safe.
class TempDir {
 public:
  TempDir() : dir_(util::TempDir::CreateOrDie("callflow-pipe")) {}
  const std::string& path() const { return dir_.path(); }

 private:
  util::TempDir dir_;
};

// Whether `text` has `part` in it (for command output and logs).
inline bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

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
                  int partitions,
                  const std::string& events = "callflow.events");

// Kafka client settings for the mock cluster (short session timeout for
// group tests: rebalances take ~session.timeout.ms).
KafkaProperties MockKafka(const MockCluster& cluster);

// A pipeline config for the tests: `topics`, `kafka`, `shards` shards, a
// 50 ms commit interval, default engine options.
PipelineConfig TestConfig(const Topics& topics, const KafkaProperties& kafka,
                          uint32_t shards = 2);

// A Pipeline with its own StateEnv in `state_dir`, running on its own thread
// from construction until Stop() (or destruction).
class PipelineThread {
 public:
  // `observer` (may be null) must outlive the thread.
  PipelineThread(const std::string& state_dir, const PipelineConfig& config,
                 PipelineObserver* observer = nullptr);
  ~PipelineThread() { Stop().IgnoreError(); }
  // Stops the pipeline, waits for Run, returns its status.
  absl::Status Stop();
  // Waits for Run to end on its own (a fatal error) and returns its status.
  absl::Status Join();
  // True until Run returned (Stop, or a fatal error).
  bool Running() const { return !done_.load(); }
  // Partitions this instance owns now.
  int Owned() const;
  const PipelineStats& stats() const { return pipeline_->stats(); }

 private:
  std::unique_ptr<state::StateEnv> env_;
  std::unique_ptr<Pipeline> pipeline_;
  std::thread thread_;
  absl::Status status_;
  std::atomic<bool> done_{false};
};

// Polls `condition` until it holds; false after `timeout` (a generous guard
// against hangs, not a measurement).
template <typename F>
bool WaitFor(F condition, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Produces events with EventProducer and waits for every ack.
void ProduceEvents(const KafkaProperties& kafka, const std::string& topic,
                   const std::vector<v1::CallEvent>& events);

// The outputs of a run as canonical JSON lines (codec::ToJson), as
// multisets, read back from the topics. A plain value; thread-compatible.
struct Outputs {
  std::multiset<std::string> tasks;
  std::multiset<std::string> alerts;
  std::multiset<std::string> contacts;
  std::vector<v1::DeadLetter> dead_letters;
};
Outputs ReadOutputs(const KafkaProperties& kafka, const Topics& topics);
// The same from a replay out dir (tasks.jsonl, alerts.jsonl, contacts.jsonl).
Outputs ReadReplayOutputs(const std::string& dir);
// Runs `callflow replay`'s engine over the JSONL `input` (default options)
// into `out_dir` and returns its outputs: the oracle for Kafka runs over the
// same events on one partition.
Outputs ReplayOutputs(const std::string& input, const std::string& out_dir);

// Writes `events` as JSONL into `dir` and replays them there: the oracle
// for a one-partition Kafka run over the same events.
Outputs ReplayOracle(const std::vector<v1::CallEvent>& events,
                     const std::string& dir);
// Expects `got` (a one-partition Kafka run, read back) to equal `expected`
// (ReplayOracle): every task and screen-pop (repeats are identical records)
// and the per-caller alerts.
void ExpectReplayOutputs(const Outputs& got, const Outputs& expected);

// Distinct values of a multiset.
std::set<std::string> Distinct(const std::multiset<std::string>& m);

// The alerts of a run without the line-level ones (MISSED_RATE_HIGH,
// LINE_SILENT): those come from the in-memory LineAggregator, whose open
// windows a restart loses (docs/ARCHITECTURE.md); the rest must match.
std::set<std::string> PerCallerAlerts(const std::multiset<std::string>& all);

// One record read with kcat (an outside client). A plain value;
// thread-compatible.
struct KcatRecord {
  int32_t partition = -1;
  int64_t offset = -1;
  std::string key;
  std::string value;
};
// Every record of `topic`, read with kcat.
std::vector<KcatRecord> KcatRead(const std::string& brokers,
                                 const std::string& topic);

// argv and environment to exec the `callflow` binary with `args`, built
// before fork() (the child of a threaded process only execs): the
// environment is this process's without CALLFLOW_* variables.
class CallflowExec {
 public:
  explicit CallflowExec(const std::vector<std::string>& args);
  // In the forked child: execve, or _exit(127) when it fails.
  [[noreturn]] void Exec();

 private:
  std::vector<std::string> args_, env_;
  std::vector<char*> argv_, envp_;
};

// The `callflow` binary run to its end as a child process, with no
// CALLFLOW_* variables in its environment. CommandResult is a plain value;
// thread-compatible.
struct CommandResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;     // stdout
  std::string err;     // stderr
};
CommandResult RunCallflow(const std::vector<std::string>& args);

// Sum of the events topic's high watermarks.
int64_t EndOffsets(const KafkaProperties& kafka, const std::string& topic,
                   int partitions);
// The offsets the pipeline committed to RocksDB, summed over partitions.
int64_t CommittedSum(const PipelineStats& stats);
// Waits until the pipeline's committed offsets (RocksDB) add up to `total`.
// False after `timeout` (a generous guard, not a measurement).
bool WaitCommitted(const PipelineStats& stats, int64_t total,
                   std::chrono::seconds timeout = std::chrono::seconds(90));

// Sums the group's committed offsets on the broker for `topic`.
int64_t GroupCommitted(const KafkaProperties& kafka, const std::string& group,
                       const std::string& topic, int partitions);

}  // namespace callflow::pipeline::testing
