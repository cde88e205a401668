#include "bench/rss_bench.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "bench/kafka_clients.h"
#include "processor/pipeline/topic_partition_list.h"
#include "state/state_env.h"

namespace callflow::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The consumer group of the child.
constexpr char kGroup[] = "callflow-rss";
// How long the child may take to commit the whole backlog; it is stopped
// (SIGTERM) after that.
constexpr auto kCommitTimeout = std::chrono::minutes(30);
// How often the child's peak RSS is sampled, and its group's committed
// offsets read (with progress).
constexpr auto kPeakSamplePeriod = std::chrono::milliseconds(50);
constexpr auto kCommitCheckPeriod = std::chrono::seconds(1);
// How long one read of the group's committed offsets may take.
constexpr auto kCommittedQueryTimeout = std::chrono::seconds(10);

// A field of /proc/<pid>/status in MiB ("VmHWM", "VmRSS"); -1 once gone.
double ProcStatusMb(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::strtod(line.c_str() + field.size() + 1, nullptr) / 1024.0;
    }
  }
  return -1;
}

// The group's committed offsets summed over `partitions`.
int64_t GroupCommittedSum(const std::string& brokers, const std::string& group,
                          const std::string& topic, int partitions) {
  auto consumer = MakeConsumer(brokers, group);
  pipeline::TopicPartitionList tps;
  for (int p = 0; p < partitions; ++p) tps.Add(topic, p);
  int64_t sum = 0;
  if (consumer->committed(tps.get(), KafkaTimeoutMs(kCommittedQueryTimeout)) ==
      RdKafka::ERR_NO_ERROR) {
    for (auto* tp : tps) sum += std::max<int64_t>(0, tp->offset());
  }
  consumer->close();
  return sum;
}

// Populates the child's state in <dir>/state; returns the distinct callers.
absl::StatusOr<uint64_t> PopulateChildState(const RssArgs& rss,
                                            const std::string& dir,
                                            int partitions) {
  state::StateOptions state_options;
  state_options.dir = dir + "/state";
  state_options.memory_budget_bytes = rss.backlog.memory_budget_mb << 20;
  auto env = state::StateEnv::Create(state_options);
  if (!env.ok()) return env.status();
  return PopulateState(**env, rss.backlog, partitions);
}

// Writes the child's config to <dir>/callflow.toml; returns its path.
absl::StatusOr<std::string> WriteChildConfig(const RssArgs& rss,
                                             const std::string& dir,
                                             const std::string& brokers) {
  const std::string config = dir + "/callflow.toml";
  std::ofstream out(config);
  out << "[kafka]\n\"bootstrap.servers\" = \"" << brokers << "\"\n"
      << "\"session.timeout.ms\" = \"" << kGroupSessionTimeoutMs << "\"\n";
  for (const std::string& kv : rss.kafka) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError("--kafka wants KEY=VALUE");
    }
    out << "\"" << kv.substr(0, eq) << "\" = \"" << kv.substr(eq + 1) << "\"\n";
  }
  out << "[pipeline]\ngroup_id = \"" << kGroup << "\"\n"
      << "shards = " << rss.shards << "\n"
      << "commit_interval_ms = " << rss.commit_interval_ms << "\n";
  if (rss.ring_capacity > 0) {
    out << "ring_capacity = " << rss.ring_capacity << "\n";
  }
  out << "[state]\ndir = \"" << dir << "/state\"\n"
      << "memory_budget_mb = " << rss.backlog.memory_budget_mb << "\n"
      << "changelog = false\n";
  return config;
}

// Starts `<callflow> run --config <config>` with its output to `log`;
// returns once the child has exec'd. Sampling must start only then: before
// that the child is a copy of this process and its VmHWM counts this
// process's pages.
absl::StatusOr<pid_t> StartChild(const std::string& callflow,
                                 const std::string& config,
                                 const std::string& log) {
  std::vector<std::string> argv_s = {
      callflow, "run", "--config", config, "--metrics-address", "127.0.0.1:0"};
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The pipe's write end closes on exec, which ends the parent's read.
  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError("pipe2 failed");
  }
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    close(exec_pipe[0]);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(exec_pipe[1]);
  char byte;
  while (read(exec_pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }
  close(exec_pipe[0]);
  return pid;
}

// What the child did: its peak RSS, how far it committed, its exit code.
struct ChildRun {
  double peak_mb = 0;
  int64_t committed = 0;
  double seconds = 0;  // from its start to the end of the watch
  int exit_code = -1;
};

// Samples the child's peak RSS until its group has committed `total`
// offsets, it exits, or kCommitTimeout; then stops it (SIGTERM) and reaps
// it.
ChildRun WatchChild(pid_t pid, Clock::time_point start,
                    const std::string& brokers, int partitions, int64_t total) {
  ChildRun run;
  auto next_check = Clock::now();
  int status = 0;
  bool exited = false;
  while (run.committed < total && Clock::now() - start < kCommitTimeout) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    run.peak_mb = std::max(run.peak_mb, ProcStatusMb(pid, "VmHWM"));
    if (Clock::now() >= next_check) {
      next_check += kCommitCheckPeriod;
      run.committed =
          GroupCommittedSum(brokers, kGroup, kEventsTopic, partitions);
      Progress("committed {} of {}, rss {:.0f} MiB, peak {:.0f} MiB",
               run.committed, total, ProcStatusMb(pid, "VmRSS"), run.peak_mb);
    }
    std::this_thread::sleep_for(kPeakSamplePeriod);
  }
  run.seconds = SecondsSince(start);
  if (!exited) {
    run.peak_mb = std::max(run.peak_mb, ProcStatusMb(pid, "VmHWM"));
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

}  // namespace

CLI::App* AddRssCommand(CLI::App& app, RssArgs& args) {
  auto* m = app.add_subcommand(
      "rss",
      "Peak RSS of `callflow run` as its own process over a backlog, "
      "against its [state] memory_budget_mb");
  m->add_option("--callflow", args.callflow, "The callflow binary")
      ->capture_default_str();
  m->add_option("--events", args.backlog.events, "Events waiting in the topic")
      ->capture_default_str();
  m->add_option("--callers", args.backlog.callers,
                "Caller pool (the state is populated with it)")
      ->capture_default_str();
  m->add_option("--seed", args.backlog.seed, "Simulator seed")
      ->capture_default_str();
  m->add_option("--partitions", args.backlog.partitions,
                "Events partitions (0: enough for the mock's ~5 MiB each)")
      ->capture_default_str();
  m->add_option("--shards", args.shards, "[pipeline] shards (0: cores)")
      ->capture_default_str();
  m->add_option("--memory-budget-mb", args.backlog.memory_budget_mb,
                "[state] memory_budget_mb of the child")
      ->capture_default_str();
  m->add_option("--ring-capacity", args.ring_capacity,
                "[pipeline] ring_capacity of the child (0: its default)");
  m->add_option("--kafka", args.kafka,
                "Extra [kafka] property of the child, KEY=VALUE (repeatable)");
  m->add_option("--state-dir", args.state_dir,
                "Work dir (default: a temp dir, removed after a clean run)");
  return m;
}

int RunRss(const RssArgs& rss) {
  spdlog::set_level(spdlog::level::warn);
  auto backlog = StartBacklog(rss.backlog, kEventsTopic);
  if (!backlog.ok()) return Fail(backlog.status().ToString());
  const int partitions = backlog->partitions;
  const int64_t total = static_cast<int64_t>(backlog->total);

  auto dir = WorkDir::Create(rss.state_dir, "rss");
  if (!dir.ok()) return Fail(dir.status().ToString());
  auto distinct = PopulateChildState(rss, dir->path(), partitions);
  if (!distinct.ok()) return Fail(distinct.status().ToString());
  auto config = WriteChildConfig(rss, dir->path(), backlog->brokers);
  if (!config.ok()) return Fail(std::string(config.status().message()));

  const std::string log = dir->path() + "/run.log";
  const auto start = Clock::now();
  auto pid = StartChild(rss.callflow, *config, log);
  if (!pid.ok()) return Fail(std::string(pid.status().message()));
  Progress("callflow run pid {} over {} events, {} callers in state", *pid,
           total, *distinct);
  const ChildRun run =
      WatchChild(*pid, start, backlog->brokers, partitions, total);
  Progress("callflow run exited with {} after {:.1f} s; log {}", run.exit_code,
           run.seconds, log);
  // A temp dir stays for its log when the child failed.
  if (run.exit_code != 0) dir->Keep();
  std::cout << JsonLine()
                   .Num("peak_rss_mb", run.peak_mb)
                   .Int("memory_budget_mb",
                        static_cast<int64_t>(rss.backlog.memory_budget_mb))
                   .Int("events", total)
                   .Int("committed", run.committed)
                   .Int("callers", static_cast<int64_t>(*distinct))
                   .Int("partitions", partitions)
                   .Num("seconds_to_commit_all", run.seconds)
                   .Num("events_per_s", total / run.seconds)
                   .Int("exit_code", run.exit_code)
                   .ToString()
            << "\n";
  return run.committed == total && run.exit_code == 0 ? 0 : 1;
}

}  // namespace callflow::bench
