// libFuzzer target: the TOML config loader (app::LoadConfigText, the code
// behind `callflow --config`). The input is the TOML file; its first line is
// also given, as one CALLFLOW_* variable chosen by the input's size, to a
// load without a file, so the environment overrides' value parsing is
// fuzzed too. Besides "no crash", a refused configuration must be an
// InvalidArgument that names what is wrong, and the engine must run a short
// day of calls on the "sales" line with any configuration that loads.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fuzz/common/event_checks.h"
#include "processor/app/config.h"
#include "processor/codec/codec.h"

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

// A missed call, its callback, and a customer event, on line "sales".
const std::vector<callflow::v1::CallEvent>& Day() {
  static const auto* const kDay = [] {
    auto* events = new std::vector<callflow::v1::CallEvent>;
    for (
        const char* json : {
            R"({"event_id":"s","occurred_at":"2024-05-01T09:00:00Z","caller":"+74951110001","line":"sales","call_id":"c1","direction":"INBOUND","started":{}})",
            R"({"event_id":"q","occurred_at":"2024-05-01T09:00:10Z","caller":"+74951110001","line":"sales","call_id":"c1","direction":"INBOUND","queued":{"queue":"q"}})",
            R"({"event_id":"e","occurred_at":"2024-05-01T09:01:00Z","caller":"+74951110001","line":"sales","call_id":"c1","direction":"INBOUND","ended":{"reason":"ABANDONED"}})",
            R"({"event_id":"r","occurred_at":"2024-05-01T09:30:00Z","caller":"+74951110002","line":"sales","customer_event":{"customer_event_id":"d","starts_at":"2024-05-02T12:00:00Z","title":"t"}})",
            R"({"event_id":"a","occurred_at":"2024-05-01T10:05:00Z","caller":"+74951110001","callback_attempt":{"task_id":"cb:+74951110001:e","result":"NO_ANSWER"}})",
        }) {
      callflow::v1::CallEvent event;
      callflow::fuzz::Check(callflow::codec::ParseEventJson(json, &event).ok(),
                            json);
      events->push_back(std::move(event));
    }
    return events;
  }();
  return *kDay;
}

void CheckLoad(const absl::StatusOr<callflow::app::Config>& config) {
  if (config.ok()) {
    callflow::fuzz::ApplyToEngine(Day(), config->engine);
    return;
  }
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
