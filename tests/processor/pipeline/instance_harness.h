#pragma once

// Multi-instance harness: the test process hosts the mock cluster, each
// instance is the real `callflow run` binary in a child process with its own
// config file, state dir and log, driven with real signals (SIGTERM, SIGKILL,
// SIGSTOP, SIGCONT). Outputs are read back with kcat and compared with
// `callflow replay` of the same input (docs/RULES.md §10).

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "callflow/v1/events.pb.h"
#include "gtest/gtest.h"
#include "processor/pipeline/mock_cluster.h"
#include "processor/pipeline/pipeline_options.h"
#include "tests/processor/pipeline/pipeline_test_util.h"

namespace callflow::pipeline::testing {

// True when child configs carry the keys of docs/RULES.md §10 ([pipeline]
// idle_after, [topics] changelog and lines, [state] changelog). The one switch
// to run the harness against a binary that predates them: set the environment
// variable CALLFLOW_TEST_LEGACY_CONFIG=1 (the children then run today's
// single-host mode with the same topics and traffic).
bool ScaleOutKeys();

// What a child's TOML config says. A plain value; thread-compatible.
struct ChildConfig {
  KafkaProperties kafka;
  Topics topics;
  std::string group_id = "callflow";
  uint32_t commit_interval_ms = 50;
  uint32_t shards = 2;
  // Writes [topics] changelog and lines, [state] changelog = true and
  // [pipeline] idle_after = "0s" (docs/RULES.md §10).
  bool scale_out = false;
  // TOML tables appended as they are (engine options, e.g. [lines.default]).
  std::string extra_toml;
  // Lines added to [pipeline] as they are (e.g. shutdown_timeout = "3s").
  std::string pipeline_toml;
};
// Writes `config` to `path`, with [state] dir = `state_dir`.
void WriteChildConfig(const ChildConfig& config, const std::string& state_dir,
                      const std::string& path);

// One `callflow run --config <config> --state-dir <state_dir>` child, its
// stdout and stderr appended to `log` (restarts with the same log keep the
// history).
// Not thread-safe. The destructor SIGKILLs a child still running.
class CallflowRun {
 public:
  CallflowRun(const std::string& config, const std::string& state_dir,
              std::string log);
  ~CallflowRun();
  CallflowRun(const CallflowRun&) = delete;
  CallflowRun& operator=(const CallflowRun&) = delete;

  // Waits for the start-up line, printed once the child took over SIGTERM
  // (a signal before that would kill it outright). Fails with the log's tail
  // when the child exits first, e.g. on an unknown config key.
  ::testing::AssertionResult WaitStarted();
  // Waits until the child's log has `times` lines containing `text`.
  ::testing::AssertionResult WaitLogged(std::string_view text, int times);
  // SIGTERM once started, then waits: success when the child exited with 0.
  ::testing::AssertionResult Stop();
  // SIGKILL, then waits: success when the signal ended the child.
  ::testing::AssertionResult Kill();
  // Sends `signal` and returns at once.
  void Signal(int signal);
  // Waits for the child to exit: its exit code, -1 when a signal killed it,
  // nullopt when it still runs after `guard` (a hang guard).
  std::optional<int> WaitExit(std::chrono::seconds guard);
  // SIGSTOP / SIGCONT.
  void Pause();
  void Resume();
  // True while the child has not exited (a paused child is running).
  bool Running();
  // The last `lines` lines the child wrote to its log.
  std::string LogTail(int lines = 15) const;

 private:
  // Lines of this child's log that contain `text`.
  int CountLogged(std::string_view text) const;
  ::testing::AssertionResult Reap(int signal);

  pid_t pid_ = -1;
  int status_ = 0;  // waitpid status once reaped
  std::string log_;
  std::streamoff log_start_ = 0;  // where this child's lines begin in `log_`
};

// One line per input partition, appended to `events`: a CRM contact update
// (no output) of a caller of its own in each partition of a `partitions`-
// partition events topic, at the time of the last event.
//
// Why: the pipeline keeps a watermark per partition, replay one for the
// whole file. Without these, a partition's watermark stops at its own last
// event, and what falls due between that and the file's last event (timers,
// windows, silences) fires in replay but never in Kafka. With them, every
// partition's watermark ends where replay's does, and every output of the
// run is compared; nothing is filtered out.
void AppendClosingEvents(int partitions, std::vector<v1::CallEvent>* events);

// The input of a scale-out run: `calls` calls of seeded simulator traffic
// (SimulatedEvents) and the closing events of ScaleOutRun's partitions.
std::vector<v1::CallEvent> ScaleOutInput(uint64_t calls, uint64_t seed);

// What is compared with replay (docs/RULES.md §10): the last message per
// task_id, the set of alert_ids, the screen-pop (ContactContext) per call_id,
// the last one. Alerts are compared by id and content: ids are deterministic
// and so is every field (a line alert's times are its window's), so the copies
// of one id must all equal replay's, e.g. a MISSED_RATE_HIGH window fired twice
// with other counts is a difference. Messages are canonical JSON
// (codec::ToJson), mapped from their id. A plain value; thread-compatible.
struct OutputView {
  std::map<std::string, std::string> tasks;
  std::map<std::string, std::string> alerts;
  std::map<std::string, std::string> screen_pops;
};
// Read with kcat (an outside client) from the output topics.
OutputView KafkaOutputView(const std::string& brokers, const Topics& topics);
// Read from a replay out dir.
OutputView ReplayOutputView(const std::string& dir);
// Equal, or a short diff: counts and the first few differing ids per output,
// and how many line alerts (MISSED_RATE_HIGH, LINE_SILENT) match.
::testing::AssertionResult SameOutputs(const OutputView& replay,
                                       const OutputView& kafka);

// A scale-out run: a 3-broker mock cluster, the topics, the input, and the
// `callflow run` instances of one consumer group, each in a dir of its own
// under the run's temp dir (<root>/<dir>/{callflow.toml,state,run.log}).
// Driven by one test thread; not thread-safe.
class ScaleOutRun {
 public:
  static constexpr int kPartitions = 8;

  // `events` is the input, closing events included (AppendClosingEvents).
  explicit ScaleOutRun(std::vector<v1::CallEvent> events);
  ~ScaleOutRun();

  MockCluster& cluster() { return *cluster_; }
  const std::string& group() const { return group_; }
  const Topics& topics() const { return topics_; }
  size_t size() const { return events_.size(); }

  // Produces input events [from, to) and waits for their acks.
  void Produce(size_t from, size_t to);
  // Starts instance `name` on state dir `dir` (default: its name; two
  // instances that share a dir are one host's restarts) and waits for its
  // start-up line. A name can be started again once its child has ended.
  ::testing::AssertionResult Start(const std::string& name,
                                   const std::string& dir = "");
  // Children started from now on get `kafka` on top of the cluster's
  // settings and `pipeline_toml` in [pipeline] (ChildConfig).
  void SetChildTuning(KafkaProperties kafka, std::string pipeline_toml);
  CallflowRun& instance(const std::string& name);

  // Sums of the group's committed offsets and of the end offsets.
  int64_t GroupCommitted() const;
  int64_t EndOffsets() const;
  // The last lines of every instance's log (for failure messages).
  std::string InstanceLogs();
  // Waits until the group's committed offsets pass `offsets`.
  ::testing::AssertionResult WaitCommittedAbove(int64_t offsets);
  // Waits until the group's committed offsets equal the end offsets.
  ::testing::AssertionResult WaitConsumed();
  // SIGTERMs every instance still running; each must exit with 0.
  void StopAll();

  // Replays the input with `callflow replay` (the same [lines] options as
  // the instances) and compares the topics' outputs with it.
  ::testing::AssertionResult OutputsEqualReplay();

 private:
  std::vector<v1::CallEvent> events_;
  TempDir root_;
  std::unique_ptr<MockCluster> cluster_;
  KafkaProperties kafka_;
  Topics topics_;  // <prefix>events, ..., changelog (8 partitions), lines (1)
  std::string group_ = "scale-out";
  KafkaProperties tuning_kafka_;
  std::string tuning_pipeline_;
  std::map<std::string, std::unique_ptr<CallflowRun>> instances_;
};

}  // namespace callflow::pipeline::testing
