// `callflow inspect`: one caller's stored state as JSON.
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "callflow/v1/events.pb.h"
#include "callflow/v1/outputs.pb.h"
#include "processor/app/commands.h"
#include "processor/codec/codec.h"
#include "processor/rules/phone_normalizer.h"
#include "processor/rules/time.h"
#include "state/partition_store.h"

namespace callflow::app {
namespace {

// Rewrites every `"<field>": <value>` that `pattern` matches (group 1 the
// field, group 2 the value) as `"<field>": "<readable(field, value)>"`.
std::string Rewrite(
    const std::string& json, const std::regex& pattern,
    const std::function<std::string(const std::string&, const std::string&)>&
        readable) {
  std::string out;
  auto begin = std::sregex_iterator(json.begin(), json.end(), pattern);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out.append(json, last, m.position(0) - last);
    out +=
        "\"" + m[1].str() + "\": \"" + readable(m[1].str(), m[2].str()) + "\"";
    last = m.position(0) + m.length(0);
  }
  out.append(json, last, std::string::npos);
  return out;
}

// The state keeps event times as nanoseconds since the epoch; people read
// RFC 3339. Rewrites `"..._at": "<ns>"`, `"..._due": "<ns>"` and
// `"watermark": "<ns>"` (0 stays 0: unset).
std::string WithReadableTimes(const std::string& json) {
  static const std::regex kTime(
      R"re("(\w*_at|\w*_due|watermark)": "([1-9][0-9]{9,})")re");
  return Rewrite(json, kTime, [](const std::string&, const std::string& ns) {
    return rules::FormatTime(std::stoll(ns));
  });
}

// The state keeps a few enums as plain numbers (state.proto); the output
// topics name them. Rewrites them by their names (an unknown number stays).
std::string WithEnumNames(const std::string& json) {
  static const std::regex kEnum(
      R"re("(direction|end_reason|reminder_status|follow_up_status)": ([0-9]+))re");
  return Rewrite(json, kEnum,
                 [](const std::string& field, const std::string& number) {
                   const int value = std::stoi(number);
                   std::string name;
                   if (field == "direction") {
                     name = v1::CallEvent::Direction_Name(value);
                   } else if (field == "end_reason") {
                     name = v1::CallEnded::EndReason_Name(value);
                   } else {
                     name = v1::Task::Status_Name(value);
                   }
                   return name.empty() ? number : name;
                 });
}

struct InspectFlags {
  std::string config;
  std::string state_dir;
  std::string caller;
};

int RunInspectCommand(const InspectFlags& flags) {
  auto config = LoadCommandConfig(flags.config);
  if (!config.ok()) return Fail(config.status());
  if (!std::filesystem::is_directory(flags.state_dir)) {
    return Fail(absl::StrCat("state dir '", flags.state_dir,
                             "' does not exist; pass the --state-dir of a "
                             "`callflow run` or `callflow replay`"));
  }
  rules::PhoneNormalizer normalizer(config->engine.default_region);
  const std::string key = normalizer.Normalize(flags.caller);
  if (key.empty()) {
    return Fail(absl::StrCat(
        "'", flags.caller,
        "' is anonymous or not a phone number (default_region ",
        config->engine.default_region,
        "); no state is kept for it. Pass the number as the PBX sent it or "
        "in E.164 (+74951234567)"));
  }
  auto record = state::InspectCaller(flags.state_dir, key);
  if (absl::IsNotFound(record.status())) {
    return Fail(absl::StrCat("no state for caller ", key, " in '",
                             flags.state_dir, "'"));
  }
  if (!record.ok()) return Fail(record.status());
  std::cout << WithEnumNames(WithReadableTimes(codec::ToPrettyJson(*record)))
            << std::endl;
  return 0;
}

}  // namespace

void AddInspectCommand(CLI::App& app, CommandRun& run) {
  auto flags = std::make_shared<InspectFlags>();
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "Print one caller's stored state (calls, open callback task, cases, "
      "customer events) as JSON. Works on a stopped or running processor's "
      "state dir.");
  cmd->add_option("--state", flags->state_dir,
                  "state directory (the --state-dir of `callflow run` or "
                  "`callflow replay`)")
      ->required();
  cmd->add_option("--caller", flags->caller,
                  "the caller's number, as the PBX sent it or in E.164; "
                  "normalized with the config's default_region")
      ->required();
  AddConfigFlag(*cmd, &flags->config);
  cmd->callback(
      [flags, &run] { run = [flags] { return RunInspectCommand(*flags); }; });
}

}  // namespace callflow::app
