// The `callflow` binary: one subcommand per processor/app/<name>_command.cc.
#include "CLI/CLI.hpp"
#include "processor/app/commands.h"
#include "processor/app/protobuf_log.h"

namespace {

using callflow::app::AddCommandFn;

// Every subcommand of `callflow`, in --help order.
constexpr AddCommandFn kCommands[] = {
    callflow::app::AddReplayCommand,   callflow::app::AddInspectCommand,
    callflow::app::AddSimulateCommand, callflow::app::AddRunCommand,
    callflow::app::AddDemoCommand,     callflow::app::AddProduceCommand,
    callflow::app::AddIngestCommand,
};

}  // namespace

int main(int argc, char** argv) {
  callflow::app::InstallRateLimitedProtobufLog();
  CLI::App app(
      "callflow: call-event stream processor (Kafka in; callbacks, alerts, "
      "screen-pops and KPIs out). Run `callflow <command> --help` for the "
      "flags of a command.",
      "callflow");
  app.require_subcommand(1);
  callflow::app::CommandRun run;
  for (AddCommandFn add : kCommands) add(app, run);
  CLI11_PARSE(app, argc, argv);
  return run ? run() : 1;
}
