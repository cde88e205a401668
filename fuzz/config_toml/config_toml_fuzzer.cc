// libFuzzer target: the TOML config loader (app::LoadConfigText, the code
// behind `callflow --config`). The input is the TOML file; its first line is
// also given, as one CALLFLOW_* variable chosen by the input's size, to a
// load without a file, so the environment overrides' value parsing is
// fuzzed too. Besides "no crash", a refused configuration must be an
// InvalidArgument that names what is wrong.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "fuzz/common/event_checks.h"
#include "processor/app/config.h"

namespace {

// One variable of each value type (duration, integer, number, boolean,
// string, enum-like string, line key, librdkafka property).
constexpr std::array<const char*, 8> kVariables = {
    "CALLFLOW_CALLBACK_FIRST_DUE",
    "CALLFLOW_CALLBACK_MAX_ATTEMPTS",
    "CALLFLOW_ALERTS_MISSED_RATE_THRESHOLD",
    "CALLFLOW_STATE_CHANGELOG",
    "CALLFLOW_DEFAULT_REGION",
    "CALLFLOW_INPUT_PARTITIONER",
    "CALLFLOW_LINES_SALES_TIME_ZONE",
    "CALLFLOW_KAFKA_BOOTSTRAP_SERVERS",
};

void CheckLoad(const absl::StatusOr<callflow::app::Config>& config) {
  if (config.ok()) return;
  callflow::fuzz::Check(absl::IsInvalidArgument(config.status()),
                        "a refused config is not an InvalidArgument: " +
                            config.status().ToString());
  callflow::fuzz::Check(!config.status().message().empty(),
                        "a refused config without a message");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  CheckLoad(callflow::app::LoadConfigText(text, "fuzz.toml", {}));

  const std::string value = text.substr(0, text.find('\n'));
  const std::map<std::string, std::string> env = {
      {kVariables[size % kVariables.size()], value}};
  CheckLoad(callflow::app::LoadConfigText(
      "[lines.sales]\ncallback_number = \"+74950000000\"\n", "fuzz.toml", env));
  return 0;
}
