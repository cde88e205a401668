// `callflow demo`: the whole loop on an embedded Kafka (docs/RULES.md §8):
// librdkafka's mock cluster, the traffic simulator, a simulated dialer working
// the callback tasks, the processor and the metrics endpoint.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "processor/app/commands.h"
#include "processor/app/demo_config.h"
#include "processor/pipeline/event_producer.h"
#include "processor/pipeline/mock_cluster.h"
#include "processor/pipeline/stop_signals.h"
#include "processor/pipeline/topic_reader.h"
#include "processor/rules/kpis.h"
#include "processor/runtime/pipeline_runtime.h"
#include "processor/sim/traffic_simulator.h"
#include "processor/util/temp_dir.h"

namespace callflow::app {
namespace {

constexpr int kBrokers = 3;
constexpr int kPartitions = 8;

// Default cap on simulated seconds per wall second. The dialer reacts to a
// task after a commit cycle, a produce and a consume (0.3-1 s of wall time);
// at this speed that is 6-20 simulated minutes, well inside the hour a first
// callback attempt has (docs/RULES.md R2), and 30 s of demo cover a business
// day.
constexpr double kDefaultSimSpeed = 1200;

struct DemoFlags {
  std::string config;
  std::string duration = "30s";
  double rate = 5000;
  double sim_speed = kDefaultSimSpeed;
  bool serve = false;
  std::string metrics_address;
  std::string summary;
  bool print_config = false;
  uint64_t seed = 1;
};

// Folds what the shards emit into the KPI report and the progress line's
// "tasks open" / "alerts". Thread-safe (one mutex; demo rates are modest).
class DemoKpis : public pipeline::PipelineObserver {
 public:
  void OnFact(int, const rules::Fact& fact) override {
    std::lock_guard lock(mu_);
    kpis_.AddFact(fact);
  }
  void OnTask(int, const v1::Task& task) override {
    std::lock_guard lock(mu_);
    kpis_.AddTask(task);
    const bool open =
        task.status() == v1::Task::OPEN || task.status() == v1::Task::UPDATED;
    if (open) {
      open_tasks_[task.task_id()] = true;
    } else {
      open_tasks_.erase(task.task_id());
    }
  }
  void OnAlert(int, const v1::Alert& alert) override {
    std::lock_guard lock(mu_);
    kpis_.AddAlert(alert);
    ++alerts_;
  }
  void OnDeadLetter(int, const v1::DeadLetter&) override {
    std::lock_guard lock(mu_);
    kpis_.AddDeadLetters();
  }

  size_t open_tasks() {
    std::lock_guard lock(mu_);
    return open_tasks_.size();
  }
  uint64_t alerts() {
    std::lock_guard lock(mu_);
    return alerts_;
  }
  // Once, when the run is over: the events the simulator produced.
  void SetEventsRead(uint64_t events_read) {
    std::lock_guard lock(mu_);
    kpis_.AddEventsRead(events_read);
  }
  std::string Report() {
    std::lock_guard lock(mu_);
    return rules::FormatKpiReport(kpis_);
  }
  std::string SummaryJson() {
    std::lock_guard lock(mu_);
    return kpis_.SummaryJson();
  }

 private:
  std::mutex mu_;
  rules::KpiAccumulator kpis_;
  absl::flat_hash_map<std::string, bool> open_tasks_;
  uint64_t alerts_ = 0;
};

// The traffic side of the demo, on the calling thread: follows
// callflow.tasks for the simulated dialer and releases simulated events at
// `rate` events/s (and/or `sim_speed` simulated seconds per real second).
class TrafficLoop {
 public:
  TrafficLoop(const DemoFlags& flags, sim::TrafficSimulator& sim,
              pipeline::EventProducer& events, pipeline::TopicReader& tasks)
      : flags_(flags), sim_(sim), events_(events), tasks_(tasks) {}

  // One step: feed new tasks to the dialer, send what is due by now.
  absl::Status Step(std::chrono::steady_clock::time_point started) {
    v1::Task task;
    auto read = tasks_.Poll(
        [&](const pipeline::TopicRecord& r) {
          if (task.ParseFromString(r.value)) sim_.OnTask(task);
        },
        10000, std::chrono::milliseconds(0));
    if (!read.ok()) return read.status();
    const double elapsed = std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - started)
                               .count();
    const double budget =
        flags_.rate > 0 ? flags_.rate * elapsed : 1e18;  // events by now
    const rules::TimeNs horizon =
        flags_.sim_speed > 0
            ? first_time_ + static_cast<rules::TimeNs>(flags_.sim_speed *
                                                       elapsed * rules::kSecond)
            : INT64_MAX;
    while (sent_ < budget) {
      if (!have_next_) {
        if (!sim_.Next(&next_)) break;
        have_next_ = true;
        if (first_time_ == 0)
          first_time_ = rules::FromProto(next_.occurred_at());
      }
      if (first_time_ != 0 && rules::FromProto(next_.occurred_at()) > horizon &&
          flags_.sim_speed > 0) {
        break;
      }
      absl::Status s = events_.Send(next_);
      if (!s.ok()) return s;
      have_next_ = false;
      ++sent_;
    }
    return absl::OkStatus();
  }

  uint64_t sent() const { return sent_; }
  rules::TimeNs sim_time() const { return sim_.now(); }

 private:
  const DemoFlags& flags_;
  sim::TrafficSimulator& sim_;
  pipeline::EventProducer& events_;
  pipeline::TopicReader& tasks_;
  v1::CallEvent next_;
  bool have_next_ = false;
  rules::TimeNs first_time_ = 0;
  uint64_t sent_ = 0;
};

std::string ProgressLine(double seconds, uint64_t processed_delta,
                         const pipeline::PipelineStats& stats, DemoKpis& kpis,
                         rules::TimeNs sim_time) {
  return absl::StrFormat(
      "[%5.0fs] %7.0f events/s  processed %9d  lag %7d  tasks open %6d  "
      "alerts %5d  dlq %d  sim time %s",
      seconds, static_cast<double>(processed_delta), stats.TotalProcessed(),
      stats.TotalLag(), kpis.open_tasks(), kpis.alerts(),
      stats.TotalDeadLetters(), rules::FormatTime(sim_time));
}

// Messages of the events topic committed by the processor: state, outputs
// and offsets of everything before them are durable (fresh topics start at
// offset 0, so the sum of the committed offsets counts messages).
uint64_t CommittedMessages(const pipeline::PipelineStats& stats) {
  uint64_t n = 0;
  for (int p = 0; p < kPartitions; ++p) {
    n += std::max<int64_t>(0, stats.partitions[p].committed_offset.load());
  }
  return n;
}

int OwnedPartitions(const pipeline::PipelineStats& stats) {
  int n = 0;
  for (int p = 0; p < kPartitions; ++p) n += stats.partitions[p].owned.load();
  return n;
}

int RunDemoCommand(const DemoFlags& flags) {
  if (flags.print_config) {
    std::cout << kDemoConfigToml;
    return 0;
  }
  pipeline::StopSignals signals(nullptr);
  auto config = flags.config.empty() ? LoadDemoConfig(ProcessEnvironment())
                                     : LoadCommandConfig(flags.config);
  if (!config.ok()) return Fail(config.status());
  auto duration = rules::ParseDuration(flags.duration);
  if (!duration.ok())
    return Fail(absl::StrCat("--duration: ", duration.status().message()));
  if (!flags.metrics_address.empty()) {
    config->metrics_address = flags.metrics_address;
  }

  auto cluster = pipeline::MockCluster::Start(kBrokers);
  if (!cluster.ok()) return Fail(cluster.status());
  const pipeline::Topics& t = config->topics;
  absl::Status topics = (*cluster)->CreateCallflowTopics(t, kPartitions);
  if (!topics.ok()) return Fail(topics);
  config->kafka["bootstrap.servers"] = (*cluster)->bootstraps();

  // A fresh state dir per demo, removed at the end.
  auto state_dir = util::TempDir::Create("callflow-demo");
  if (!state_dir.ok()) return Fail(state_dir.status());
  config->state.dir = state_dir->path();

  DemoKpis kpis;
  auto runtime = runtime::PipelineRuntime::Create(
      pipeline::PipelineConfig{.engine = config->engine,
                               .options = config->pipeline,
                               .topics = config->topics,
                               .input = config->input,
                               .kafka = config->kafka},
      config->state, config->metrics_address, &kpis);
  if (!runtime.ok()) return Fail(runtime.status());
  runtime::PipelineRuntime& rt = **runtime;
  std::atomic<bool> stop{false};
  signals.OnStop([&] { stop = true; });

  absl::Status run_status;
  std::thread processor([&] { run_status = rt.Run(); });

  auto events =
      pipeline::EventProducer::Create(config->engine, config->kafka, t.events);
  auto tasks = pipeline::TopicReader::Open(config->kafka, t.tasks);
  if (!events.ok() || !tasks.ok()) {
    rt.Stop();
    processor.join();
    return Fail(!events.ok() ? events.status() : tasks.status());
  }
  sim::SimulatorOptions sim_options;
  sim_options.seed = flags.seed;
  sim_options.predict_callbacks = false;
  sim::TrafficSimulator sim(sim_options);
  TrafficLoop traffic(flags, sim, **events, **tasks);

  std::cerr << "callflow demo: config "
            << (flags.config.empty()
                    ? absl::StrCat(kDemoConfigSource,
                                   " (callflow demo --print-config shows it)")
                    : flags.config)
            << "; callback retries every "
            << rules::FormatDuration(config->engine.callback.retry_every)
            << (flags.config.empty() ? " (compressed for the demo; production "
                                       "default 24h)"
                                     : "")
            << "\ncallflow demo: event time is compressed: up to "
            << (flags.sim_speed > 0
                    ? absl::StrFormat("%.0f simulated s per wall s",
                                      flags.sim_speed)
                    : std::string("unlimited simulated s per wall s"))
            << ", " << flags.rate << " events/s at most, for " << flags.duration
            << "\ncallflow demo: mock Kafka at " << (*cluster)->bootstraps()
            << ", " << kPartitions << " partitions, metrics on port "
            << rt.metrics_port() << " (" << config->metrics_address << ")"
            << (flags.serve ? ", then serving until Ctrl-C" : "") << std::endl;
  // Traffic starts once the processor owns every partition (the first
  // group join takes about 3 s), so event time does not run ahead of it.
  const pipeline::PipelineStats& stats = rt.pipeline().stats();
  const auto join_deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!stop && std::chrono::steady_clock::now() < join_deadline &&
         OwnedPartitions(stats) < kPartitions) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto started = std::chrono::steady_clock::now();
  const auto until = started + std::chrono::nanoseconds(*duration);
  auto next_progress = started + std::chrono::seconds(1);
  uint64_t last_processed = 0;
  while (!stop && std::chrono::steady_clock::now() < until) {
    absl::Status s = traffic.Step(started);
    if (!s.ok()) {
      std::cerr << "callflow demo: " << s.message() << std::endl;
      break;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_progress) {
      const uint64_t processed = stats.TotalProcessed();
      std::cerr << ProgressLine(
                       std::chrono::duration<double>(now - started).count(),
                       processed - last_processed, stats, kpis,
                       traffic.sim_time())
                << std::endl;
      last_processed = processed;
      next_progress += std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  // Traffic stops; wait until the processor has processed and committed
  // everything produced (the KPIs and the metrics are final from then on).
  absl::Status acked = (*events)->WaitAcknowledged(std::chrono::seconds(30));
  if (!acked.ok()) std::cerr << "callflow demo: " << acked.message() << "\n";
  const auto drain_deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (CommittedMessages(stats) < traffic.sent() && !stop &&
         std::chrono::steady_clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const bool drained = CommittedMessages(stats) >= traffic.sent();
  if (!drained && !stop) {
    std::cerr << "callflow demo: " << CommittedMessages(stats) << " of "
              << traffic.sent() << " events committed after 60 s\n";
  }
  kpis.SetEventsRead(traffic.sent());
  std::cout << "\ncallflow demo: " << traffic.sent() << " events produced, "
            << stats.TotalProcessed() << " processed, "
            << stats.TotalDeadLetters() << " dead letters; simulated time "
            << rules::FormatTime(traffic.sim_time()) << "; dialer attempts "
            << sim.stats().dial_attempts << "\n\n"
            << kpis.Report() << std::flush;
  int exit_code = 0;
  if (!flags.summary.empty()) {
    std::ofstream out(flags.summary);
    out << kpis.SummaryJson() << "\n";
    out.close();
    if (!out) {
      std::cerr << "callflow: cannot write " << flags.summary << "\n";
      exit_code = 1;
    }
  }
  if (flags.serve && drained && exit_code == 0) {
    std::cerr << "callflow demo: drained, serving metrics until Ctrl-C"
              << std::endl;
    while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  rt.Stop();
  processor.join();
  runtime->reset();  // closes the state before `state_dir` removes it
  if (!run_status.ok()) return Fail(run_status);
  if (!drained && !stop) return Fail("the processor did not catch up");
  return exit_code;
}

}  // namespace

void AddDemoCommand(CLI::App& app, CommandRun& run) {
  auto flags = std::make_shared<DemoFlags>();
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "Run the whole loop in one process: an embedded Kafka (librdkafka mock "
      "cluster, 3 brokers, 8 partitions), the traffic simulator, a simulated "
      "dialer that works the callback tasks, the processor and the metrics "
      "endpoint. Prints progress each second and a KPI report at the end.");
  cmd->add_option("--duration", flags->duration,
                  "how long to produce traffic, e.g. 30s, 5m (default 30s)");
  cmd->add_option("--rate", flags->rate,
                  "simulated events produced per second of real time "
                  "(default 5000; 0 = no limit); --sim-speed caps simulated "
                  "time as well, whichever is slower wins");
  cmd->add_option("--sim-speed", flags->sim_speed,
                  "also cap simulated time at this many simulated seconds per "
                  "real second (default 1200: a business day in 30 s; 0 = no "
                  "cap). Much faster and the dialer's reaction time exceeds "
                  "the hour a first callback has: SLA breaches pile up");
  cmd->add_flag("--serve", flags->serve,
                "after --duration, stop producing, wait until everything is "
                "processed and committed, print the report, then keep serving "
                "the (now frozen) metrics until Ctrl-C");
  cmd->add_option("--summary", flags->summary,
                  "write the KPI summary JSON (the replay summary.json form) "
                  "to FILE once the demo has drained");
  cmd->add_flag("--print-config", flags->print_config,
                "print the embedded demo configuration (used when --config "
                "is absent) and exit");
  cmd->add_option("--metrics-address", flags->metrics_address,
                  "serve Prometheus metrics at http://HOST:PORT/metrics "
                  "(default 0.0.0.0:9464)");
  cmd->add_option("--seed", flags->seed, "simulator seed (default 1)");
  AddConfigFlag(*cmd, &flags->config)
      ->description(
          "TOML config (docs/RULES.md §7); default: the embedded demo "
          "configuration (see --print-config)");
  cmd->callback(
      [flags, &run] { run = [flags] { return RunDemoCommand(*flags); }; });
}

}  // namespace callflow::app
