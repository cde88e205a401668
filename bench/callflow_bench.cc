// callflow-bench: end-to-end throughput and latency of callflow
// (docs/PERFORMANCE.md). Each subcommand prints progress on stderr and, as
// the last line of stdout, one JSON object with its results.
//
//   callflow-bench engine  --events N        the rules engine alone
//   callflow-bench e2e     --events N --callers C
//                          raw librdkafka consume vs the full pipeline over
//                          the same messages in the librdkafka mock cluster
//   callflow-bench rss     --events N --callers C
//                          peak RSS of `callflow run` as its own process
//                          over a backlog, against its memory budget
//   callflow-bench latency --rate R           steady load: event -> committed
//                          latency and EMERGENCY alert latency

#include <fcntl.h>
#include <librdkafka/rdkafkacpp.h>
#include <malloc.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_util.h"
#include "bench/ingest_bench.h"
#include "bench/restore_bench.h"
#include "callflow/v1/events.pb.h"
#include "callflow/v1/outputs.pb.h"
#include "processor/pipeline/internal/murmur2.h"
#include "processor/pipeline/mock_cluster.h"
#include "processor/pipeline/pipeline.h"
#include "processor/pipeline/topic_partition_list.h"
#include "processor/rules/engine.h"
#include "processor/rules/output_sink.h"
#include "processor/rules/testing/counting_sink.h"
#include "processor/rules/testing/in_memory_state.h"
#include "processor/rules/time.h"
#include "processor/sim/caller_pool.h"
#include "processor/sim/traffic_simulator.h"
#include "state/partition_store.h"
#include "state/state_env.h"

namespace callflow::bench {
namespace {

using Clock = std::chrono::steady_clock;

template <typename... Args>
void Progress(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print(stderr, "[callflow-bench] {}\n",
             fmt::format(format, std::forward<Args>(args)...));
  std::fflush(stderr);
}

// One pipeline pass of the e2e bench: with or without the changelog and the
// key check, in round `round` (the passes of a round run back to back).
struct PassSpec {
  bool changelog = true;
  bool key_check = true;
  int round = 0;
};

// Each e2e pass has its own group, changelog and lines topics: names end
// in e.g. ".cl-on.kc-off.1".
std::string PassTopic(const std::string& name, const PassSpec& pass) {
  return absl::StrCat(name, ".cl-", pass.changelog ? "on" : "off", ".kc-",
                      pass.key_check ? "on" : "off", ".", pass.round);
}

// The changelog (as many partitions as the events) and the lines topic
// under the default names, or a pass's own.
absl::Status CreateStateTopics(pipeline::MockCluster& cluster, int partitions,
                               const PassSpec* pass = nullptr) {
  const pipeline::Topics topics;
  auto name = [pass](const std::string& base) {
    return pass == nullptr ? base : PassTopic(base, *pass);
  };
  if (absl::Status s = cluster.CreateTopic(name(topics.changelog), partitions);
      !s.ok()) {
    return s;
  }
  return cluster.CreateTopic(name(topics.lines), 1);
}

int Fail(const std::string& what) {
  Progress("error: {}", what);
  std::cout << JsonLine().Str("error", what).ToString() << std::endl;
  return 1;
}

// ------------------------------------------------------------ engine --

// CPU seconds this thread ran: the engine's rate per core on a shared,
// loaded machine (wall time counts the time other processes had the core).
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

using rules::CountingSink;

// A hash-map StateView: the shape of PartitionStore's in-memory cache without
// RocksDB behind it (rules::InMemoryState is an ordered map for tests).
class HashState : public rules::StateView {
 public:
  v1::CallerState& MutableCaller(std::string_view key) override {
    auto it = callers_.find(absl::string_view(key.data(), key.size()));
    if (it != callers_.end()) return it->second;
    return callers_[std::string(key)];
  }
  void EraseCaller(std::string_view key) override {
    callers_.erase(absl::string_view(key.data(), key.size()));
  }
  v1::PartitionState& MutablePartition() override { return partition_; }
  void AddTimer(const rules::Timer& timer) override { timers_.insert(timer); }
  std::optional<rules::Timer> PopDueTimer(rules::TimeNs watermark) override {
    if (timers_.empty() || timers_.begin()->due > watermark) {
      return std::nullopt;
    }
    return std::move(timers_.extract(timers_.begin()).value());
  }
  size_t callers() const { return callers_.size(); }

 private:
  absl::node_hash_map<std::string, v1::CallerState> callers_;
  v1::PartitionState partition_;
  std::set<rules::Timer> timers_;
};

struct EngineArgs {
  uint64_t events = 1000000;
  uint64_t callers = sim::SimulatorOptions().caller_pool;
  uint64_t seed = 1;
  std::string state = "hash";
  int repeat = 3;
  bool warm_numbers = false;
};

int RunEngine(const EngineArgs& args) {
  sim::SimulatorOptions so;
  so.seed = args.seed;
  so.caller_pool = args.callers;
  Progress("simulating {} events ({} callers in the pool)", args.events,
           args.callers);
  std::vector<v1::CallEvent> events;
  events.reserve(args.events);
  {
    sim::TrafficSimulator simulator(so);
    v1::CallEvent e;
    while (events.size() < args.events && simulator.Next(&e)) {
      events.push_back(e);
    }
  }
  rules::EngineOptions options;
  double best = 0, best_cpu = 0;
  uint64_t outputs = 0;
  size_t state_callers = 0;
  for (int r = 0; r < args.repeat; ++r) {
    rules::Engine engine(options);
    CountingSink sink;
    std::unique_ptr<rules::StateView> state;
    if (args.state == "map") {
      state = std::make_unique<rules::InMemoryState>();
    } else {
      state = std::make_unique<HashState>();
    }
    if (args.warm_numbers) {  // steady state: every number parsed before
      for (const v1::CallEvent& e : events) {
        engine.normalizer().Normalize(e.caller());
      }
    }
    uint64_t rejected = 0;
    const double cpu_start = ThreadCpuSeconds();
    const auto start = Clock::now();
    for (const v1::CallEvent& e : events) {
      if (!engine.Process(e, *state, sink).ok()) ++rejected;
    }
    const double seconds = SecondsSince(start);
    const double cpu = ThreadCpuSeconds() - cpu_start;
    const double rate = static_cast<double>(events.size()) / seconds;
    const double cpu_rate = static_cast<double>(events.size()) / cpu;
    Progress(
        "run {}: {} events in {:.3f} s wall, {:.3f} s CPU = {:.0f} "
        "events/s ({:.0f} per CPU second; {} outputs, {} rejected)",
        r + 1, events.size(), seconds, cpu, rate, cpu_rate, sink.outputs,
        rejected);
    best = std::max(best, rate);
    best_cpu = std::max(best_cpu, cpu_rate);
    outputs = sink.outputs;
    if (auto* h = dynamic_cast<HashState*>(state.get())) {
      state_callers = h->callers();
    } else {
      state_callers =
          static_cast<rules::InMemoryState*>(state.get())->callers().size();
    }
  }
  std::cout << JsonLine()
                   .Num("events_per_s", best)
                   .Num("events_per_cpu_s", best_cpu)
                   .Int("events", static_cast<int64_t>(events.size()))
                   .Int("outputs", static_cast<int64_t>(outputs))
                   .Int("callers_in_state", static_cast<int64_t>(state_callers))
                   .Str("state", args.state)
                   .Int("repeat", args.repeat)
                   .Int("warm_numbers", args.warm_numbers ? 1 : 0)
                   .ToString()
            << std::endl;
  return 0;
}

// ----------------------------------------------------- Kafka helpers --

std::unique_ptr<RdKafka::Conf> KafkaConf(
    const std::vector<std::pair<std::string, std::string>>& props) {
  std::unique_ptr<RdKafka::Conf> conf(
      RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : props) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      Progress("kafka property {}={}: {}", k, v, err);
      std::exit(2);
    }
  }
  return conf;
}

// Takes ownership of a librdkafka client, or exits naming what failed.
template <typename Client>
std::unique_ptr<Client> OrExit(Client* client, const char* what,
                               const std::string& err) {
  if (client == nullptr) {
    Progress("{}: {}", what, err);
    std::exit(2);
  }
  return std::unique_ptr<Client>(client);
}

std::unique_ptr<RdKafka::Producer> MakeProducer(
    const std::string& brokers, const std::string& linger_ms,
    const std::string& compression = "none") {
  auto conf = KafkaConf({{"bootstrap.servers", brokers},
                         {"linger.ms", linger_ms},
                         {"compression.type", compression},
                         {"batch.num.messages", "10000"},
                         {"queue.buffering.max.messages", "1000000"},
                         {"queue.buffering.max.kbytes", "1048576"}});
  std::string err;
  RdKafka::Producer* p = RdKafka::Producer::create(conf.get(), err);
  return OrExit(p, "producer", err);
}

void ProduceOne(RdKafka::Producer& producer, const std::string& topic,
                int32_t partition, const std::string& key,
                const std::string& payload) {
  while (true) {
    RdKafka::ErrorCode err =
        producer.produce(topic, partition, RdKafka::Producer::RK_MSG_COPY,
                         const_cast<char*>(payload.data()), payload.size(),
                         key.data(), key.size(), 0, nullptr);
    if (err == RdKafka::ERR_NO_ERROR) break;
    if (err != RdKafka::ERR__QUEUE_FULL) {
      Progress("produce: {}", RdKafka::err2str(err));
      std::exit(2);
    }
    producer.poll(1);
  }
  producer.poll(0);
}

std::unique_ptr<RdKafka::KafkaConsumer> MakeConsumer(const std::string& brokers,
                                                     const std::string& group,
                                                     int fetch_wait_ms = 0) {
  std::vector<std::pair<std::string, std::string>> props = {
      {"bootstrap.servers", brokers},
      {"group.id", group},
      {"enable.auto.commit", "false"},
      {"auto.offset.reset", "earliest"},
      {"queued.min.messages", "1000000"},
      {"queued.max.messages.kbytes", "1048576"}};
  if (fetch_wait_ms > 0) {
    props.emplace_back("fetch.wait.max.ms", absl::StrCat(fetch_wait_ms));
  }
  auto conf = KafkaConf(props);
  std::string err;
  RdKafka::KafkaConsumer* c = RdKafka::KafkaConsumer::create(conf.get(), err);
  return OrExit(c, "consumer", err);
}

void AssignAll(RdKafka::KafkaConsumer& consumer, const std::string& topic,
               int partitions, int64_t offset) {
  pipeline::TopicPartitionList tps;
  for (int p = 0; p < partitions; ++p) tps.Add(topic, p, offset);
  consumer.assign(tps.get());
}

// Tracks, per partition, when the pipeline's poll thread consumed each offset
// (PartitionCounters::consumed, a count from offset 0 in a fresh topic) and
// when the shard committed it (committed_offset: outputs acknowledged, state
// and offset written). Latency = commit time - consume time, at the
// sampler's resolution (it polls every `period`).
class CommitLatencySampler {
 public:
  CommitLatencySampler(pipeline::PipelineStats& stats, int partitions)
      : stats_(stats), parts_(partitions) {}

  // One sampling round; returns the total committed offsets.
  int64_t Sample() {
    const double now_ms = NowMs();
    int64_t committed_total = 0;
    for (size_t p = 0; p < parts_.size(); ++p) {
      Part& part = parts_[p];
      const auto& pc = stats_.partitions[p];
      const int64_t consumed = static_cast<int64_t>(pc.consumed.load());
      if (consumed > part.consumed) {
        if (first_consume_ms_ < 0) first_consume_ms_ = now_ms;
        part.segments.push_back({consumed, now_ms});
        part.consumed = consumed;
      }
      const int64_t committed =
          std::max<int64_t>(pc.committed_offset.load(), 0);
      while (part.committed < committed && !part.segments.empty()) {
        Segment& s = part.segments.front();
        const int64_t upto = std::min(committed, s.end);
        if (record_) {
          latency_.Add(now_ms - s.at_ms,
                       static_cast<uint64_t>(upto - part.committed));
        }
        part.committed = upto;
        if (upto == s.end) part.segments.pop_front();
      }
      part.committed = std::max(part.committed, committed);
      committed_total += part.committed;
    }
    return committed_total;
  }

  void set_record(bool record) { record_ = record; }
  LatencyRecorder& latency() { return latency_; }
  double first_consume_ms() const { return first_consume_ms_; }
  static double NowMs() {
    return std::chrono::duration<double, std::milli>(
               Clock::now().time_since_epoch())
        .count();
  }

 private:
  struct Segment {
    int64_t end;  // offsets below this were consumed by `at_ms`
    double at_ms;
  };
  struct Part {
    int64_t consumed = 0;
    int64_t committed = 0;
    std::deque<Segment> segments;
  };
  pipeline::PipelineStats& stats_;
  std::vector<Part> parts_;
  LatencyRecorder latency_;
  double first_consume_ms_ = -1;
  bool record_ = true;
};

std::string MakeTempDir(const std::string& hint) {
  const auto path = std::filesystem::temp_directory_path() /
                    absl::StrFormat("callflow-bench-%s-%d", hint, ::getpid());
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path.string();
}

// --------------------------------------------------------------- e2e --

struct E2eArgs {
  uint64_t events = 1000000;
  uint64_t callers = 1000000;
  uint64_t seed = 1;
  double zipf = 1.0;
  std::string compression = "lz4";
  int partitions = 0;  // 0: from the data size
  uint32_t shards = 0;
  uint32_t commit_interval_ms = 200;
  size_t memory_budget_mb = 256;  // [state] memory_budget_mb
  std::string state_dir;
  bool skip_raw = false;
  // "on", "off" or "both" (two pipeline passes over the same topic, the
  // changelog's cost as their ratio).
  std::string changelog = "both";
  // The same for the key check (docs/RULES.md §9.3): "both" runs each pass with
  // and without it, the check's cost as their ratio.
  std::string key_check = "on";
  // Rounds of passes; the order of a round's passes alternates so a drift
  // of the machine's load does not favour one of them. Costs are medians of
  // the rounds' ratios.
  int rounds = 1;
};

// What one pipeline pass over the preloaded topic measured.
struct PipelinePass {
  double rate = 0;            // events committed per second
  double processed_rate = 0;  // events processed per second
  double p50_ms = 0, p99_ms = 0;
  double rss_peak = 0, rss_before = 0;
  uint64_t distinct = 0;
  uint64_t commits = 0, commit_us = 0;
  double cpu_seconds = 0;  // CPU time of the whole process during the pass
  int shards = 0;
  absl::Status status;
};

// Writes `callers` caller records (the simulator's pool, normalized) into the
// partition stores, as a processor that had seen them would have. Returns
// the number of distinct callers.
uint64_t PopulateState(state::StateEnv& env, const E2eArgs& args,
                       int partitions) {
  sim::SimulatorOptions defaults;
  sim::CallerPool pool(args.seed, args.callers, args.zipf,
                       defaults.zipf_offset);
  std::vector<std::unique_ptr<state::PartitionStore>> stores;
  for (int p = 0; p < partitions; ++p) {
    auto store = state::PartitionStore::Open(env, p);
    if (!store.ok()) {
      Progress("open p{}: {}", p, store.status().ToString());
      std::exit(2);
    }
    stores.push_back(*std::move(store));
  }
  std::vector<uint64_t> hashes;
  hashes.reserve(args.callers);
  std::vector<uint32_t> pending(partitions, 0);
  // Commit at the cache budget, so writing the state does not itself lift
  // the process's peak RSS above what the pipeline needs.
  const uint32_t commit_every = static_cast<uint32_t>(std::max<size_t>(
      1000, (args.memory_budget_mb << 20) / 2 / std::max(1, partitions) /
                state::StateEnv::kCachedCallerBytes));
  const rules::TimeNs seen = 1717390800LL * rules::kSecond - 30 * rules::kDay;
  const auto start = Clock::now();
  for (size_t i = 0; i < pool.size(); ++i) {
    const std::string key = absl::StrCat("+7", pool.National(i));
    const uint64_t h = KeyHash(key);
    hashes.push_back(h);
    const int p = pipeline::Murmur2Partition(key, partitions);
    v1::CallerState& r = stores[p]->MutableCaller(key);
    r.set_caller(key);
    r.set_first_seen_at(seen);
    r.set_inbound_calls(1);
    r.set_last_call_at(seen);
    r.set_last_inbound_line("sales");
    if (++pending[p] == commit_every) {
      if (absl::Status s = stores[p]->Commit(std::nullopt); !s.ok()) {
        Progress("populate p{}: {}", p, s.ToString());
        std::exit(2);
      }
      pending[p] = 0;
    }
    if ((i + 1) % 1000000 == 0) {
      Progress("state: {} callers written ({:.0f}/s)", i + 1,
               static_cast<double>(i + 1) / SecondsSince(start));
    }
  }
  for (auto& s : stores) {
    if (absl::Status st = s->Commit(std::nullopt); !st.ok()) {
      Progress("populate: {}", st.ToString());
      std::exit(2);
    }
  }
  stores.clear();
  std::sort(hashes.begin(), hashes.end());
  const uint64_t distinct =
      std::unique(hashes.begin(), hashes.end()) - hashes.begin();
  hashes = std::vector<uint64_t>();
  Progress("state: {} distinct callers in {} partitions in {:.1f} s", distinct,
           partitions, SecondsSince(start));
  return distinct;
}

// The full pipeline over the preloaded topic, on a freshly populated state
// (its own dir, group and state topics), with the changelog and the key
// check on or off.
PipelinePass RunPipelinePass(const E2eArgs& args,
                             pipeline::MockCluster& cluster, int partitions,
                             uint64_t total, const PassSpec& spec) {
  PipelinePass pass;
  const bool changelog = spec.changelog;
  if (absl::Status s = CreateStateTopics(cluster, partitions, &spec); !s.ok()) {
    pass.status = s;
    return pass;
  }
  state::StateOptions state_options;
  const bool own_dir = args.state_dir.empty();
  state_options.dir =
      own_dir ? MakeTempDir("e2e")
              : PassTopic(absl::StrCat(args.state_dir, "/state"), spec);
  state_options.memory_budget_bytes = args.memory_budget_mb << 20;
  auto env = state::StateEnv::Create(state_options);
  if (!env.ok()) {
    pass.status = env.status();
    return pass;
  }
  pass.distinct = PopulateState(**env, args, partitions);
  malloc_trim(0);
  pass.rss_before = RssMb();

  pipeline::PipelineConfig config;
  config.kafka = {{"bootstrap.servers", cluster.bootstraps()},
                  {"consumer.session.timeout.ms", "6000"}};
  config.options.shards = args.shards;
  config.options.commit_interval_ms = args.commit_interval_ms;
  config.options.group_id = PassTopic("callflow-bench", spec);
  config.options.changelog = changelog;
  config.input.check_keys = spec.key_check;
  config.topics.changelog = PassTopic(config.topics.changelog, spec);
  config.topics.lines = PassTopic(config.topics.lines, spec);
  auto pipeline = pipeline::Pipeline::Create(config, **env);
  if (!pipeline.ok()) {
    pass.status = pipeline.status();
    return pass;
  }
  pipeline::PipelineStats& stats = (*pipeline)->stats();
  absl::Status run_status;
  std::thread runner([&] { run_status = (*pipeline)->Run(); });

  CommitLatencySampler sampler(stats, partitions);
  const auto start = Clock::now();
  const double cpu_start = ProcessCpuSeconds();
  double processed_ms = -1, rss_peak = 0;
  int64_t last_report = 0;
  auto next_rss = Clock::now();
  while (true) {
    const int64_t committed = sampler.Sample();
    const double now_ms = CommitLatencySampler::NowMs();
    if (processed_ms < 0 && stats.TotalProcessed() >= total) {
      processed_ms = now_ms;
    }
    if (Clock::now() >= next_rss) {
      rss_peak = std::max(rss_peak, RssMb());
      next_rss += std::chrono::milliseconds(100);
      const int64_t s = static_cast<int64_t>(SecondsSince(start));
      if (s > last_report) {
        last_report = s;
        Progress(
            "pipeline: consumed {} processed {} committed {} rss {:.0f} MiB",
            stats.TotalConsumed(), stats.TotalProcessed(), committed, RssMb());
      }
    }
    if (committed >= static_cast<int64_t>(total)) break;
    if (SecondsSince(start) > 1800) {
      (*pipeline)->Stop();
      runner.join();
      pass.status = absl::DeadlineExceededError("pipeline: stalled");
      return pass;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const double done_ms = CommitLatencySampler::NowMs();
  // Every thread of this process, the mock brokers' included: steadier than
  // wall time on a shared machine (another tenant's load stretches wall
  // time, much less the CPU time the same work takes).
  pass.cpu_seconds = ProcessCpuSeconds() - cpu_start;
  rss_peak = std::max(rss_peak, RssMb());
  const double seconds = (done_ms - sampler.first_consume_ms()) / 1000.0;
  pass.rate = static_cast<double>(total) / seconds;
  pass.processed_rate = static_cast<double>(total) /
                        ((processed_ms - sampler.first_consume_ms()) / 1000.0);
  for (int s = 0; s < stats.shard_count; ++s) {
    pass.commits += stats.shards[s].commits.load();
    pass.commit_us += stats.shards[s].commit_us_total.load();
  }
  Progress(
      "pipeline (changelog {}, key check {}, round {}): {} events committed "
      "in {:.2f} s = {:.0f} events/s (processed at {:.0f}/s); {} tasks {} "
      "alerts {} contacts {} dead letters, {} commits; {:.2f} CPU-s = {:.0f} "
      "events per CPU-second",
      changelog ? "on" : "off", spec.key_check ? "on" : "off", spec.round,
      total, seconds, pass.rate, pass.processed_rate, stats.tasks.load(),
      stats.alerts.load(), stats.contacts.load(), stats.TotalDeadLetters(),
      pass.commits, pass.cpu_seconds, total / pass.cpu_seconds);
  (*pipeline)->Stop();
  runner.join();
  pass.shards = (*pipeline)->shard_count();
  pipeline->reset();
  if (!run_status.ok()) Progress("pipeline run: {}", run_status.ToString());
  if (own_dir) std::filesystem::remove_all(state_options.dir);
  pass.status = run_status;
  pass.p50_ms = sampler.latency().Quantile(0.50);
  pass.p99_ms = sampler.latency().Quantile(0.99);
  pass.rss_peak = rss_peak;
  return pass;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string JoinRates(const std::vector<double>& rates) {
  std::string out;
  for (double r : rates) {
    absl::StrAppend(&out, out.empty() ? "" : ",", static_cast<int64_t>(r));
  }
  return out;
}

// Partitions of the events topic: `args.partitions`, or enough for the
// mock's ~5 MiB per partition to keep every preloaded message.
int EventPartitions(const E2eArgs& args, const sim::SimulatorOptions& so) {
  if (args.partitions != 0) return args.partitions;
  sim::TrafficSimulator probe(so);
  v1::CallEvent e;
  uint64_t bytes = 0, n = 0;
  while (n < 20000 && probe.Next(&e)) {
    bytes += e.ByteSizeLong() + 13 + 40;  // key + record overhead
    ++n;
  }
  const double total = static_cast<double>(bytes) / n * args.events;
  return std::clamp(static_cast<int>(std::ceil(total / (3.0 * (1 << 20)))), 8,
                    1000);
}

// The topics of a bench run on `cluster`: `topic` with `partitions`, the
// outputs with 8, the changelogs and lines topics (CreateStateTopics).
absl::Status CreateBenchTopics(pipeline::MockCluster& cluster,
                               const std::string& topic, int partitions) {
  if (absl::Status s = cluster.CreateTopic(topic, partitions); !s.ok()) {
    return s;
  }
  for (const char* t : {"callflow.tasks", "callflow.alerts",
                        "callflow.contacts", "callflow.dlq"}) {
    if (absl::Status s = cluster.CreateTopic(t, 8); !s.ok()) return s;
  }
  return CreateStateTopics(cluster, partitions);
}

// Preload: `args.events` simulated events, keyed like `callflow produce`,
// spread by murmur2 over the partitions (as the processor checks, docs/RULES.md
// §9.3). Returns the end offset of each partition.
absl::StatusOr<std::vector<int64_t>> Preload(const E2eArgs& args,
                                             const sim::SimulatorOptions& so,
                                             const std::string& brokers,
                                             const std::string& topic,
                                             int partitions) {
  Progress("preloading {} events into {} partitions", args.events, partitions);
  std::vector<int64_t> ends(partitions, 0);
  auto producer = MakeProducer(brokers, "5", args.compression);
  rules::EngineOptions key_options;
  rules::Engine keys(key_options);
  sim::TrafficSimulator simulator(so);
  v1::CallEvent e;
  std::string payload;
  const auto start = Clock::now();
  uint64_t n = 0;
  while (n < args.events && simulator.Next(&e)) {
    const std::string key = keys.KeyFor(e);
    const int32_t p = pipeline::Murmur2Partition(key, partitions);
    e.SerializeToString(&payload);
    ProduceOne(*producer, topic, p, key, payload);
    ++ends[p];
    ++n;
    if (n % 500000 == 0) Progress("produced {}", n);
  }
  if (producer->flush(120000) != RdKafka::ERR_NO_ERROR) {
    return absl::DeadlineExceededError("preload: flush timed out");
  }
  Progress("preloaded {} events in {:.1f} s ({:.0f}/s, simulation included)", n,
           SecondsSince(start), n / SecondsSince(start));
  // The mock drops the oldest data beyond ~5 MiB per partition: check.
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0, high = 0;
    producer->query_watermark_offsets(topic, p, &low, &high, 5000);
    if (low != 0 || high != ends[p]) {
      return absl::OutOfRangeError(absl::StrFormat(
          "partition %d holds [%d, %d), expected [0, %d): use more "
          "--partitions",
          p, low, high, ends[p]));
    }
  }
  return ends;
}

// A mock cluster (one broker) with the bench topics and `args.events`
// simulated events preloaded into the events topic.
struct Backlog {
  std::unique_ptr<pipeline::MockCluster> cluster;
  std::string brokers;
  int partitions = 0;
  std::vector<int64_t> ends;  // end offset per partition
  uint64_t total = 0;
};
absl::StatusOr<Backlog> StartBacklog(const E2eArgs& args,
                                     const std::string& topic) {
  sim::SimulatorOptions so;
  so.seed = args.seed;
  so.caller_pool = args.callers;
  so.zipf_exponent = args.zipf;
  Backlog b;
  b.partitions = EventPartitions(args, so);
  auto cluster = pipeline::MockCluster::Start(1);
  if (!cluster.ok()) return cluster.status();
  b.cluster = *std::move(cluster);
  b.brokers = b.cluster->bootstraps();
  if (absl::Status s = CreateBenchTopics(*b.cluster, topic, b.partitions);
      !s.ok()) {
    return s;
  }
  auto ends = Preload(args, so, b.brokers, topic, b.partitions);
  if (!ends.ok()) return ends.status();
  b.ends = *std::move(ends);
  for (int64_t end : b.ends) b.total += static_cast<uint64_t>(end);
  return b;
}

int RunE2e(const E2eArgs& args) {
  spdlog::set_level(spdlog::level::warn);
  const std::string topic = "callflow.events";
  auto backlog = StartBacklog(args, topic);
  if (!backlog.ok()) return Fail(backlog.status().ToString());
  const std::string& brokers = backlog->brokers;
  const int partitions = backlog->partitions;
  const uint64_t total = backlog->total;

  // 2. The ceiling: a bare consumer reading everything, doing nothing.
  double raw_rate = 0;
  if (!args.skip_raw) {
    auto consumer = MakeConsumer(brokers, "bench-raw");
    AssignAll(*consumer, topic, partitions, RdKafka::Topic::OFFSET_BEGINNING);
    uint64_t got = 0, bytes = 0;
    std::optional<Clock::time_point> first;
    const auto start = Clock::now();
    while (got < total) {
      std::unique_ptr<RdKafka::Message> m(consumer->consume(100));
      if (m->err() == RdKafka::ERR_NO_ERROR) {
        if (!first) first = Clock::now();
        ++got;
        bytes += m->len();
      } else if (SecondsSince(start) > 600) {
        return Fail("raw consume: stalled");
      }
    }
    const double seconds = SecondsSince(*first);
    raw_rate = static_cast<double>(total) / seconds;
    Progress("raw consume: {} messages in {:.2f} s = {:.0f} msgs/s", total,
             seconds, raw_rate);
    consumer->close();
  }

  // 3. The full pipeline over the same messages, with the changelog and
  // the key check on and/or off, round after round.
  auto modes = [](const std::string& flag) {
    std::vector<bool> out;
    if (flag != "off") out.push_back(true);
    if (flag != "on") out.push_back(false);
    return out;
  };
  // passes[{changelog, key_check}] = one PipelinePass per round
  std::map<std::pair<bool, bool>, std::vector<PipelinePass>> passes;
  for (int round = 0; round < args.rounds; ++round) {
    std::vector<PassSpec> specs;
    for (bool changelog : modes(args.changelog)) {
      for (bool key_check : modes(args.key_check)) {
        specs.push_back({changelog, key_check, round});
      }
    }
    if (round % 2 == 1) std::reverse(specs.begin(), specs.end());
    for (const PassSpec& spec : specs) {
      PipelinePass pass =
          RunPipelinePass(args, *backlog->cluster, partitions, total, spec);
      if (!pass.status.ok()) return Fail(pass.status.ToString());
      passes[{spec.changelog, spec.key_check}].push_back(std::move(pass));
    }
  }
  // The median of the rounds' costs of turning a feature on (each round's
  // two passes ran back to back).
  auto cost = [&](std::pair<bool, bool> on, std::pair<bool, bool> off) {
    std::vector<double> costs;
    for (int r = 0; r < args.rounds; ++r) {
      costs.push_back(1.0 - passes[on][r].rate / passes[off][r].rate);
    }
    return Median(costs);
  };
  auto rates = [&](std::pair<bool, bool> mode) {
    std::vector<double> out;
    for (const PipelinePass& p : passes[mode]) out.push_back(p.rate);
    return out;
  };
  const bool changelog = args.changelog != "off";
  const bool key_check = args.key_check != "off";
  const std::vector<PipelinePass>& main_passes = passes[{changelog, key_check}];
  // The round whose rate is the median one stands for the main mode.
  std::vector<std::pair<double, size_t>> by_rate;
  for (size_t r = 0; r < main_passes.size(); ++r) {
    by_rate.push_back({main_passes[r].rate, r});
  }
  std::sort(by_rate.begin(), by_rate.end());
  const PipelinePass& main = main_passes[by_rate[by_rate.size() / 2].second];
  JsonLine json;
  if (args.changelog == "both") {
    json.Num("events_per_s_changelog_off", Median(rates({false, key_check})))
        .Num("changelog_cost", cost({true, key_check}, {false, key_check}));
  }
  if (args.key_check == "both") {
    json.Num("events_per_s_key_check_on", Median(rates({changelog, true})))
        .Num("events_per_s_key_check_off", Median(rates({changelog, false})))
        .Num("key_check_cost", cost({changelog, true}, {changelog, false}))
        .Str("key_check_on_rates", JoinRates(rates({changelog, true})))
        .Str("key_check_off_rates", JoinRates(rates({changelog, false})));
  }
  if (args.rounds > 1) json.Int("rounds", args.rounds);
  std::cout << json.Str("changelog", changelog ? "on" : "off")
                   .Str("key_check", key_check ? "on" : "off")
                   .Num("events_per_s", main.rate)
                   .Num("raw_consume_events_per_s", raw_rate)
                   .Num("ratio", raw_rate > 0 ? main.rate / raw_rate : 0)
                   .Num("p50_ms", main.p50_ms)
                   .Num("p99_ms", main.p99_ms)
                   .Num("rss_mb", main.rss_peak)
                   .Int("callers", static_cast<int64_t>(main.distinct))
                   .Int("events", static_cast<int64_t>(total))
                   .Int("partitions", partitions)
                   .Int("shards", main.shards)
                   .Num("processed_events_per_s", main.processed_rate)
                   .Num("events_per_cpu_s", total / main.cpu_seconds)
                   .Num("rss_before_pipeline_mb", main.rss_before)
                   .Int("memory_budget_mb",
                        static_cast<int64_t>(args.memory_budget_mb))
                   .Int("commit_interval_ms", args.commit_interval_ms)
                   .Int("commits", static_cast<int64_t>(main.commits))
                   .Num("commit_seconds_total", main.commit_us / 1e6)
                   .Num("zipf", args.zipf)
                   .Str("compression", args.compression)
                   .ToString()
            << std::endl;
  return 0;
}

// --------------------------------------------------------------- rss --
// `callflow run` as a process of its own over a backlog: the state is
// populated with `--callers` callers and `--events` events wait in the
// events topic (the mock cluster lives in this bench process); the child's
// VmHWM (/proc/<pid>/status) is its peak RSS, compared with its
// [state] memory_budget_mb.

struct RssArgs {
  E2eArgs e2e;
  std::string callflow = "build/processor/app/callflow";
  std::vector<std::string> kafka;  // extra [kafka] properties, KEY=VALUE
  uint32_t ring_capacity = 0;      // [pipeline] ring_capacity (0: default)
};

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
  if (consumer->committed(tps.get(), 10000) == RdKafka::ERR_NO_ERROR) {
    for (auto* tp : tps) sum += std::max<int64_t>(0, tp->offset());
  }
  consumer->close();
  return sum;
}

int RunRss(const RssArgs& rss) {
  const E2eArgs& args = rss.e2e;
  spdlog::set_level(spdlog::level::warn);
  const std::string topic = "callflow.events";
  const std::string group = "callflow-rss";
  auto backlog = StartBacklog(args, topic);
  if (!backlog.ok()) return Fail(backlog.status().ToString());
  const std::string& brokers = backlog->brokers;
  const int partitions = backlog->partitions;
  const int64_t total = static_cast<int64_t>(backlog->total);

  const bool own_dir = args.state_dir.empty();
  const std::string dir = own_dir ? MakeTempDir("rss") : args.state_dir;
  uint64_t distinct = 0;
  {
    state::StateOptions state_options;
    state_options.dir = dir + "/state";
    state_options.memory_budget_bytes = args.memory_budget_mb << 20;
    auto env = state::StateEnv::Create(state_options);
    if (!env.ok()) return Fail(env.status().ToString());
    distinct = PopulateState(**env, args, partitions);
  }
  const std::string config = dir + "/callflow.toml";
  {
    std::ofstream out(config);
    out << "[kafka]\n\"bootstrap.servers\" = \"" << brokers << "\"\n"
        << "\"session.timeout.ms\" = \"6000\"\n";
    for (const std::string& kv : rss.kafka) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos) return Fail("--kafka wants KEY=VALUE");
      out << "\"" << kv.substr(0, eq) << "\" = \"" << kv.substr(eq + 1)
          << "\"\n";
    }
    out << "[pipeline]\ngroup_id = \"" << group << "\"\n"
        << "shards = " << args.shards << "\n"
        << "commit_interval_ms = " << args.commit_interval_ms << "\n";
    if (rss.ring_capacity > 0) {
      out << "ring_capacity = " << rss.ring_capacity << "\n";
    }
    out << "[state]\ndir = \"" << dir << "/state\"\n"
        << "memory_budget_mb = " << args.memory_budget_mb << "\n"
        << "changelog = false\n";
  }

  // The child: its output to <dir>/run.log.
  const std::string log = dir + "/run.log";
  std::vector<std::string> argv_s = {rss.callflow,        "run",
                                     "--config",          config,
                                     "--metrics-address", "127.0.0.1:0"};
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Sampling starts once the child has exec'd: before that it is a copy of
  // this process and its VmHWM counts this process's pages. The pipe's
  // write end closes on exec, which ends the parent's read.
  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) return Fail("pipe2 failed");
  const auto start = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) return Fail("fork failed");
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
  Progress("callflow run pid {} over {} events, {} callers in state", pid,
           total, distinct);
  double peak = 0, first_commit_s = -1;
  int64_t committed = 0;
  auto next_check = Clock::now();
  int status = 0;
  bool exited = false;
  while (committed < total && SecondsSince(start) < 1800) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    peak = std::max(peak, ProcStatusMb(pid, "VmHWM"));
    if (Clock::now() >= next_check) {
      next_check += std::chrono::seconds(1);
      committed = GroupCommittedSum(brokers, group, topic, partitions);
      if (committed > 0 && first_commit_s < 0)
        first_commit_s = SecondsSince(start);
      Progress("committed {} of {}, rss {:.0f} MiB, peak {:.0f} MiB", committed,
               total, ProcStatusMb(pid, "VmRSS"), peak);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double seconds = SecondsSince(start);
  if (!exited) {
    peak = std::max(peak, ProcStatusMb(pid, "VmHWM"));
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
  }
  const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  Progress("callflow run exited with {} after {:.1f} s; log {}", exit_code,
           seconds, log);
  if (own_dir && exit_code == 0) std::filesystem::remove_all(dir);
  std::cout << JsonLine()
                   .Num("peak_rss_mb", peak)
                   .Int("memory_budget_mb",
                        static_cast<int64_t>(args.memory_budget_mb))
                   .Int("events", total)
                   .Int("committed", committed)
                   .Int("callers", static_cast<int64_t>(distinct))
                   .Int("partitions", partitions)
                   .Num("seconds_to_commit_all", seconds)
                   .Num("events_per_s", total / seconds)
                   .Int("exit_code", exit_code)
                   .ToString()
            << "\n";
  return committed == total && exit_code == 0 ? 0 : 1;
}

// ----------------------------------------------------------- latency --

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct LatencyArgs {
  double rate = 10000;
  double seconds = 20;
  double alarms_per_s = 20;
  int partitions = 8;
  uint32_t shards = 0;
  uint32_t commit_interval_ms = 200;
  uint64_t seed = 1;
  uint64_t callers = 30000;
  // fetch.wait.max.ms of the pipeline's and the alert reader's consumers;
  // 0 keeps librdkafka's default (500).
  int fetch_wait_ms = 0;
  // Seconds of load before measuring (first fetches, producer connections).
  double warmup_seconds = 3;
  // linger.ms of the bench's event producer. The mock cluster returns one
  // message set per partition per fetch, so tiny sets (linger 1 ms) cap the
  // pipeline's consume rate near the produce rate and queue events in the
  // broker (docs/PERFORMANCE.md).
  int linger_ms = 5;
};

int RunLatency(const LatencyArgs& args) {
  spdlog::set_level(spdlog::level::warn);
  const std::string topic = "callflow.events";
  auto cluster = pipeline::MockCluster::Start(1);
  if (!cluster.ok()) return Fail(cluster.status().ToString());
  const std::string brokers = (*cluster)->bootstraps();
  if (absl::Status s = (*cluster)->CreateTopic(topic, args.partitions);
      !s.ok()) {
    return Fail(s.ToString());
  }
  for (const char* t : {"callflow.tasks", "callflow.alerts",
                        "callflow.contacts", "callflow.dlq"}) {
    if (absl::Status s = (*cluster)->CreateTopic(t, 4); !s.ok()) {
      return Fail(s.ToString());
    }
  }
  if (absl::Status s = CreateStateTopics(**cluster, args.partitions); !s.ok()) {
    return Fail(s.ToString());
  }

  state::StateOptions state_options;
  state_options.dir = MakeTempDir("latency");
  auto env = state::StateEnv::Create(state_options);
  if (!env.ok()) return Fail(env.status().ToString());
  pipeline::PipelineConfig config;
  config.kafka = {{"bootstrap.servers", brokers},
                  {"consumer.session.timeout.ms", "6000"}};
  if (args.fetch_wait_ms > 0) {
    config.kafka["fetch.wait.max.ms"] = absl::StrCat(args.fetch_wait_ms);
  }
  config.options.shards = args.shards;
  config.options.commit_interval_ms = args.commit_interval_ms;
  config.options.group_id = "callflow-bench";
  auto pipeline = pipeline::Pipeline::Create(config, **env);
  if (!pipeline.ok()) return Fail(pipeline.status().ToString());
  pipeline::PipelineStats& stats = (*pipeline)->stats();
  absl::Status run_status;
  std::thread runner([&] { run_status = (*pipeline)->Run(); });
  Progress("waiting for the pipeline to join the group");
  const auto join_start = Clock::now();
  while (true) {
    int owned = 0;
    for (int p = 0; p < args.partitions; ++p) {
      owned += stats.partitions[p].owned.load() ? 1 : 0;
    }
    if (owned == args.partitions) break;
    if (SecondsSince(join_start) > 60) return Fail("group join timed out");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  // EMERGENCY alerts: produce time of alarm k -> its alert read back from
  // callflow.alerts by an outside consumer.
  const uint64_t max_alarms =
      static_cast<uint64_t>(args.alarms_per_s *
                            (args.seconds + args.warmup_seconds)) +
      16;
  std::vector<std::atomic<double>> alarm_sent_ms(max_alarms);
  // Wall-clock send time, to split the latency at the alert record's Kafka
  // timestamp (CreateTime, set by the pipeline's producer): bench produce ->
  // alert produced (the pipeline's part), alert produced -> read back (the
  // measuring consumer's fetch hop). Millisecond resolution.
  std::vector<std::atomic<int64_t>> alarm_sent_wall_ms(max_alarms);
  LatencyRecorder emergency;
  LatencyRecorder emergency_pipeline;
  LatencyRecorder emergency_readback;
  std::mutex emergency_mu;
  std::atomic<double> measure_from_ms{1e300};
  std::atomic<bool> stop_alerts{false};
  auto alert_consumer =
      MakeConsumer(brokers, "bench-alerts", args.fetch_wait_ms);
  AssignAll(*alert_consumer, "callflow.alerts", 4,
            RdKafka::Topic::OFFSET_BEGINNING);
  std::thread alert_reader([&] {
    v1::Alert alert;
    while (!stop_alerts.load()) {
      std::unique_ptr<RdKafka::Message> m(alert_consumer->consume(5));
      if (m->err() != RdKafka::ERR_NO_ERROR) continue;
      const double now_ms = CommitLatencySampler::NowMs();
      if (!alert.ParseFromArray(m->payload(), static_cast<int>(m->len()))) {
        continue;
      }
      constexpr std::string_view kPrefix = "emg:bench-alarm-";
      if (alert.kind() != v1::Alert::EMERGENCY ||
          alert.alert_id().rfind(kPrefix, 0) != 0) {
        continue;
      }
      const uint64_t k = std::stoull(alert.alert_id().substr(kPrefix.size()));
      if (k < max_alarms && alarm_sent_ms[k].load() >= measure_from_ms) {
        const int64_t created_ms = m->timestamp().timestamp;
        std::lock_guard lock(emergency_mu);
        emergency.Add(now_ms - alarm_sent_ms[k].load());
        emergency_pipeline.Add(
            static_cast<double>(created_ms - alarm_sent_wall_ms[k].load()));
        emergency_readback.Add(static_cast<double>(WallMs() - created_ms));
      }
    }
  });

  CommitLatencySampler sampler(stats, args.partitions);
  sampler.set_record(false);
  std::atomic<bool> stop_sampler{false};
  std::thread sampler_thread([&] {
    while (!stop_sampler.load()) {
      if (CommitLatencySampler::NowMs() >= measure_from_ms.load()) {
        sampler.set_record(true);
      }
      sampler.Sample();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });

  Progress("producing {:.0f} events/s for {:.0f} s (+{:.0f} alarms/s)",
           args.rate, args.seconds, args.alarms_per_s);
  auto producer = MakeProducer(brokers, absl::StrCat(args.linger_ms));
  rules::EngineOptions key_options;
  rules::Engine keys(key_options);
  sim::SimulatorOptions so;
  so.seed = args.seed;
  so.caller_pool = args.callers;
  sim::TrafficSimulator simulator(so);
  v1::CallEvent e;
  std::string payload;
  uint64_t sent = 0, alarms = 0;
  const auto start = Clock::now();
  measure_from_ms =
      CommitLatencySampler::NowMs() + args.warmup_seconds * 1000.0;
  while (true) {
    const double elapsed = SecondsSince(start);
    if (elapsed >= args.seconds + args.warmup_seconds) break;
    const uint64_t due = static_cast<uint64_t>(elapsed * args.rate);
    while (sent < due && simulator.Next(&e)) {
      const std::string key = keys.KeyFor(e);
      e.SerializeToString(&payload);
      ProduceOne(*producer, topic,
                 pipeline::Murmur2Partition(key, args.partitions), key,
                 payload);
      ++sent;
    }
    const uint64_t alarms_due = std::min<uint64_t>(
        static_cast<uint64_t>(elapsed * args.alarms_per_s), max_alarms);
    while (alarms < alarms_due) {
      v1::CallEvent a;
      a.set_event_id(absl::StrCat("bench-alarm-", alarms));
      rules::ToProto(simulator.now(), a.mutable_occurred_at());
      a.set_call_id(absl::StrCat("bench-alarm-call-", alarms));
      a.set_line("hotline");
      a.set_direction(v1::CallEvent::INBOUND);
      a.mutable_alarm()->set_zone("B2");
      a.mutable_alarm()->set_kind(v1::Alarm::FIRE);
      const std::string key = keys.KeyFor(a);
      a.SerializeToString(&payload);
      alarm_sent_ms[alarms].store(CommitLatencySampler::NowMs());
      alarm_sent_wall_ms[alarms].store(WallMs());
      ProduceOne(*producer, topic,
                 pipeline::Murmur2Partition(key, args.partitions), key,
                 payload);
      ++alarms;
    }
    producer->poll(0);
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  producer->flush(30000);
  const double produce_seconds = SecondsSince(start);
  Progress("sent {} events and {} alarms in {:.1f} s; draining", sent, alarms,
           produce_seconds);
  const uint64_t total = sent + alarms;
  const auto drain_start = Clock::now();
  while (SecondsSince(drain_start) < 30) {
    int64_t committed = 0;
    for (int p = 0; p < args.partitions; ++p) {
      committed += stats.partitions[p].committed_offset.load();
    }
    if (committed >= static_cast<int64_t>(total)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop_sampler = true;
  sampler_thread.join();
  stop_alerts = true;
  alert_reader.join();
  alert_consumer->close();
  (*pipeline)->Stop();
  runner.join();
  pipeline->reset();
  std::filesystem::remove_all(state_options.dir);

  LatencyRecorder& lat = sampler.latency();
  std::lock_guard lock(emergency_mu);
  Progress("latency: {} events measured, {} EMERGENCY alerts read back",
           lat.count(), emergency.count());
  std::cout << JsonLine()
                   .Num("rate", args.rate)
                   .Num("achieved_rate",
                        static_cast<double>(sent) / produce_seconds)
                   .Num("p50_ms", lat.Quantile(0.50))
                   .Num("p99_ms", lat.Quantile(0.99))
                   .Num("p999_ms", lat.Quantile(0.999))
                   .Int("events", static_cast<int64_t>(lat.count()))
                   .Num("emergency_p50_ms", emergency.Quantile(0.50))
                   .Num("emergency_p99_ms", emergency.Quantile(0.99))
                   .Num("emergency_max_ms", emergency.Quantile(1.0))
                   .Num("emergency_pipeline_p99_ms",
                        emergency_pipeline.Quantile(0.99))
                   .Num("emergency_readback_p99_ms",
                        emergency_readback.Quantile(0.99))
                   .Int("emergency_alerts",
                        static_cast<int64_t>(emergency.count()))
                   .Int("alarms_sent", static_cast<int64_t>(alarms))
                   .Int("commit_interval_ms", args.commit_interval_ms)
                   .Int("partitions", args.partitions)
                   .Int("fetch_wait_ms", args.fetch_wait_ms)
                   .Int("linger_ms", args.linger_ms)
                   .ToString()
            << std::endl;
  return run_status.ok() ? 0 : 1;
}

}  // namespace
}  // namespace callflow::bench

int main(int argc, char** argv) {
  using namespace callflow::bench;
  CLI::App app{
      "callflow-bench: throughput and latency of callflow. Progress goes to "
      "stderr; the last line of stdout is one JSON object with the results."};
  app.require_subcommand(1);

  EngineArgs engine;
  auto* e = app.add_subcommand(
      "engine", "The rules engine alone on simulated events, in-memory state");
  e->add_option("--events", engine.events, "Events to simulate and apply")
      ->capture_default_str();
  e->add_option("--callers", engine.callers, "Simulator caller pool size")
      ->capture_default_str();
  e->add_option("--seed", engine.seed, "Simulator seed")->capture_default_str();
  e->add_option("--state", engine.state,
                "hash (hash map, like the store's cache) or map "
                "(rules::InMemoryState)")
      ->check(CLI::IsMember({"hash", "map"}))
      ->capture_default_str();
  e->add_option("--repeat", engine.repeat, "Runs; the best is reported")
      ->capture_default_str();
  e->add_flag("--warm-numbers", engine.warm_numbers,
              "Normalize every caller number once before timing (steady "
              "state: the first libphonenumber parse of a number is left out)");

  E2eArgs e2e;
  auto* x = app.add_subcommand(
      "e2e",
      "Preload simulated events into the mock cluster, then read them with a "
      "bare consumer (the ceiling) and with the full pipeline");
  x->add_option("--events", e2e.events, "Events to preload")
      ->capture_default_str();
  x->add_option("--callers", e2e.callers,
                "Distinct callers: the simulator's pool, all written to the "
                "state before the run")
      ->capture_default_str();
  x->add_option("--seed", e2e.seed, "Simulator seed")->capture_default_str();
  x->add_option("--zipf", e2e.zipf,
                "Zipf exponent of the caller pool (1.0: a few callers make "
                "most calls; their partition holds most of the data)")
      ->capture_default_str();
  x->add_option("--compression", e2e.compression,
                "compression.type of the preloaded events (the mock's ~5 MiB "
                "per partition counts compressed bytes)")
      ->capture_default_str();
  x->add_option("--partitions", e2e.partitions,
                "Partitions of the events topic (0: enough for the mock's "
                "~5 MiB per partition)")
      ->capture_default_str();
  x->add_option("--shards", e2e.shards, "Shard threads (0: cores)")
      ->capture_default_str();
  x->add_option("--commit-interval-ms", e2e.commit_interval_ms,
                "Commit cycle interval")
      ->capture_default_str();
  x->add_option("--memory-budget-mb", e2e.memory_budget_mb,
                "The state's memory budget ([state] memory_budget_mb)")
      ->capture_default_str();
  x->add_option("--state-dir", e2e.state_dir,
                "State directory (default: a temp dir, removed after)");
  x->add_flag("--skip-raw", e2e.skip_raw, "Skip the bare-consumer ceiling");
  x->add_option("--changelog", e2e.changelog,
                "Pipeline passes: with the changelog (on), without (off), or "
                "both, one after the other over the same topic")
      ->check(CLI::IsMember({"on", "off", "both"}))
      ->capture_default_str();
  x->add_option(
       "--key-check", e2e.key_check,
       "Pipeline passes: with the key check of docs/RULES.md §9.3 (on), "
       "without (off, bench only), or both; key_check_cost = "
       "1 - on/off")
      ->check(CLI::IsMember({"on", "off", "both"}))
      ->capture_default_str();
  x->add_option("--rounds", e2e.rounds,
                "Repeat the passes this many rounds, alternating their order; "
                "rates and costs are medians over the rounds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  LatencyArgs latency;
  auto* l = app.add_subcommand(
      "latency", "Steady load: event -> committed latency, EMERGENCY latency");
  l->add_option("--rate", latency.rate, "Events per second")
      ->capture_default_str();
  l->add_option("--seconds", latency.seconds, "Duration of the load")
      ->capture_default_str();
  l->add_option("--alarms-per-s", latency.alarms_per_s,
                "Extra alarm events per second (EMERGENCY alerts)")
      ->capture_default_str();
  l->add_option("--partitions", latency.partitions, "Events topic partitions")
      ->capture_default_str();
  l->add_option("--shards", latency.shards, "Shard threads (0: cores)")
      ->capture_default_str();
  l->add_option("--commit-interval-ms", latency.commit_interval_ms,
                "Commit cycle interval")
      ->capture_default_str();
  l->add_option("--callers", latency.callers, "Simulator caller pool size")
      ->capture_default_str();
  l->add_option("--warmup-seconds", latency.warmup_seconds,
                "Load before measuring starts")
      ->capture_default_str();
  l->add_option("--linger-ms", latency.linger_ms,
                "linger.ms of the bench's event (and alarm) producer")
      ->capture_default_str();
  l->add_option("--fetch-wait-ms", latency.fetch_wait_ms,
                "fetch.wait.max.ms of the consumers (0: librdkafka's 500)")
      ->capture_default_str();

  RssArgs rss;
  auto* m = app.add_subcommand(
      "rss",
      "Peak RSS of `callflow run` as its own process over a backlog, "
      "against its [state] memory_budget_mb");
  m->add_option("--callflow", rss.callflow, "The callflow binary")
      ->capture_default_str();
  m->add_option("--events", rss.e2e.events, "Events waiting in the topic")
      ->capture_default_str();
  m->add_option("--callers", rss.e2e.callers,
                "Caller pool (the state is populated with it)")
      ->capture_default_str();
  m->add_option("--seed", rss.e2e.seed, "Simulator seed")
      ->capture_default_str();
  m->add_option("--partitions", rss.e2e.partitions,
                "Events partitions (0: enough for the mock's ~5 MiB each)")
      ->capture_default_str();
  m->add_option("--shards", rss.e2e.shards, "[pipeline] shards (0: cores)")
      ->capture_default_str();
  m->add_option("--memory-budget-mb", rss.e2e.memory_budget_mb,
                "[state] memory_budget_mb of the child")
      ->capture_default_str();
  m->add_option("--ring-capacity", rss.ring_capacity,
                "[pipeline] ring_capacity of the child (0: its default)");
  m->add_option("--kafka", rss.kafka,
                "Extra [kafka] property of the child, KEY=VALUE (repeatable)");
  m->add_option("--state-dir", rss.e2e.state_dir,
                "Work dir (default: a temp dir, removed after a clean run)");

  RestoreArgs restore;
  CLI::App* r = AddRestoreCommand(app, restore);
  IngestArgs ingest;
  CLI::App* i = AddIngestBench(app, &ingest);

  CLI11_PARSE(app, argc, argv);
  if (r->parsed()) return RunRestore(restore);
  if (i->parsed()) return RunIngestBench(ingest);
  if (e->parsed()) return RunEngine(engine);
  if (x->parsed()) return RunE2e(e2e);
  if (m->parsed()) return RunRss(rss);
  return RunLatency(latency);
}
