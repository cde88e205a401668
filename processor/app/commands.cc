#include "processor/app/commands.h"

#include <iostream>

namespace callflow::app {

int Fail(absl::string_view message, int exit_code) {
  std::cerr << "callflow: " << message << std::endl;
  return exit_code;
}

int Fail(const absl::Status& status, int exit_code) {
  return Fail(status.message(), exit_code);
}

CLI::Option* AddConfigFlag(CLI::App& command, std::string* path) {
  return command
      .add_option("--config", *path,
                  "TOML config file (SPEC §7; see ops/callflow.example.toml). "
                  "Every key is optional; CALLFLOW_<SECTION>_<KEY> "
                  "environment variables override it")
      ->check(CLI::ExistingFile);
}

absl::StatusOr<Config> LoadCommandConfig(const std::string& path) {
  return LoadConfig(path, ProcessEnvironment());
}

}  // namespace callflow::app
