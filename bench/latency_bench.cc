#include "bench/latency_bench.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bench/alert_latency_reader.h"
#include "bench/backlog.h"
#include "bench/bench_util.h"
#include "bench/commit_latency_sampler.h"
#include "bench/kafka_clients.h"
#include "bench/pipeline_runner.h"
#include "bench/thread_cpu.h"
#include "callflow/v1/events.pb.h"
#include "processor/pipeline/internal/murmur2.h"
#include "processor/pipeline/mock_cluster.h"
#include "processor/pipeline/pipeline.h"
#include "processor/rules/engine.h"
#include "processor/rules/time.h"
#include "processor/sim/traffic_simulator.h"
#include "state/state_env.h"

namespace callflow::bench {
namespace {

using Clock = std::chrono::steady_clock;

// How long the pipeline may take to join its group and own every
// partition, and how often that is checked.
constexpr auto kGroupJoinTimeout = std::chrono::seconds(60);
constexpr auto kGroupJoinPoll = std::chrono::milliseconds(10);
// The producing loop's tick: events due by then are produced each tick.
constexpr auto kProduceTick = std::chrono::microseconds(500);
// How long the producer may take to deliver what it holds after the load.
constexpr auto kFlushTimeout = std::chrono::seconds(30);
// How long the pipeline may take to commit everything produced, how often
// that is checked, and how long the sampler and the alert reader then go on
// to see the last commits and alerts.
constexpr auto kDrainTimeout = std::chrono::seconds(30);
constexpr auto kDrainPoll = std::chrono::milliseconds(5);
constexpr auto kSettleTime = std::chrono::milliseconds(300);

// What the load produced.
struct Load {
  uint64_t sent = 0;    // simulated events
  uint64_t alarms = 0;  // alarm events (EMERGENCY alerts)
  double seconds = 0;   // warm-up and load, the final flush included
  // CPU seconds by thread name over the measured load (after the warm-up,
  // before the final flush), and how long that was.
  std::map<std::string, double> cpu;
  double measured_seconds = 0;
};

pipeline::PipelineConfig LatencyPipelineConfig(const LatencyArgs& args,
                                               const std::string& brokers) {
  pipeline::PipelineConfig config;
  config.kafka = {{"bootstrap.servers", brokers},
                  {"consumer.session.timeout.ms", kGroupSessionTimeoutMs}};
  if (args.fetch_wait_ms > 0) {
    config.kafka["fetch.wait.max.ms"] = absl::StrCat(args.fetch_wait_ms);
  }
  config.options.shards = args.shards;
  config.options.commit_interval_ms = args.commit_interval_ms;
  config.options.commit_slice_ms = args.commit_slice_ms;
  config.options.group_id = "callflow-bench";
  return config;
}

// Waits until the pipeline owns every partition; false on kGroupJoinTimeout.
bool WaitForGroupJoin(const pipeline::PipelineStats& stats, int partitions) {
  const auto start = Clock::now();
  while (true) {
    int owned = 0;
    for (int p = 0; p < partitions; ++p) {
      owned += stats.partitions[p].owned.load() ? 1 : 0;
    }
    if (owned == partitions) return true;
    if (Clock::now() - start > kGroupJoinTimeout) return false;
    std::this_thread::sleep_for(kGroupJoinPoll);
  }
}

// An alarm event (EMERGENCY alert), "bench-alarm-<k>", at `now`.
v1::CallEvent Alarm(uint64_t k, rules::TimeNs now) {
  v1::CallEvent a;
  a.set_event_id(absl::StrCat("bench-alarm-", k));
  rules::ToProto(now, a.mutable_occurred_at());
  a.set_call_id(absl::StrCat("bench-alarm-call-", k));
  a.set_line("hotline");
  a.set_direction(v1::CallEvent::INBOUND);
  a.mutable_alarm()->set_zone("B2");
  a.mutable_alarm()->set_kind(v1::Alarm::FIRE);
  return a;
}

// Produces simulated events at `args.rate` and alarms at
// `args.alarms_per_s` for the warm-up and `args.seconds`; measurement
// starts (`measure_from_ms`) after the warm-up.
Load ProduceLoad(const LatencyArgs& args, const std::string& brokers,
                 AlertLatencyReader& alerts,
                 std::atomic<double>& measure_from_ms) {
  Progress("producing {:.0f} events/s for {:.0f} s (+{:.0f} alarms/s)",
           args.rate, args.seconds, args.alarms_per_s);
  auto producer = MakeProducer(brokers, absl::StrCat(args.linger_ms));
  rules::EngineOptions key_options;
  rules::Engine keys(key_options);
  sim::SimulatorOptions so;
  so.seed = args.seed;
  so.caller_pool = args.callers;
  sim::TrafficSimulator simulator(so);
  std::string key, payload;
  auto encode = [&](const v1::CallEvent& event) {
    key = keys.KeyFor(event);
    event.SerializeToString(&payload);
  };
  auto send = [&] {
    ProduceOne(*producer, kEventsTopic,
               pipeline::Murmur2Partition(key, args.partitions), key, payload);
  };
  v1::CallEvent e;
  Load load;
  const auto start = Clock::now();
  measure_from_ms =
      CommitLatencySampler::NowMs() + args.warmup_seconds * 1000.0;
  std::optional<ThreadCpuSnapshot> cpu_from;
  double cpu_from_s = 0;
  while (true) {
    const double elapsed = SecondsSince(start);
    if (elapsed >= args.seconds + args.warmup_seconds) break;
    if (!cpu_from && elapsed >= args.warmup_seconds) {
      cpu_from = ThreadCpuSnapshot::Take();
      cpu_from_s = elapsed;
    }
    const uint64_t due = static_cast<uint64_t>(elapsed * args.rate);
    while (load.sent < due && simulator.Next(&e)) {
      encode(e);
      send();
      ++load.sent;
    }
    const uint64_t alarms_due =
        std::min<uint64_t>(static_cast<uint64_t>(elapsed * args.alarms_per_s),
                           alerts.max_alarms());
    while (load.alarms < alarms_due) {
      encode(Alarm(load.alarms, simulator.now()));
      alerts.MarkSent(load.alarms);
      send();
      ++load.alarms;
    }
    producer->poll(0);
    std::this_thread::sleep_for(kProduceTick);
  }
  if (cpu_from) {
    load.cpu = ThreadCpuSnapshot::Take().SecondsSince(*cpu_from);
    load.measured_seconds = SecondsSince(start) - cpu_from_s;
  }
  producer->flush(KafkaTimeoutMs(kFlushTimeout));
  load.seconds = SecondsSince(start);
  Progress("sent {} events and {} alarms in {:.1f} s; draining", load.sent,
           load.alarms, load.seconds);
  return load;
}

// Waits until the pipeline has committed `total` events, at most
// kDrainTimeout.
void WaitForCommits(const pipeline::PipelineStats& stats, int partitions,
                    int64_t total) {
  const auto start = Clock::now();
  while (Clock::now() - start < kDrainTimeout) {
    int64_t committed = 0;
    for (int p = 0; p < partitions; ++p) {
      committed += stats.partitions[p].committed_offset.load();
    }
    if (committed >= total) return;
    std::this_thread::sleep_for(kDrainPoll);
  }
}

void PrintLatencyResult(const LatencyArgs& args, const Load& load,
                        LatencyRecorder& lat, AlertLatencyReader& alerts) {
  LatencyRecorder& emergency = alerts.emergency();
  Progress("latency: {} events measured, {} EMERGENCY alerts read back",
           lat.count(), emergency.count());
  // Where the cores went: on this machine the load generator and the mock
  // broker share them with the pipeline.
  double cpu_total = 0;
  for (const auto& [name, seconds] : load.cpu) cpu_total += seconds;
  const double measured = std::max(load.measured_seconds, 1e-9);
  const auto mock = load.cpu.find("rdk:mock");
  const double mock_cores =
      mock == load.cpu.end() ? 0 : mock->second / measured;
  Progress("CPU over the measured load, in cores: {:.2f} in all; {}",
           cpu_total / measured, TopThreadsInCores(load.cpu, measured, 8));
  std::cout << JsonLine()
                   .Num("rate", args.rate)
                   .Num("achieved_rate",
                        static_cast<double>(load.sent) / load.seconds)
                   .Num("p50_ms", lat.Quantile(0.50))
                   .Num("p99_ms", lat.Quantile(0.99))
                   .Num("p999_ms", lat.Quantile(0.999))
                   .Int("events", static_cast<int64_t>(lat.count()))
                   .Num("emergency_p50_ms", emergency.Quantile(0.50))
                   .Num("emergency_p99_ms", emergency.Quantile(0.99))
                   .Num("emergency_max_ms", emergency.Quantile(1.0))
                   .Num("emergency_pipeline_p99_ms",
                        alerts.emergency_pipeline().Quantile(0.99))
                   .Num("emergency_readback_p99_ms",
                        alerts.emergency_readback().Quantile(0.99))
                   .Int("emergency_alerts",
                        static_cast<int64_t>(emergency.count()))
                   .Int("alarms_sent", static_cast<int64_t>(load.alarms))
                   .Num("cpu_cores", cpu_total / measured)
                   .Num("mock_broker_cores", mock_cores)
                   .Int("commit_interval_ms", args.commit_interval_ms)
                   .Int("commit_slice_ms", args.commit_slice_ms)
                   .Int("partitions", args.partitions)
                   .Int("fetch_wait_ms", args.fetch_wait_ms)
                   .Int("linger_ms", args.linger_ms)
                   .ToString()
            << std::endl;
}

}  // namespace

CLI::App* AddLatencyCommand(CLI::App& app, LatencyArgs& args) {
  auto* l = app.add_subcommand(
      "latency", "Steady load: event -> committed latency, EMERGENCY latency");
  l->add_option("--rate", args.rate, "Events per second")
      ->capture_default_str();
  l->add_option("--seconds", args.seconds, "Duration of the load")
      ->capture_default_str();
  l->add_option("--alarms-per-s", args.alarms_per_s,
                "Extra alarm events per second (EMERGENCY alerts)")
      ->capture_default_str();
  l->add_option("--partitions", args.partitions, "Events topic partitions")
      ->capture_default_str();
  l->add_option("--shards", args.shards, "Shard threads (0: cores)")
      ->capture_default_str();
  l->add_option("--commit-interval-ms", args.commit_interval_ms,
                "Commit cycle interval")
      ->capture_default_str();
  l->add_option("--commit-slice-ms", args.commit_slice_ms,
                "Longest a shard seals or writes a cycle at once (0: a "
                "partition at a time; 1000: the whole cycle)")
      ->capture_default_str();
  l->add_option("--callers", args.callers, "Simulator caller pool size")
      ->capture_default_str();
  l->add_option("--warmup-seconds", args.warmup_seconds,
                "Load before measuring starts")
      ->capture_default_str();
  l->add_option("--linger-ms", args.linger_ms,
                "linger.ms of the bench's event (and alarm) producer")
      ->capture_default_str();
  l->add_option("--fetch-wait-ms", args.fetch_wait_ms,
                "fetch.wait.max.ms of the consumers (0: librdkafka's 500)")
      ->capture_default_str();
  return l;
}

int RunLatency(const LatencyArgs& args) {
  spdlog::set_level(spdlog::level::warn);
  auto cluster = pipeline::MockCluster::Start(1);
  if (!cluster.ok()) return Fail(cluster.status().ToString());
  const std::string brokers = (*cluster)->bootstraps();
  if (absl::Status s =
          CreateBenchTopics(**cluster, kEventsTopic, args.partitions,
                            AlertLatencyReader::kAlertsPartitions);
      !s.ok()) {
    return Fail(s.ToString());
  }

  auto dir = WorkDir::Create("", "latency");
  if (!dir.ok()) return Fail(dir.status().ToString());
  state::StateOptions state_options;
  state_options.dir = dir->path();
  auto env = state::StateEnv::Create(state_options);
  if (!env.ok()) return Fail(env.status().ToString());
  auto pipeline =
      pipeline::Pipeline::Create(LatencyPipelineConfig(args, brokers), **env);
  if (!pipeline.ok()) return Fail(pipeline.status().ToString());
  pipeline::PipelineStats& stats = (*pipeline)->stats();
  PipelineRunner runner(**pipeline);
  Progress("waiting for the pipeline to join the group");
  if (!WaitForGroupJoin(stats, args.partitions)) {
    return Fail("group join timed out");
  }

  // Measuring starts after the warm-up (set by ProduceLoad).
  std::atomic<double> measure_from_ms{1e300};
  const uint64_t max_alarms =
      static_cast<uint64_t>(args.alarms_per_s *
                            (args.seconds + args.warmup_seconds)) +
      16;
  AlertLatencyReader alerts(brokers, args.fetch_wait_ms, max_alarms,
                            measure_from_ms);
  CommitLatencySampler sampler(stats, args.partitions);
  sampler.set_record(false);
  std::jthread sampler_thread([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      if (CommitLatencySampler::NowMs() >= measure_from_ms.load()) {
        sampler.set_record(true);
      }
      sampler.Sample();
      std::this_thread::sleep_for(CommitLatencySampler::kSamplePeriod);
    }
  });

  const Load load = ProduceLoad(args, brokers, alerts, measure_from_ms);
  WaitForCommits(stats, args.partitions,
                 static_cast<int64_t>(load.sent + load.alarms));
  std::this_thread::sleep_for(kSettleTime);
  sampler_thread.request_stop();
  sampler_thread.join();
  alerts.Stop();
  const absl::Status run_status = runner.Stop();
  PrintLatencyResult(args, load, sampler.latency(), alerts);
  return run_status.ok() ? 0 : 1;
}

}  // namespace callflow::bench
