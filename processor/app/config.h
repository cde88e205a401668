#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "processor/ingest/ingest_options.h"
#include "processor/pipeline/pipeline_options.h"
#include "processor/rules/options.h"
#include "state/state_env.h"

namespace callflow::app {

// Everything `callflow` reads from its TOML file and CALLFLOW_* variables
// (docs/RULES.md §7; ops/callflow.example.toml lists every key with its
// default). Plain data, loaded and validated once at start-up;
// thread-compatible.
struct Config {
  rules::EngineOptions engine;
  state::StateOptions state;
  pipeline::Topics topics;
  pipeline::PipelineOptions pipeline;
  // [ingest]: `callflow ingest` (line, max_idle).
  ingest::IngestOptions ingest;
  pipeline::InputOptions input;  // [input]
  // librdkafka properties ([kafka], nested tables flattened with dots).
  std::map<std::string, std::string> kafka;
  // [metrics] address. Default "0.0.0.0:9464".
  std::string metrics_address = "0.0.0.0:9464";
};

// Loads `path` ("" = defaults only), then applies the overrides in `env`:
// CALLFLOW_<KEY> for top-level keys (CALLFLOW_DEFAULT_REGION),
// CALLFLOW_<SECTION>_<KEY> for section keys (CALLFLOW_CALLBACK_FIRST_DUE),
// CALLFLOW_LINES_<NAME>_<KEY> for the lines named in the file (NAME upper
// case, other characters than letters and digits as '_'), and
// CALLFLOW_KAFKA_<PROP> for librdkafka properties ('_' becomes '.').
// An unknown key or CALLFLOW_* variable, or a bad value, is an
// InvalidArgument naming it ("config: unknown key 'callback.fist_due'",
// "config: callback.first_due: ..."). Line time zones are resolved here.
absl::StatusOr<Config> LoadConfig(
    const std::string& path, const std::map<std::string, std::string>& env);

// LoadConfig from TOML `text` instead of a file; `source` names it in
// errors (the embedded demo configuration).
absl::StatusOr<Config> LoadConfigText(
    const std::string& text, const std::string& source,
    const std::map<std::string, std::string>& env);

// The process environment as a map (for LoadConfig).
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace callflow::app
