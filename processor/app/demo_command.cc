// `callflow demo`: the whole loop on an embedded Kafka (docs/RULES.md §8):
// librdkafka's mock cluster, the traffic simulator, a simulated dialer working
// the callback tasks, the processor and the metrics endpoint.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
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
#include "processor/util/thread_name.h"

namespace callflow::app {
namespace {

using Clock = std::chrono::steady_clock;

// Brokers of the embedded (mock) Kafka cluster.
constexpr int kBrokers = 3;
// Partitions of every callflow topic on it.
constexpr int kPartitions = 8;

// Default of --duration: how long traffic is produced.
constexpr char kDefaultDuration[] = "30s";
// Default of --rate: simulated events produced per wall second.
constexpr double kDefaultRate = 5000;
// Default cap on simulated seconds per wall second. The dialer reacts to a
// task after a commit cycle, a produce and a consume (0.3-1 s of wall time);
// at this speed that is 6-20 simulated minutes, well inside the hour a first
// callback attempt has (docs/RULES.md R2), and 30 s of demo cover a business
// day.
constexpr double kDefaultSimSpeed = 1200;
// Default of --seed: the simulator's seed.
constexpr uint64_t kDefaultSeed = 1;

// Event budget of a step when --rate is 0 (no limit): never reached.
constexpr double kUnlimitedEvents = 1e18;
// Most task records a traffic step reads for the dialer.
constexpr size_t kMaxTasksPerStep = 10000;
// A traffic step reads only the tasks already fetched: it never waits.
constexpr auto kTaskPollTimeout = std::chrono::milliseconds(0);
// Pause between two traffic steps.
constexpr auto kTrafficStepInterval = std::chrono::milliseconds(5);
// How often a progress line is printed while traffic runs.
constexpr auto kProgressInterval = std::chrono::seconds(1);
// How long traffic waits for the processor to own every partition (the first
// group join takes about 3 s), and how often it looks.
constexpr auto kPartitionsTimeout = std::chrono::seconds(30);
constexpr auto kPartitionsPollInterval = std::chrono::milliseconds(20);
// How long the end of traffic waits for the broker to acknowledge every
// produced event.
constexpr auto kProduceAckTimeout = std::chrono::seconds(30);
// How long the processor has to commit every produced event once traffic
// stopped, and how often that is checked.
constexpr auto kDrainTimeout = std::chrono::seconds(60);
constexpr auto kDrainPollInterval = std::chrono::milliseconds(50);
// How often --serve checks for Ctrl-C.
constexpr auto kServePollInterval = std::chrono::milliseconds(100);

struct DemoFlags {
  std::string config;
  std::string duration = kDefaultDuration;
  double rate = kDefaultRate;
  double sim_speed = kDefaultSimSpeed;
  bool serve = false;
  std::string metrics_address;
  std::string summary;
  bool print_config = false;
  uint64_t seed = kDefaultSeed;
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
  absl::Status Step(Clock::time_point started) {
    v1::Task task;
    auto read = tasks_.Poll(
        [&](const pipeline::TopicRecord& r) {
          if (task.ParseFromString(r.value)) sim_.OnTask(task);
        },
        kMaxTasksPerStep, kTaskPollTimeout);
    if (!read.ok()) return read.status();
    const double elapsed =
        std::chrono::duration<double>(Clock::now() - started).count();
    // Events due by now.
    const double budget =
        flags_.rate > 0 ? flags_.rate * elapsed : kUnlimitedEvents;
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

// One `callflow demo` run, split into the phases RunDemoCommand calls in
// order; each phase is a method, the members are what they hand on. Members
// are declared in the order they are built, so they go in reverse: the
// traffic side first, then the processor (its state before the state dir),
// the cluster last.
//
// Thread-safety: the phases run on the command's thread; the processor runs
// on its own thread and the stop flag is set by the signal watcher.
class DemoRun {
 public:
  explicit DemoRun(const DemoFlags& flags) : flags_(flags) {}
  ~DemoRun() { StopProcessor(); }
  DemoRun(const DemoRun&) = delete;
  DemoRun& operator=(const DemoRun&) = delete;

  // Loads the configuration (--config, else the embedded demo one) and the
  // flags that change it (--metrics-address); `duration` is --duration's.
  absl::Status Configure(rules::DurationNs duration) {
    auto config = flags_.config.empty() ? LoadDemoConfig(ProcessEnvironment())
                                        : LoadCommandConfig(flags_.config);
    if (!config.ok()) return config.status();
    config_ = *std::move(config);
    duration_ = duration;
    if (!flags_.metrics_address.empty()) {
      config_.metrics_address = flags_.metrics_address;
    }
    return absl::OkStatus();
  }

  // Starts the embedded Kafka with the callflow topics and points the
  // configuration at it.
  absl::Status StartCluster() {
    auto cluster = pipeline::MockCluster::Start(kBrokers);
    if (!cluster.ok()) return cluster.status();
    cluster_ = *std::move(cluster);
    absl::Status topics =
        cluster_->CreateCallflowTopics(config_.topics, kPartitions);
    if (!topics.ok()) return topics;
    config_.kafka["bootstrap.servers"] = cluster_->bootstraps();
    return absl::OkStatus();
  }

  // Runs the processor (pipeline and metrics endpoint) on its own thread,
  // over a fresh state dir that is removed at the end. From here on
  // SIGINT/SIGTERM stop the demo.
  absl::Status StartProcessor() {
    auto state_dir = util::TempDir::Create("callflow-demo");
    if (!state_dir.ok()) return state_dir.status();
    state_dir_.emplace(*std::move(state_dir));
    config_.state.dir = state_dir_->path();
    auto runtime = runtime::PipelineRuntime::Create(
        pipeline::PipelineConfig{.engine = config_.engine,
                                 .options = config_.pipeline,
                                 .topics = config_.topics,
                                 .input = config_.input,
                                 .kafka = config_.kafka},
        config_.state, config_.metrics_address, &kpis_);
    if (!runtime.ok()) return runtime.status();
    runtime_ = *std::move(runtime);
    signals_.OnStop([this] { stop_ = true; });
    processor_ = std::thread([this] {
      util::NameThisThread("cf-poll");
      run_status_ = runtime_->Run();
    });
    return absl::OkStatus();
  }

  // Connects the simulator to Kafka: a producer of its events and a reader
  // of the tasks its dialer works.
  absl::Status ConnectTraffic() {
    const pipeline::Topics& t = config_.topics;
    auto events = pipeline::EventProducer::Create(config_.engine, config_.kafka,
                                                  t.events);
    auto tasks = pipeline::TopicReader::Open(config_.kafka, t.tasks);
    if (!events.ok()) return events.status();
    if (!tasks.ok()) return tasks.status();
    events_ = *std::move(events);
    tasks_ = *std::move(tasks);
    sim::SimulatorOptions sim_options;
    sim_options.seed = flags_.seed;
    sim_options.predict_callbacks = false;
    sim_.emplace(sim_options);
    traffic_.emplace(flags_, *sim_, *events_, *tasks_);
    return absl::OkStatus();
  }

  // Says on stderr what runs: the configuration, the time compression, the
  // cluster and the metrics port.
  void PrintBanner() const {
    std::cerr << "callflow demo: config "
              << (flags_.config.empty()
                      ? absl::StrCat(kDemoConfigSource,
                                     " (callflow demo --print-config shows it)")
                      : flags_.config)
              << "; callback retries every "
              << rules::FormatDuration(config_.engine.callback.retry_every)
              << (flags_.config.empty()
                      ? " (compressed for the demo; production "
                        "default 24h)"
                      : "")
              << "\ncallflow demo: event time is compressed: up to "
              << (flags_.sim_speed > 0
                      ? absl::StrFormat("%.0f simulated s per wall s",
                                        flags_.sim_speed)
                      : std::string("unlimited simulated s per wall s"))
              << ", " << flags_.rate << " events/s at most, for "
              << flags_.duration << "\ncallflow demo: mock Kafka at "
              << cluster_->bootstraps() << ", " << kPartitions
              << " partitions, metrics on port " << runtime_->metrics_port()
              << " (" << config_.metrics_address << ")"
              << (flags_.serve ? ", then serving until Ctrl-C" : "")
              << std::endl;
  }

  // Traffic starts once the processor owns every partition, so event time
  // does not run ahead of it.
  void WaitForPartitions() {
    const auto deadline = Clock::now() + kPartitionsTimeout;
    while (!stop_ && Clock::now() < deadline &&
           OwnedPartitions(stats()) < kPartitions) {
      std::this_thread::sleep_for(kPartitionsPollInterval);
    }
  }

  // Produces simulated traffic for --duration (or until stopped), printing a
  // progress line each second.
  void ProduceTraffic() {
    const auto started = Clock::now();
    const auto until = started + std::chrono::nanoseconds(duration_);
    auto next_progress = started + kProgressInterval;
    uint64_t last_processed = 0;
    while (!stop_ && Clock::now() < until) {
      absl::Status s = traffic_->Step(started);
      if (!s.ok()) {
        std::cerr << "callflow demo: " << s.message() << std::endl;
        break;
      }
      const auto now = Clock::now();
      if (now >= next_progress) {
        const uint64_t processed = stats().TotalProcessed();
        std::cerr << ProgressLine(
                         std::chrono::duration<double>(now - started).count(),
                         processed - last_processed, stats(), kpis_,
                         traffic_->sim_time())
                  << std::endl;
        last_processed = processed;
        next_progress += kProgressInterval;
      }
      std::this_thread::sleep_for(kTrafficStepInterval);
    }
  }

  // Traffic has stopped: waits until the processor has processed and
  // committed everything produced (the KPIs and the metrics are final from
  // then on). Returns whether it has.
  bool WaitForDrain() {
    absl::Status acked = events_->WaitAcknowledged(kProduceAckTimeout);
    if (!acked.ok()) std::cerr << "callflow demo: " << acked.message() << "\n";
    const auto deadline = Clock::now() + kDrainTimeout;
    while (CommittedMessages(stats()) < traffic_->sent() && !stop_ &&
           Clock::now() < deadline) {
      std::this_thread::sleep_for(kDrainPollInterval);
    }
    const bool drained = CommittedMessages(stats()) >= traffic_->sent();
    if (!drained && !stop_) {
      std::cerr << "callflow demo: " << CommittedMessages(stats()) << " of "
                << traffic_->sent() << " events committed after "
                << kDrainTimeout.count() << " s\n";
    }
    return drained;
  }

  // Prints the run's totals and the KPI report on stdout.
  void PrintReport() {
    kpis_.SetEventsRead(traffic_->sent());
    std::cout << "\ncallflow demo: " << traffic_->sent() << " events produced, "
              << stats().TotalProcessed() << " processed, "
              << stats().TotalDeadLetters() << " dead letters; simulated time "
              << rules::FormatTime(traffic_->sim_time()) << "; dialer attempts "
              << sim_->stats().dial_attempts << "\n\n"
              << kpis_.Report() << std::flush;
  }

  // Writes the KPI summary JSON to --summary, if given. False when it could
  // not (said on stderr).
  bool WriteSummary() {
    if (flags_.summary.empty()) return true;
    std::ofstream out(flags_.summary);
    out << kpis_.SummaryJson() << "\n";
    out.close();
    if (!out) {
      std::cerr << "callflow: cannot write " << flags_.summary << "\n";
      return false;
    }
    return true;
  }

  // --serve: keeps the (now frozen) metrics endpoint up until Ctrl-C.
  void ServeUntilStopped() {
    std::cerr << "callflow demo: drained, serving metrics until Ctrl-C"
              << std::endl;
    while (!stop_) std::this_thread::sleep_for(kServePollInterval);
  }

  // Stops the processor and closes its state, before the state dir is
  // removed with this object.
  void Shutdown() {
    StopProcessor();
    runtime_.reset();
  }

  // The command's exit code once Shutdown() is done: the processor's error
  // first, then a drain that did not finish (unless stopped), then the
  // summary file.
  int ExitCode(bool drained, bool summary_written) const {
    if (!run_status_.ok()) return Fail(run_status_);
    if (!drained && !stop_) return Fail("the processor did not catch up");
    return summary_written ? 0 : 1;
  }

 private:
  const pipeline::PipelineStats& stats() const {
    return runtime_->pipeline().stats();
  }

  // Stops the processor's thread, if it runs, and waits for it.
  void StopProcessor() {
    if (!processor_.joinable()) return;
    runtime_->Stop();
    processor_.join();
  }

  const DemoFlags& flags_;
  std::atomic<bool> stop_{false};
  // Before any thread starts: it blocks SIGINT/SIGTERM for every later one.
  pipeline::StopSignals signals_{nullptr};
  Config config_;
  rules::DurationNs duration_ = 0;
  std::unique_ptr<pipeline::MockCluster> cluster_;
  std::optional<util::TempDir> state_dir_;
  DemoKpis kpis_;  // observes the processor: outlives it
  std::unique_ptr<runtime::PipelineRuntime> runtime_;
  absl::Status run_status_;  // the processor's, once its thread has ended
  std::thread processor_;
  std::unique_ptr<pipeline::EventProducer> events_;
  std::unique_ptr<pipeline::TopicReader> tasks_;
  std::optional<sim::TrafficSimulator> sim_;
  std::optional<TrafficLoop> traffic_;
};

// `callflow demo`: the phases of a run, in order.
int RunDemoCommand(const DemoFlags& flags) {
  if (flags.print_config) {
    std::cout << kDemoConfigToml;
    return 0;
  }
  // A flag value that does not parse is a usage error (exit 2), as in the
  // other commands.
  auto duration = rules::ParseDuration(flags.duration);
  if (!duration.ok()) {
    return Fail(absl::StrCat("--duration: ", duration.status().message()), 2);
  }
  DemoRun demo(flags);
  if (absl::Status s = demo.Configure(*duration); !s.ok()) return Fail(s);
  if (absl::Status s = demo.StartCluster(); !s.ok()) return Fail(s);
  if (absl::Status s = demo.StartProcessor(); !s.ok()) return Fail(s);
  if (absl::Status s = demo.ConnectTraffic(); !s.ok()) {
    demo.Shutdown();
    return Fail(s);
  }
  demo.PrintBanner();
  demo.WaitForPartitions();
  demo.ProduceTraffic();
  const bool drained = demo.WaitForDrain();
  demo.PrintReport();
  const bool summary_written = demo.WriteSummary();
  if (flags.serve && drained && summary_written) demo.ServeUntilStopped();
  demo.Shutdown();
  return demo.ExitCode(drained, summary_written);
}

}  // namespace

void AddDemoCommand(CLI::App& app, CommandRun& run) {
  auto flags = std::make_shared<DemoFlags>();
  CLI::App* cmd = app.add_subcommand(
      "demo",
      absl::StrCat(
          "Run the whole loop in one process: an embedded Kafka (librdkafka "
          "mock cluster, ",
          kBrokers, " brokers, ", kPartitions,
          " partitions), the traffic simulator, a simulated dialer that works "
          "the callback tasks, the processor and the metrics endpoint. Prints "
          "progress each second and a KPI report at the end."));
  cmd->add_option("--duration", flags->duration,
                  absl::StrCat("how long to produce traffic, e.g. 30s, 5m "
                               "(default ",
                               kDefaultDuration, ")"));
  cmd->add_option("--rate", flags->rate,
                  absl::StrCat("simulated events produced per second of real "
                               "time (default ",
                               kDefaultRate,
                               "; 0 = no limit); --sim-speed caps simulated "
                               "time as well, whichever is slower wins"))
      ->check(CLI::NonNegativeNumber);
  cmd->add_option(
         "--sim-speed", flags->sim_speed,
         absl::StrCat("also cap simulated time at this many simulated seconds "
                      "per real second (default ",
                      kDefaultSimSpeed,
                      ": a business day in 30 s; 0 = no cap). Much faster and "
                      "the dialer's reaction time exceeds the hour a first "
                      "callback has: SLA breaches pile up"))
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--serve", flags->serve,
                "after --duration, stop producing, wait until everything is "
                "processed and committed, print the report, then keep serving "
                "the (now frozen) metrics until Ctrl-C");
  cmd->add_option("--summary", flags->summary,
                  "write the KPI summary JSON (the replay summary.json form) "
                  "to FILE once the demo has drained");
  CLI::Option* print_config = cmd->add_flag(
      "--print-config", flags->print_config,
      "print the embedded demo configuration (used when --config is absent) "
      "and exit");
  cmd->add_option("--metrics-address", flags->metrics_address,
                  "serve Prometheus metrics at http://HOST:PORT/metrics "
                  "(default 0.0.0.0:9464)");
  cmd->add_option("--seed", flags->seed,
                  absl::StrCat("simulator seed (default ", kDefaultSeed, ")"))
      ->check(CLI::NonNegativeNumber);
  AddConfigFlag(*cmd, &flags->config)
      ->description(
          "TOML config (docs/RULES.md §7); default: the embedded demo "
          "configuration (see --print-config)")
      ->excludes(print_config);
  cmd->callback(
      [flags, &run] { run = [flags] { return RunDemoCommand(*flags); }; });
}

}  // namespace callflow::app
