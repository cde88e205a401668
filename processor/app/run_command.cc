// `callflow run`: the production processor against real Kafka (docs/RULES.md
// §8).
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <string>

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

int RunRunCommand(const RunFlags& flags) {
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
  signals.OnStop([rt = runtime->get(), stopping = false]() mutable {
    if (stopping) {
      spdlog::warn("second stop signal: stopping now");
      rt->Abort();
    } else {
      stopping = true;
      rt->Stop();
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
