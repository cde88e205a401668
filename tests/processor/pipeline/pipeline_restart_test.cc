// `callflow run` as a child process, stopped mid-stream by SIGTERM and by
// SIGKILL and started again: nothing missing, state as in an uninterrupted
// run, duplicates only as identical records.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "processor/pipeline/pipeline.h"
#include "processor/rules/engine.h"
#include "state/partition_store.h"
#include "tests/processor/pipeline/pipeline_test_util.h"

namespace callflow::pipeline::testing {
namespace {

constexpr int kPartitions = 8;

// Writes the child's config: the mock cluster, its group, topics and state.
std::string WriteConfig(const std::string& dir, const KafkaProperties& kafka,
                        const Topics& topics, const std::string& group) {
  const std::string path = dir + "/callflow.toml";
  std::ofstream out(path);
  out << "[kafka]\n";
  for (const auto& [k, v] : kafka) out << "\"" << k << "\" = \"" << v << "\"\n";
  out << "[pipeline]\ngroup_id = \"" << group
      << "\"\ncommit_interval_ms = 20\nshards = 2\n"
      << "[topics]\ntasks = \"" << topics.tasks << "\"\nalerts = \""
      << topics.alerts << "\"\ncontacts = \"" << topics.contacts
      << "\"\ndlq = \"" << topics.dlq << "\"\nchangelog = \""
      << topics.changelog << "\"\nlines = \"" << topics.lines << "\"\n"
      << "[state]\ndir = \"" << dir << "/state\"\n";
  return path;
}

// Starts `callflow run` with its stderr in `log` (truncated).
pid_t StartProcessor(const std::string& config, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) dup2(fd, STDERR_FILENO);
    execl(CALLFLOW_BINARY, CALLFLOW_BINARY, "run", "--config", config.c_str(),
          "--metrics-address", "127.0.0.1:0", static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// True once the child has printed its start-up line, which comes after it
// took over SIGINT/SIGTERM (a signal before that would kill it outright).
bool Started(const std::string& log) {
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("callflow run: group") != std::string::npos) return true;
  }
  return false;
}

int StopProcessor(pid_t pid, int signal, const std::string& log) {
  if (signal != SIGKILL) {
    EXPECT_TRUE(WaitFor([&] { return Started(log); }, std::chrono::seconds(60)))
        << "callflow run never started; its log: " << log;
  }
  kill(pid, signal);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

TEST(PipelineRestartTest, KilledAndStoppedProcessorResumesExactly) {
  TempDir reference_dir, restarted_dir;
  auto cluster = MockCluster::Start(3);
  ASSERT_TRUE(cluster.ok());
  const KafkaProperties kafka = MockKafka(**cluster);
  const Topics ref_topics = MakeTopics(**cluster, "ref.", kPartitions);
  const Topics topics = MakeTopics(**cluster, "r.", kPartitions);
  const auto events = SimulatedEvents(6000, 17);
  ProduceEvents(kafka, topics.events, events);
  const int64_t total = static_cast<int64_t>(events.size());

  // Uninterrupted reference run, in process.
  {
    PipelineConfig config = TestConfig(ref_topics, kafka);
    config.options.group_id = "reference";
    PipelineThread reference(reference_dir.path() + "/state", config);
    ASSERT_TRUE(WaitCommitted(reference.stats(), total));
    ASSERT_TRUE(reference.Stop().ok());
  }

  // The child: killed as soon as it committed something, then stopped
  // cleanly mid-stream, then run to the end.
  const std::string config =
      WriteConfig(restarted_dir.path(), kafka, topics, "restarted");
  auto committed = [&] {
    return GroupCommitted(kafka, "restarted", topics.events, kPartitions);
  };
  const std::string log = restarted_dir.path() + "/run.log";
  pid_t pid = StartProcessor(config, log);
  ASSERT_TRUE(
      WaitFor([&] { return committed() > 0; }, std::chrono::seconds(60)));
  const int killed = StopProcessor(pid, SIGKILL, log);
  EXPECT_TRUE(WIFSIGNALED(killed));
  const int64_t after_kill = committed();

  pid = StartProcessor(config, log);
  ASSERT_TRUE(WaitFor([&] { return committed() > after_kill; },
                      std::chrono::seconds(60)));
  const int stopped = StopProcessor(pid, SIGTERM, log);
  ASSERT_TRUE(WIFEXITED(stopped));
  EXPECT_EQ(WEXITSTATUS(stopped), 0);

  pid = StartProcessor(config, log);
  ASSERT_TRUE(
      WaitFor([&] { return committed() >= total; }, std::chrono::seconds(90)));
  const int finished = StopProcessor(pid, SIGTERM, log);
  ASSERT_TRUE(WIFEXITED(finished));
  EXPECT_EQ(WEXITSTATUS(finished), 0);

  const Outputs reference = ReadOutputs(kafka, ref_topics);
  const Outputs restarted = ReadOutputs(kafka, topics);
  ASSERT_FALSE(reference.tasks.empty());
  // Every record is there; repeats are byte-identical records (same ids).
  EXPECT_EQ(Distinct(restarted.tasks), Distinct(reference.tasks));
  EXPECT_EQ(Distinct(restarted.contacts), Distinct(reference.contacts));
  EXPECT_EQ(PerCallerAlerts(restarted.alerts),
            PerCallerAlerts(reference.alerts));
  EXPECT_GE(restarted.tasks.size(), reference.tasks.size());

  // State: the callers' committed records equal the uninterrupted run's.
  rules::EngineOptions engine_options;
  rules::Engine keys(engine_options);
  std::set<std::string> callers;
  for (const auto& e : events) {
    const std::string key = keys.KeyFor(e);
    if (!key.empty() && key[0] == '+') callers.insert(key);
    if (callers.size() >= 40) break;
  }
  ASSERT_FALSE(callers.empty());
  for (const std::string& caller : callers) {
    auto want = state::InspectCaller(reference_dir.path() + "/state", caller);
    auto got = state::InspectCaller(restarted_dir.path() + "/state", caller);
    ASSERT_EQ(want.ok(), got.ok()) << caller;
    if (want.ok()) {
      EXPECT_EQ(got->SerializeAsString(), want->SerializeAsString()) << caller;
    }
  }
}

}  // namespace
}  // namespace callflow::pipeline::testing
