// `callflow run`: the production processor against real Kafka (docs/RULES.md
// §8).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "processor/app/commands.h"
#include "processor/pipeline/stop_signals.h"
#include "processor/runtime/pipeline_runtime.h"

namespace callflow::app {
namespace {

struct RunFlags {
  std::string config;
  std::string state_dir;
  std::string metrics_address;
};

// How long past [pipeline] shutdown_timeout (or after a second signal) a
// stop may still take before the process exits without finishing it.
constexpr auto kStopGrace = std::chrono::seconds(5);

// Ends the process when a stop cannot finish. With every broker gone,
// librdkafka's consumer close waits for the group coordinator without end,
// and neither the deadline nor a second signal reaches it. Once armed, if
// the watchdog is still alive at its deadline it exits as a crash would:
// the state is as safe as after one (nothing is committed past acknowledged
// outputs), only the group is not left, so the partitions move after the
// session timeout. Destroying it (the stop finished) disarms it.
// Thread-safe.
class StopWatchdog {
 public:
  StopWatchdog() = default;
  StopWatchdog(const StopWatchdog&) = delete;
  StopWatchdog& operator=(const StopWatchdog&) = delete;
  ~StopWatchdog() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Exits the process `wait` from now unless destroyed first; an earlier
  // deadline than one already armed replaces it.
  void Arm(std::chrono::nanoseconds wait) {
    std::lock_guard lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + wait;
    if (thread_.joinable()) {
      deadline_ = std::min(deadline_, deadline);
      cv_.notify_all();
      return;
    }
    deadline_ = deadline;
    thread_ = std::thread([this] { Watch(); });
  }

 private:
  void Watch() {
    std::unique_lock lock(mu_);
    while (!done_) {
      const auto deadline = deadline_;
      if (cv_.wait_until(lock, deadline,
                         [&] { return done_ || deadline_ != deadline; })) {
        continue;  // done, or an earlier deadline
      }
      spdlog::error(
          "the stop did not finish (brokers unreachable? leaving the group "
          "needs them): exiting without leaving the group; only "
          "acknowledged cycles are committed, as after a crash");
      spdlog::default_logger()->flush();
      std::_Exit(1);
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;
};

int RunRunCommand(const RunFlags& flags) {
  // Declared before the signals: destroyed after their watcher stopped.
  StopWatchdog watchdog;
  // Before any thread starts: SIGINT/SIGTERM become a clean stop.
  pipeline::StopSignals signals(nullptr);
  auto config = LoadCommandConfig(flags.config);
  if (!config.ok()) return Fail(config.status());
  if (!config->kafka.contains("bootstrap.servers")) {
    return Fail(
        "no Kafka brokers: set [kafka] bootstrap.servers in the config or "
        "CALLFLOW_KAFKA_BOOTSTRAP_SERVERS");
  }
  if (!flags.state_dir.empty()) config->state.dir = flags.state_dir;
  if (!flags.metrics_address.empty()) {
    config->metrics_address = flags.metrics_address;
  }
  auto runtime = runtime::PipelineRuntime::Create(
      pipeline::PipelineConfig{.engine = config->engine,
                               .options = config->pipeline,
                               .topics = config->topics,
                               .input = config->input,
                               .kafka = config->kafka},
      config->state, config->metrics_address);
  if (!runtime.ok()) return Fail(runtime.status());
  // The first signal stops cleanly (within [pipeline] shutdown_timeout);
  // a second one stops at once, committing only acknowledged cycles.
  // Either way the process ends: kStopGrace after the deadline or the second
  // signal, even if the stop itself cannot finish.
  const std::chrono::nanoseconds deadline(config->pipeline.shutdown_timeout_ns);
  signals.OnStop(
      [rt = runtime->get(), deadline, &watchdog, stopping = false]() mutable {
        if (stopping) {
          spdlog::warn("second stop signal: stopping now");
          rt->Abort();
          watchdog.Arm(kStopGrace);
        } else {
          stopping = true;
          rt->Stop();
          watchdog.Arm(deadline + kStopGrace);
        }
      });
  // The port it got, which differs from the configured one for ":0".
  const std::string& address = config->metrics_address;
  std::cerr << "callflow run: group " << config->pipeline.group_id << ", topic "
            << config->topics.events << ", state in " << config->state.dir
            << ", metrics at http://" << address.substr(0, address.rfind(':'))
            << ":" << (*runtime)->metrics_port() << "/metrics" << std::endl;
  absl::Status status = (*runtime)->Run();
  if (!status.ok()) return Fail(status);
  return 0;
}

}  // namespace

void AddRunCommand(CLI::App& app, CommandRun& run) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run the stream processor against Kafka: consume the events topic in "
      "the consumer group, apply the rules with state in RocksDB, produce "
      "tasks, alerts, screen-pops and dead letters. Stops cleanly (commit, "
      "leave the group) on SIGINT/SIGTERM.");
  AddConfigFlag(*cmd, &flags->config)->required();
  cmd->add_option("--state-dir", flags->state_dir,
                  "RocksDB state directory, one database per partition in "
                  "<dir>/p-<partition> (default: [state] dir of the config, "
                  "./callflow-state)");
  cmd->add_option("--metrics-address", flags->metrics_address,
                  "serve Prometheus metrics at http://HOST:PORT/metrics "
                  "(default: [metrics] address of the config, 0.0.0.0:9464)");
  cmd->callback(
      [flags, &run] { run = [flags] { return RunRunCommand(*flags); }; });
}

}  // namespace callflow::app
