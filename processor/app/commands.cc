#include "processor/app/commands.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "processor/rules/time.h"

namespace callflow::app {

int Fail(absl::string_view message, int exit_code) {
  std::cerr << "callflow: " << message << std::endl;
  return exit_code;
}

int Fail(const absl::Status& status, int exit_code) {
  return Fail(status.message(), exit_code);
}

absl::StatusOr<std::chrono::milliseconds> ParsePositiveDuration(
    absl::string_view flag, const std::string& text) {
  auto d = rules::ParseDuration(text);
  if (!d.ok() || *d <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": ", d.ok() ? "must be positive" : d.status().message()));
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::nanoseconds(*d));
}

absl::StatusOr<int64_t> ParseTimeFlag(absl::string_view flag,
                                      const std::string& text) {
  auto time = rules::ParseTime(text);
  if (!time.ok()) {
    // ParseTime's message already says what a good time looks like.
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", time.status().message()));
  }
  return *time;
}

CLI::Option* AddConfigFlag(CLI::App& command, std::string* path) {
  return command
      .add_option(
          "--config", *path,
          "TOML config file (docs/RULES.md §7; see ops/callflow.example.toml). "
          "Every key is optional; CALLFLOW_<SECTION>_<KEY> "
          "environment variables override it")
      ->check(CLI::ExistingFile);
}

absl::StatusOr<Config> LoadCommandConfig(const std::string& path) {
  return LoadConfig(path, ProcessEnvironment());
}

}  // namespace callflow::app
