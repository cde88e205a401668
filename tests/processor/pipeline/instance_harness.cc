#include "tests/processor/pipeline/instance_harness.h"

#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "processor/codec/codec.h"
#include "processor/rules/engine.h"
#include "processor/rules/time.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;

// Hang guards, not measurements.
constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr auto kConsumeTimeout = std::chrono::seconds(60);

// Engine options of both the instances and replay: every line has business
// hours and a short max_silence, so the input raises LINE_SILENT as well as
// MISSED_RATE_HIGH (SIMULATOR traffic starts at 08:00 Moscow time).
constexpr char kLinesToml[] =
    "[lines.default]\n"
    "business_hours = \"09:00-18:00\"\n"
    "max_silence = \"20m\"\n";

// How many ids a diff shows per kind of difference.
constexpr size_t kShownIds = 4;

std::string Quoted(const std::string& s) { return absl::StrCat("\"", s, "\""); }

}  // namespace

bool ScaleOutKeys() {
  const char* legacy = getenv("CALLFLOW_TEST_LEGACY_CONFIG");
  return legacy == nullptr || std::string_view(legacy) != "1";
}

void WriteChildConfig(const ChildConfig& config, const std::string& state_dir,
                      const std::string& path) {
  std::ofstream out(path);
  out << "[kafka]\n";
  for (const auto& [k, v] : config.kafka) {
    out << Quoted(k) << " = " << Quoted(v) << "\n";
  }
  out << "\n[pipeline]\n"
      << "group_id = " << Quoted(config.group_id) << "\n"
      << "commit_interval_ms = " << config.commit_interval_ms
      << "\n"
      // A partition at a time: kills land between the slices of a cycle.
      << "commit_slice_ms = 0\n"
      << "shards = " << config.shards << "\n";
  if (config.scale_out) out << "idle_after = \"0s\"\n";
  out << config.pipeline_toml;
  const Topics& t = config.topics;
  out << "\n[topics]\n"
      << "events = " << Quoted(t.events) << "\n"
      << "tasks = " << Quoted(t.tasks) << "\n"
      << "alerts = " << Quoted(t.alerts) << "\n"
      << "contacts = " << Quoted(t.contacts) << "\n"
      << "dlq = " << Quoted(t.dlq) << "\n"
      << "changelog = " << Quoted(t.changelog) << "\n"
      << "lines = " << Quoted(t.lines) << "\n";
  out << "\n[state]\n"
      << "dir = " << Quoted(state_dir) << "\n";
  if (config.scale_out) out << "changelog = true\n";
  out << "\n" << config.extra_toml;
}

// ---------------------------------------------------------------- CallflowRun

CallflowRun::CallflowRun(const std::string& config,
                         const std::string& state_dir, std::string log)
    : log_(std::move(log)) {
  std::ofstream(log_, std::ios::app).flush();  // exists from here on
  log_start_ = static_cast<std::streamoff>(std::filesystem::file_size(log_));
  CallflowExec exec({"run", "--config", config, "--state-dir", state_dir,
                     "--metrics-address", "127.0.0.1:0"});
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    // Dies with the test process (an aborted test, e.g. an assertion in the
    // mock cluster, left children running as orphans).
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
      _exit(125);
    }
    const int fd = open(log_.c_str(), O_WRONLY | O_APPEND);
    if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) {
      _exit(126);
    }
    exec.Exec();
  }
  EXPECT_GT(pid_, 0) << "fork";
}

CallflowRun::~CallflowRun() {
  if (Running()) Kill();
}

bool CallflowRun::Running() {
  if (pid_ <= 0) return false;
  if (waitpid(pid_, &status_, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string CallflowRun::LogTail(int lines) const {
  std::ifstream in(log_);
  in.seekg(log_start_);
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (static_cast<int>(tail.size()) > lines) tail.pop_front();
  }
  return absl::StrCat("--- ", log_, " (tail) ---\n", absl::StrJoin(tail, "\n"));
}

int CallflowRun::CountLogged(std::string_view text) const {
  std::ifstream in(log_);
  in.seekg(log_start_);
  std::string line;
  int seen = 0;
  while (std::getline(in, line)) {
    if (line.find(text) != std::string::npos) ++seen;
  }
  return seen;
}

::testing::AssertionResult CallflowRun::WaitStarted() {
  bool started = false;
  WaitFor(
      [&] {
        started = CountLogged("callflow run: group") > 0;
        return started || !Running();
      },
      kStartTimeout);
  if (started) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "callflow run "
         << (Running()
                 ? "printed no start-up line in time"
                 : absl::StrCat("exited before starting (",
                                WIFEXITED(status_) ? "exit code " : "signal ",
                                WIFEXITED(status_) ? WEXITSTATUS(status_)
                                                   : WTERMSIG(status_),
                                ")"))
         << "\n"
         << LogTail();
}

::testing::AssertionResult CallflowRun::WaitLogged(std::string_view text,
                                                   int times) {
  int seen = 0;
  WaitFor(
      [&] {
        seen = CountLogged(text);
        return seen >= times || !Running();
      },
      kStartTimeout);
  if (seen >= times) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "logged \"" << text << "\" " << seen
                                       << " time(s), not " << times << "\n"
                                       << LogTail();
}

::testing::AssertionResult CallflowRun::Reap(int signal) {
  if (pid_ > 0) {
    kill(pid_, signal);
    if (signal != SIGKILL) kill(pid_, SIGCONT);  // a paused child must run
    EXPECT_EQ(waitpid(pid_, &status_, 0), pid_);
    pid_ = -1;
  }
  const bool ok = signal == SIGKILL
                      ? WIFSIGNALED(status_) && WTERMSIG(status_) == SIGKILL
                      : WIFEXITED(status_) && WEXITSTATUS(status_) == 0;
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "callflow run after " << strsignal(signal) << ": "
         << (WIFEXITED(status_)
                 ? absl::StrCat("exit code ", WEXITSTATUS(status_))
                 : absl::StrCat("signal ", WTERMSIG(status_)))
         << "\n"
         << LogTail();
}

::testing::AssertionResult CallflowRun::Stop() {
  if (::testing::AssertionResult started = WaitStarted(); !started) {
    Reap(SIGKILL);
    return started;
  }
  return Reap(SIGTERM);
}

::testing::AssertionResult CallflowRun::Kill() { return Reap(SIGKILL); }

void CallflowRun::Signal(int signal) {
  ASSERT_GT(pid_, 0);
  kill(pid_, signal);
}

std::optional<int> CallflowRun::WaitExit(std::chrono::seconds guard) {
  if (!WaitFor([&] { return !Running(); }, guard)) return std::nullopt;
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
}

void CallflowRun::Pause() {
  ASSERT_GT(pid_, 0);
  kill(pid_, SIGSTOP);
}

void CallflowRun::Resume() {
  ASSERT_GT(pid_, 0);
  kill(pid_, SIGCONT);
}

// ------------------------------------------------------------------- oracle

void AppendClosingEvents(int partitions, std::vector<v1::CallEvent>* events) {
  ASSERT_FALSE(events->empty());
  const google::protobuf::Timestamp last = events->back().occurred_at();
  rules::EngineOptions options;
  rules::Engine keys(options);
  std::vector<bool> closed(partitions, false);
  int left = partitions;
  for (int n = 0; left > 0 && n < 100000; ++n) {
    v1::CallEvent e;
    e.set_caller(absl::StrCat("+7916", 1000000 + n));
    const std::string key = keys.KeyFor(e);
    if (key.empty() || key[0] != '+') continue;  // not a caller's key
    // EventProducer's partitioner (murmur2_random) for a non-empty key.
    const int32_t p = rd_kafka_msg_partitioner_murmur2(
        nullptr, key.data(), key.size(), partitions, nullptr, nullptr);
    if (closed[p]) continue;
    closed[p] = true;
    --left;
    e.set_event_id(absl::StrCat("closing-p", p));
    e.mutable_contact()->set_name(absl::StrCat("closing event, partition ", p));
    *e.mutable_occurred_at() = last;
    events->push_back(e);
  }
  ASSERT_EQ(left, 0);
}

std::vector<v1::CallEvent> ScaleOutInput(uint64_t calls, uint64_t seed) {
  std::vector<v1::CallEvent> events = SimulatedEvents(calls, seed);
  AppendClosingEvents(ScaleOutRun::kPartitions, &events);
  return events;
}

namespace {

template <typename Message>
Message FromJson(const std::string& json) {
  Message m;
  EXPECT_THAT(google::protobuf::util::JsonStringToMessage(json, &m), IsOk())
      << json;
  return m;
}

template <typename Message>
Message FromBytes(const std::string& bytes) {
  Message m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

// Records of `topic` in offset order per partition (kcat's order).
template <typename Message, typename F>
void ForEachRecord(const std::string& brokers, const std::string& topic, F f) {
  std::vector<KcatRecord> records = KcatRead(brokers, topic);
  std::stable_sort(records.begin(), records.end(),
                   [](const KcatRecord& a, const KcatRecord& b) {
                     return std::tie(a.partition, a.offset) <
                            std::tie(b.partition, b.offset);
                   });
  for (const KcatRecord& r : records) f(FromBytes<Message>(r.value));
}

template <typename F>
void ForEachLine(const std::string& path, F f) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) f(line);
  }
}

// MISSED_RATE_HIGH and LINE_SILENT, by their id.
bool IsLineAlert(const std::string& id) {
  return absl::StartsWith(id, "missed_rate:") ||
         absl::StartsWith(id, "silent:");
}

using IdMap = std::map<std::string, std::string>;

// One output's differences: ids only in replay, only in Kafka, in both with
// different values.
struct Diff {
  std::vector<std::string> missing, extra, different;
  bool empty() const {
    return missing.empty() && extra.empty() && different.empty();
  }
};

Diff Compare(const IdMap& replay, const IdMap& kafka) {
  Diff d;
  for (const auto& [id, v] : replay) {
    auto it = kafka.find(id);
    if (it == kafka.end()) {
      d.missing.push_back(id);
    } else if (it->second != v) {
      d.different.push_back(id);
    }
  }
  for (const auto& [id, v] : kafka) {
    if (!replay.contains(id)) d.extra.push_back(id);
  }
  return d;
}

std::string FirstIds(const std::vector<std::string>& ids) {
  std::vector<std::string> shown(ids.begin(),
                                 ids.begin() + std::min(ids.size(), kShownIds));
  return absl::StrCat(
      ids.size(), ids.empty() ? "" : " [", absl::StrJoin(shown, ", "),
      ids.size() > kShownIds ? ", ..." : "", ids.empty() ? "" : "]");
}

// "tasks (last per task_id): replay 1565, kafka 1560; missing 5 [...], ..."
std::string Describe(const std::string& what, const IdMap& replay,
                     const IdMap& kafka, const Diff& d) {
  std::string s =
      absl::StrCat(what, ": replay ", replay.size(), ", kafka ", kafka.size(),
                   "; missing ", FirstIds(d.missing), "; extra ",
                   FirstIds(d.extra), "; different ", FirstIds(d.different));
  if (!d.different.empty()) {
    const std::string& id = d.different.front();
    absl::StrAppend(&s, "\n    ", id, "\n      replay: ", replay.at(id),
                    "\n      kafka:  ", kafka.at(id));
  }
  return s;
}

}  // namespace

OutputView KafkaOutputView(const std::string& brokers, const Topics& topics) {
  OutputView v;
  ForEachRecord<v1::Task>(brokers, topics.tasks, [&](const v1::Task& t) {
    v.tasks[t.task_id()] = codec::ToJson(t);
  });
  ForEachRecord<v1::Alert>(brokers, topics.alerts, [&](const v1::Alert& a) {
    const std::string json = codec::ToJson(a);
    auto [it, first] = v.alerts.emplace(a.alert_id(), json);
    // Repeats must be identical: a window fired twice with other counts is
    // wrong even though its id is right.
    if (!first && !absl::StrContains(it->second, json)) {
      absl::StrAppend(&it->second, " AND ANOTHER COPY ", json);
    }
  });
  ForEachRecord<v1::ContactContext>(
      brokers, topics.contacts, [&](const v1::ContactContext& c) {
        v.screen_pops[c.call_id()] = codec::ToJson(c);
      });
  return v;
}

OutputView ReplayOutputView(const std::string& dir) {
  OutputView v;
  ForEachLine(dir + "/tasks.jsonl", [&](const std::string& json) {
    v.tasks[FromJson<v1::Task>(json).task_id()] = json;
  });
  ForEachLine(dir + "/alerts.jsonl", [&](const std::string& json) {
    v.alerts[FromJson<v1::Alert>(json).alert_id()] = json;
  });
  ForEachLine(dir + "/contacts.jsonl", [&](const std::string& json) {
    v.screen_pops[FromJson<v1::ContactContext>(json).call_id()] = json;
  });
  return v;
}

::testing::AssertionResult SameOutputs(const OutputView& replay,
                                       const OutputView& kafka) {
  const auto tasks = Compare(replay.tasks, kafka.tasks);
  const auto alerts = Compare(replay.alerts, kafka.alerts);
  const auto pops = Compare(replay.screen_pops, kafka.screen_pops);
  if (tasks.empty() && alerts.empty() && pops.empty()) {
    return ::testing::AssertionSuccess()
           << "outputs equal replay: " << replay.tasks.size() << " tasks, "
           << replay.alerts.size() << " alerts, " << replay.screen_pops.size()
           << " screen-pops";
  }
  // The table: per-caller alerts missing, line alerts equal.
  size_t caller_missing = 0, line_total = 0, line_equal = 0, line_extra = 0;
  for (const auto& [id, json] : replay.alerts) {
    auto it = kafka.alerts.find(id);
    const bool found = it != kafka.alerts.end() && it->second == json;
    if (!IsLineAlert(id)) {
      caller_missing += !found;
      continue;
    }
    ++line_total;
    line_equal += found;
  }
  for (const auto& [id, json] : kafka.alerts) {
    line_extra += IsLineAlert(id) && !replay.alerts.contains(id);
  }
  return ::testing::AssertionFailure()
         << "outputs differ from replay: tasks wrong "
         << tasks.missing.size() + tasks.extra.size() + tasks.different.size()
         << " (of " << replay.tasks.size()
         << "), per-caller alerts missing or different " << caller_missing
         << ", screen-pops wrong "
         << pops.missing.size() + pops.extra.size() + pops.different.size()
         << ", line alerts equal " << line_equal << " of " << line_total << ", "
         << line_extra << " extra\n  "
         << Describe("tasks (last per task_id)", replay.tasks, kafka.tasks,
                     tasks)
         << "\n  "
         << Describe("alerts (alert_id)", replay.alerts, kafka.alerts, alerts)
         << "\n  "
         << Describe("screen-pops (last per call_id)", replay.screen_pops,
                     kafka.screen_pops, pops);
}

// ---------------------------------------------------------------- ScaleOutRun

ScaleOutRun::ScaleOutRun(std::vector<v1::CallEvent> events)
    : events_(std::move(events)) {
  auto cluster = MockCluster::Start(3);
  EXPECT_THAT(cluster, IsOk());
  cluster_ = *std::move(cluster);
  kafka_ = MockKafka(*cluster_);
  // MakeTopics creates the changelog with as many partitions as the events
  // topic and the lines topic with one.
  topics_ = MakeTopics(*cluster_, "so.", kPartitions, "so.events");
}

ScaleOutRun::~ScaleOutRun() {
  instances_.clear();  // every child gone before the cluster
  // Debugging aid: CALLFLOW_TEST_KEEP_LOGS=<dir> keeps every instance's log
  // (<dir>/<home>.log) after the temp dir is gone.
  const char* keep = getenv("CALLFLOW_TEST_KEEP_LOGS");
  if (keep == nullptr) return;
  std::filesystem::create_directories(keep);
  for (const auto& home : std::filesystem::directory_iterator(root_.path())) {
    std::error_code ignored;
    std::filesystem::copy_file(
        home.path() / "run.log",
        std::filesystem::path(keep) /
            (home.path().filename().string() + ".log"),
        std::filesystem::copy_options::overwrite_existing, ignored);
  }
}

void ScaleOutRun::Produce(size_t from, size_t to) {
  ProduceEvents(
      kafka_, topics_.events,
      std::vector<v1::CallEvent>(events_.begin() + from, events_.begin() + to));
}

::testing::AssertionResult ScaleOutRun::Start(const std::string& name,
                                              const std::string& dir) {
  const std::string home =
      absl::StrCat(root_.path(), "/", dir.empty() ? name : dir);
  std::filesystem::create_directories(home);
  ChildConfig config{.kafka = kafka_,
                     .topics = topics_,
                     .group_id = group_,
                     .scale_out = ScaleOutKeys(),
                     .extra_toml = kLinesToml,
                     .pipeline_toml = tuning_pipeline_};
  for (const auto& [k, v] : tuning_kafka_) config.kafka[k] = v;
  // Debugging aid: CALLFLOW_TEST_KAFKA_DEBUG=cgrp,... sets librdkafka's
  // `debug` in every instance.
  if (const char* debug = getenv("CALLFLOW_TEST_KAFKA_DEBUG")) {
    config.kafka["debug"] = debug;
  }
  const std::string path = home + "/" + name + ".toml";
  WriteChildConfig(config, home + "/state", path);
  auto& slot = instances_[name];
  if (slot != nullptr && slot->Running()) {
    return ::testing::AssertionFailure() << name << " still runs";
  }
  slot =
      std::make_unique<CallflowRun>(path, home + "/state", home + "/run.log");
  return slot->WaitStarted() << " (instance " << name << ")";
}

void ScaleOutRun::SetChildTuning(KafkaProperties kafka,
                                 std::string pipeline_toml) {
  tuning_kafka_ = std::move(kafka);
  tuning_pipeline_ = std::move(pipeline_toml);
}

CallflowRun& ScaleOutRun::instance(const std::string& name) {
  return *instances_.at(name);
}

int64_t ScaleOutRun::GroupCommitted() const {
  return testing::GroupCommitted(kafka_, group_, topics_.events, kPartitions);
}

int64_t ScaleOutRun::EndOffsets() const {
  return testing::EndOffsets(kafka_, topics_.events, kPartitions);
}

::testing::AssertionResult ScaleOutRun::WaitCommittedAbove(int64_t offsets) {
  int64_t committed = 0;
  if (WaitFor([&] { return (committed = GroupCommitted()) > offsets; },
              kConsumeTimeout)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "the group's committed offsets stayed at " << committed
         << ", not above " << offsets << InstanceLogs();
}

std::string ScaleOutRun::InstanceLogs() {
  std::string out;
  for (auto& [name, run] : instances_) {
    out += "\n--- instance " + name +
           (run->Running() ? " (running)" : " (ended)") + ":\n" +
           run->LogTail(8);
  }
  return out;
}

::testing::AssertionResult ScaleOutRun::WaitConsumed() {
  const int64_t end = EndOffsets();
  int64_t committed = 0;
  if (WaitFor([&] { return (committed = GroupCommitted()) >= end; },
              kConsumeTimeout)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "the group's committed offsets stayed at " << committed << " of "
         << end << " (" << end - committed << " behind)" << InstanceLogs();
}

void ScaleOutRun::StopAll() {
  for (auto& [name, run] : instances_) {
    if (run->Running()) {
      EXPECT_TRUE(run->Stop()) << "instance " << name;
    }
  }
}

::testing::AssertionResult ScaleOutRun::OutputsEqualReplay() {
  const std::string input = root_.path() + "/input.jsonl";
  const std::string config = root_.path() + "/replay.toml";
  const std::string out = root_.path() + "/replay";
  WriteJsonl(events_, input);
  std::ofstream(config) << kLinesToml;
  const CommandResult replay = RunCallflow(
      {"replay", "--input", input, "--out", out, "--config", config});
  if (replay.exit_code != 0) {
    return ::testing::AssertionFailure()
           << "callflow replay exited with " << replay.exit_code << ": "
           << replay.err;
  }
  return SameOutputs(ReplayOutputView(out),
                     KafkaOutputView(cluster_->bootstraps(), topics_));
}

}  // namespace callflow::pipeline::testing
