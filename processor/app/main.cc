// The `callflow` binary: one subcommand per processor/app/<name>_command.cc.
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "processor/app/commands.h"
#include "processor/app/protobuf_log.h"
#include "processor/app/stderr_log.h"

namespace {

using callflow::app::AddCommandFn;

// Every subcommand of `callflow`, in --help order.
constexpr AddCommandFn kCommands[] = {
    callflow::app::AddReplayCommand,   callflow::app::AddInspectCommand,
    callflow::app::AddSimulateCommand, callflow::app::AddRunCommand,
    callflow::app::AddDemoCommand,     callflow::app::AddProduceCommand,
    callflow::app::AddIngestCommand,
};

// "" when argv names a command (or only flags), else a message naming the
// word: CLI11 would answer "A subcommand is required" for a typo like `rnu`.
std::string UnknownCommand(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return "";
  const std::string word = argv[1];
  std::string names;
  for (const CLI::App* command : app.get_subcommands({})) {
    if (command->get_name() == word) return "";
    names += (names.empty() ? "" : ", ") + command->get_name();
  }
  return "callflow: unknown command '" + word + "'; the commands are " + names +
         " (callflow --help)";
}

}  // namespace

int main(int argc, char** argv) {
  callflow::app::SendLogsToStderr();
  callflow::app::InstallRateLimitedProtobufLog();
  CLI::App app(
      "callflow: call-event stream processor (Kafka in; callbacks, alerts, "
      "screen-pops and KPIs out). Run `callflow <command> --help` for the "
      "flags of a command.",
      "callflow");
  app.require_subcommand(1);
  app.set_version_flag("--version", "callflow " CALLFLOW_VERSION);
  callflow::app::CommandRun run;
  for (AddCommandFn add : kCommands) add(app, run);
  if (const std::string unknown = UnknownCommand(app, argc, argv);
      !unknown.empty()) {
    std::cerr << unknown << std::endl;
    return 2;
  }
  CLI11_PARSE(app, argc, argv);
  return run ? run() : 1;
}
