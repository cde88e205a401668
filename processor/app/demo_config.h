#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "processor/app/config.h"

namespace callflow::app {

// The configuration `callflow demo` runs with when no --config is given: the
// simulator's four lines with tariffs, callback numbers, Moscow business
// hours and a silence check on the DID, and a callback policy compressed to
// fit a demo (retries 2 h apart instead of a day). `callflow demo
// --print-config` prints it.
extern const char kDemoConfigToml[];

// Where kDemoConfigToml says it comes from in errors and the demo header.
inline constexpr char kDemoConfigSource[] = "<embedded demo config>";

// LoadConfigText(kDemoConfigToml) with the CALLFLOW_* overrides in `env`.
absl::StatusOr<Config> LoadDemoConfig(
    const std::map<std::string, std::string>& env);

}  // namespace callflow::app
