#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "processor/app/config.h"

namespace callflow::app {

// How subcommands plug into the `callflow` binary. Each command lives in its
// own processor/app/<name>_command.cc (CMake globs *_command.cc) and defines
// one Add<Name>Command(). That function adds the subcommand and its flags to
// `app` (with help text for every flag) and, in the subcommand's callback,
// sets `run` to the function that does the work and returns the exit code.
// main.cc calls every Add*Command listed in kCommands, parses the command
// line, then calls `run`.
using CommandRun = std::function<int()>;
using AddCommandFn = void (*)(CLI::App& app, CommandRun& run);

void AddReplayCommand(CLI::App& app, CommandRun& run);
void AddInspectCommand(CLI::App& app, CommandRun& run);
void AddSimulateCommand(CLI::App& app, CommandRun& run);
void AddRunCommand(CLI::App& app, CommandRun& run);
void AddDemoCommand(CLI::App& app, CommandRun& run);
void AddProduceCommand(CLI::App& app, CommandRun& run);
void AddIngestCommand(CLI::App& app, CommandRun& run);

// Helpers shared by the commands.

// Prints "callflow: <message>" on stderr and returns `exit_code`.
int Fail(absl::string_view message, int exit_code = 1);
int Fail(const absl::Status& status, int exit_code = 1);

// A positive duration flag ("30s", "2m") as milliseconds; the error names
// `flag` ("--timeout: must be positive").
absl::StatusOr<std::chrono::milliseconds> ParsePositiveDuration(
    absl::string_view flag, const std::string& text);

// A point-in-time flag (replay --until/--now, ingest --now) in RFC 3339;
// the error names `flag` and shows an example.
absl::StatusOr<int64_t> ParseTimeFlag(absl::string_view flag,
                                      const std::string& text);

// Adds "--config FILE" (optional; defaults when absent) to `command`.
CLI::Option* AddConfigFlag(CLI::App& command, std::string* path);

// LoadConfig(path, the process environment).
absl::StatusOr<Config> LoadCommandConfig(const std::string& path);

}  // namespace callflow::app
