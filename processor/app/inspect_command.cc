// `callflow inspect`: one caller's stored state as JSON.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

// The readable form of a field's JSON value, or nullopt to keep it.
using Readable = std::function<std::optional<std::string>(
    std::string_view field, std::string_view value)>;

// One line of ToPrettyJson's output, which puts each field on a line of its
// own: `<indent>"<field>": <value>[,]`. Rewritten as
// `<indent>"<field>": "<readable>"[,]` when `readable` has a form for it.
// Linear in the line, whatever it holds (std::regex recursed per character
// and overflowed the stack on a long string value).
void RewriteLine(std::string_view line, const Readable& readable,
                 std::string& out) {
  const size_t open = line.find_first_not_of(' ');
  const size_t close = open == std::string_view::npos || line[open] != '"'
                           ? std::string_view::npos
                           : line.find('"', open + 1);
  if (close == std::string_view::npos ||
      line.substr(close, 3) != std::string_view("\": ")) {
    out.append(line);
    return;
  }
  std::string_view value = line.substr(close + 3);
  const bool comma = !value.empty() && value.back() == ',';
  if (comma) value.remove_suffix(1);
  const std::optional<std::string> text =
      readable(line.substr(open + 1, close - open - 1), value);
  if (!text) {
    out.append(line);
    return;
  }
  out.append(line.substr(0, close + 3));
  absl::StrAppend(&out, "\"", *text, "\"", comma ? "," : "");
}

std::string RewriteFields(const std::string& json, const Readable& readable) {
  std::string out;
  out.reserve(json.size());
  size_t pos = 0;
  while (pos <= json.size()) {
    size_t end = json.find('\n', pos);
    if (end == std::string::npos) end = json.size();
    RewriteLine(std::string_view(json).substr(pos, end - pos), readable, out);
    if (end < json.size()) out.push_back('\n');
    pos = end + 1;
  }
  return out;
}

// `text` (digits only) as a number that fits `*out`.
template <typename Int>
bool ParseNumber(std::string_view text, Int* out) {
  const auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
}

// The state keeps event times as nanoseconds since the epoch; people read
// RFC 3339. Rewrites `"..._at": "<ns>"`, `"..._due": "<ns>"` and
// `"watermark": "<ns>"` (0 stays 0: unset).
std::string WithReadableTimes(const std::string& json) {
  return RewriteFields(
      json,
      [](std::string_view field,
         std::string_view value) -> std::optional<std::string> {
        const bool time = field.ends_with("_at") || field.ends_with("_due") ||
                          field == "watermark";
        if (!time || value.size() < 12 || value.front() != '"' ||
            value.back() != '"') {
          return std::nullopt;
        }
        const std::string_view digits = value.substr(1, value.size() - 2);
        if (!AllDigits(digits) || digits.front() == '0') return std::nullopt;
        int64_t ns = 0;
        if (!ParseNumber(digits, &ns)) return std::nullopt;
        return rules::FormatTime(ns);
      });
}

// The state keeps a few enums as plain numbers (state.proto); the output
// topics name them. Rewrites them by their names (an unknown number stays).
std::string WithEnumNames(const std::string& json) {
  return RewriteFields(
      json,
      [](std::string_view field,
         std::string_view number) -> std::optional<std::string> {
        int value = 0;
        if (!AllDigits(number) || !ParseNumber(number, &value)) {
          return std::nullopt;
        }
        std::string name;
        if (field == "direction") {
          name = v1::CallEvent::Direction_Name(value);
        } else if (field == "end_reason") {
          name = v1::CallEnded::EndReason_Name(value);
        } else if (field == "reminder_status" || field == "follow_up_status") {
          name = v1::Task::Status_Name(value);
        } else {
          return std::nullopt;
        }
        return name.empty() ? std::string(number) : name;
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
