#include "tests/processor/pipeline/pipeline_test_util.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>
#include <thread>

#include "processor/codec/codec.h"
#include "processor/pipeline/event_producer.h"
#include "processor/pipeline/topic_partition_list.h"
#include "processor/pipeline/topic_reader.h"
#include "processor/replay/replay.h"
#include "processor/sim/traffic_simulator.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {

using ::callflow_testing::IsOk;

std::vector<v1::CallEvent> SimulatedEvents(uint64_t calls, uint64_t seed) {
  sim::SimulatorOptions options;
  options.seed = seed;
  options.max_calls = calls;
  sim::TrafficSimulator sim(options);
  std::vector<v1::CallEvent> events;
  v1::CallEvent e;
  while (sim.Next(&e)) events.push_back(e);
  return events;
}

void WriteJsonl(const std::vector<v1::CallEvent>& events,
                const std::string& path) {
  std::ofstream out(path);
  for (const auto& e : events) out << codec::ToJson(e) << "\n";
}

Topics MakeTopics(MockCluster& cluster, const std::string& prefix,
                  int partitions, const std::string& events) {
  Topics t;
  t.events = events;
  t.tasks = prefix + "tasks";
  t.alerts = prefix + "alerts";
  t.contacts = prefix + "contacts";
  t.dlq = prefix + "dlq";
  t.changelog = prefix + "changelog";
  t.lines = prefix + "lines";
  for (const std::string& name :
       {t.events, t.tasks, t.alerts, t.contacts, t.dlq, t.changelog}) {
    // Creating an existing topic fails harmlessly (shared events topic).
    cluster.CreateTopic(name, partitions).IgnoreError();
  }
  cluster.CreateTopic(t.lines, 1).IgnoreError();
  return t;
}

KafkaProperties MockKafka(const MockCluster& cluster) {
  return {{"bootstrap.servers", cluster.bootstraps()},
          // Consumer-only: the producers would warn about them.
          {"consumer.session.timeout.ms", "6000"},
          {"consumer.heartbeat.interval.ms", "500"},
          {"log_level", "3"}};
}

PipelineConfig TestConfig(const Topics& topics, const KafkaProperties& kafka,
                          uint32_t shards) {
  PipelineConfig config;
  config.topics = topics;
  config.kafka = kafka;
  config.options.shards = shards;
  config.options.commit_interval_ms = 50;
  // A partition at a time: every test runs the sliced seal and write.
  config.options.commit_slice_ms = 0;
  return config;
}

PipelineThread::PipelineThread(const std::string& state_dir,
                               const PipelineConfig& config,
                               PipelineObserver* observer) {
  auto env = state::StateEnv::Create(StateAt(state_dir));
  EXPECT_THAT(env, IsOk());
  env_ = *std::move(env);
  auto p = Pipeline::Create(config, *env_, observer);
  EXPECT_THAT(p, IsOk());
  pipeline_ = *std::move(p);
  thread_ = std::thread([this] {
    status_ = pipeline_->Run();
    done_.store(true);
  });
}

absl::Status PipelineThread::Stop() {
  if (thread_.joinable()) pipeline_->Stop();
  return Join();
}

absl::Status PipelineThread::Join() {
  if (thread_.joinable()) thread_.join();
  return status_;
}

int PipelineThread::Owned() const {
  int n = 0;
  for (const auto& p : pipeline_->stats().partitions) n += p.owned.load();
  return n;
}

void ProduceEvents(const KafkaProperties& kafka, const std::string& topic,
                   const std::vector<v1::CallEvent>& events) {
  rules::EngineOptions options;
  auto producer = EventProducer::Create(options, kafka, topic);
  ASSERT_THAT(producer, IsOk());
  for (const auto& e : events) ASSERT_THAT((*producer)->Send(e), IsOk());
  ASSERT_THAT((*producer)->WaitAcknowledged(std::chrono::seconds(60)), IsOk());
}

namespace {

template <typename Message>
void ReadJson(const KafkaProperties& kafka, const std::string& topic,
              std::multiset<std::string>* out) {
  auto reader = TopicReader::Open(kafka, topic);
  ASSERT_THAT(reader, IsOk());
  Message m;
  absl::Status s = (*reader)->ReadToEnd(
      [&](const TopicRecord& r) {
        ASSERT_TRUE(m.ParseFromString(r.value)) << topic;
        out->insert(codec::ToJson(m));
      },
      std::chrono::seconds(60));
  ASSERT_THAT(s, IsOk());
}

void ReadLines(const std::string& path, std::multiset<std::string>* out) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out->insert(line);
  }
}

}  // namespace

Outputs ReadOutputs(const KafkaProperties& kafka, const Topics& topics) {
  Outputs o;
  ReadJson<v1::Task>(kafka, topics.tasks, &o.tasks);
  ReadJson<v1::Alert>(kafka, topics.alerts, &o.alerts);
  ReadJson<v1::ContactContext>(kafka, topics.contacts, &o.contacts);
  auto reader = TopicReader::Open(kafka, topics.dlq);
  EXPECT_THAT(reader, IsOk());
  if (reader.ok()) {
    EXPECT_THAT((*reader)->ReadToEnd(
                    [&](const TopicRecord& r) {
                      v1::DeadLetter d;
                      EXPECT_TRUE(d.ParseFromString(r.value));
                      o.dead_letters.push_back(d);
                    },
                    std::chrono::seconds(60)),
                IsOk());
  }
  return o;
}

Outputs ReadReplayOutputs(const std::string& dir) {
  Outputs o;
  ReadLines(dir + "/tasks.jsonl", &o.tasks);
  ReadLines(dir + "/alerts.jsonl", &o.alerts);
  ReadLines(dir + "/contacts.jsonl", &o.contacts);
  return o;
}

Outputs ReplayOutputs(const std::string& input, const std::string& out_dir) {
  rules::EngineOptions engine;
  state::StateOptions state;
  replay::ReplayOptions options;
  options.input = input;
  options.out_dir = out_dir;
  auto kpis = replay::RunReplay(engine, state, options, nullptr);
  EXPECT_THAT(kpis, IsOk());
  return ReadReplayOutputs(out_dir);
}

Outputs ReplayOracle(const std::vector<v1::CallEvent>& events,
                     const std::string& dir) {
  const std::string input = dir + "/input.jsonl";
  WriteJsonl(events, input);
  Outputs expected = ReplayOutputs(input, dir + "/replay");
  EXPECT_FALSE(expected.tasks.empty());
  return expected;
}

void ExpectReplayOutputs(const Outputs& got, const Outputs& expected) {
  EXPECT_EQ(Distinct(got.tasks), Distinct(expected.tasks));
  EXPECT_EQ(Distinct(got.contacts), Distinct(expected.contacts));
  EXPECT_EQ(PerCallerAlerts(got.alerts), PerCallerAlerts(expected.alerts));
}

std::set<std::string> Distinct(const std::multiset<std::string>& m) {
  return std::set<std::string>(m.begin(), m.end());
}

std::set<std::string> PerCallerAlerts(const std::multiset<std::string>& all) {
  std::set<std::string> out;
  for (const std::string& a : all) {
    if (a.find("\"MISSED_RATE_HIGH\"") == std::string::npos &&
        a.find("\"LINE_SILENT\"") == std::string::npos) {
      out.insert(a);
    }
  }
  return out;
}

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

// Keys and values come length-prefixed, so binary payloads survive.
std::vector<KcatRecord> KcatRead(const std::string& brokers,
                                 const std::string& topic) {
  const std::string cmd = "kcat -b " + brokers + " -C -t " + topic +
                          " -e -q -f '%p %o %K %k %S %s' 2>/dev/null";
  FILE* f = popen(cmd.c_str(), "r");
  EXPECT_NE(f, nullptr);
  std::string data;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) data.append(buf, n);
  EXPECT_EQ(pclose(f), 0) << cmd;
  std::vector<KcatRecord> records;
  size_t pos = 0;
  auto number = [&]() -> int64_t {
    const size_t space = data.find(' ', pos);
    if (space == std::string::npos) {
      ADD_FAILURE() << "kcat output cut at " << pos;
      pos = data.size();
      return 0;
    }
    const int64_t v = std::stoll(data.substr(pos, space - pos));
    pos = space + 1;
    return v;
  };
  auto bytes = [&](int64_t len) {
    std::string s = len > 0 ? data.substr(pos, len) : "";
    pos += std::max<int64_t>(len, 0);
    return s;
  };
  while (pos < data.size()) {
    KcatRecord r;
    r.partition = static_cast<int32_t>(number());
    r.offset = number();
    r.key = bytes(number());
    ++pos;  // the space after the key
    r.value = bytes(number());
    records.push_back(std::move(r));
  }
  return records;
}

CallflowExec::CallflowExec(const std::vector<std::string>& args) {
  args_.push_back(CALLFLOW_BINARY);
  args_.insert(args_.end(), args.begin(), args.end());
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).substr(0, 9) != "CALLFLOW_") env_.push_back(*e);
  }
  for (std::string& a : args_) argv_.push_back(a.data());
  argv_.push_back(nullptr);
  for (std::string& e : env_) envp_.push_back(e.data());
  envp_.push_back(nullptr);
}

void CallflowExec::Exec() {
  execve(CALLFLOW_BINARY, argv_.data(), envp_.data());
  _exit(127);
}

CommandResult RunCallflow(const std::vector<std::string>& args) {
  TempDir dir;
  const std::string out = dir.path() + "/stdout", err = dir.path() + "/stderr";
  CallflowExec exec(args);
  const pid_t pid = fork();
  if (pid == 0) {
    if (freopen(out.c_str(), "w", stdout) == nullptr ||
        freopen(err.c_str(), "w", stderr) == nullptr) {
      _exit(126);
    }
    exec.Exec();
  }
  CommandResult result;
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = ReadFile(out);
  result.err = ReadFile(err);
  return result;
}

int64_t EndOffsets(const KafkaProperties& kafka, const std::string& topic,
                   int partitions) {
  auto conf = MakeKafkaConf(KafkaClient::kConsumer,
                            {{"group.id", "callflow-test-offsets"}}, kafka);
  EXPECT_THAT(conf, IsOk());
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> c(
      RdKafka::KafkaConsumer::create(conf->get(), err));
  int64_t total = 0;
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0, high = 0;
    EXPECT_EQ(c->query_watermark_offsets(topic, p, &low, &high, 10000),
              RdKafka::ERR_NO_ERROR);
    total += high;
  }
  c->close();
  return total;
}

int64_t CommittedSum(const PipelineStats& stats) {
  int64_t sum = 0;
  for (const auto& p : stats.partitions) {
    sum += std::max<int64_t>(p.committed_offset.load(), 0);
  }
  return sum;
}

bool WaitCommitted(const PipelineStats& stats, int64_t total,
                   std::chrono::seconds timeout) {
  return WaitFor([&] { return CommittedSum(stats) >= total; }, timeout);
}

int64_t GroupCommitted(const KafkaProperties& kafka, const std::string& group,
                       const std::string& topic, int partitions) {
  auto conf =
      MakeKafkaConf(KafkaClient::kConsumer, {{"group.id", group}}, kafka);
  EXPECT_THAT(conf, IsOk());
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> c(
      RdKafka::KafkaConsumer::create(conf->get(), err));
  TopicPartitionList tps;
  for (int p = 0; p < partitions; ++p) tps.Add(topic, p);
  int64_t total = 0;
  if (c->committed(tps.get(), 10000) == RdKafka::ERR_NO_ERROR) {
    for (auto* tp : tps) total += std::max<int64_t>(tp->offset(), 0);
  }
  c->close();
  return total;
}

}  // namespace callflow::pipeline::testing
