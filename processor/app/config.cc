#include "processor/app/config.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "date/tz.h"
#include "processor/rules/phone_normalizer.h"
#include "processor/rules/time.h"

#define TOML_ENABLE_FORMATTERS 0
#include "toml++/toml.h"

extern char** environ;

namespace callflow::app {
namespace {

using rules::DurationNs;

absl::Status KeyError(absl::string_view key, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("config: ", key, ": ", what));
}

absl::string_view TypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date/time";
  }
}

// One config value: a TOML node from the file, or the text of an environment
// variable (then converted to the key's type).
class RawValue {
 public:
  explicit RawValue(const toml::node& node) : node_(&node) {}
  explicit RawValue(std::string text) : text_(std::move(text)) {}

  absl::StatusOr<std::string> String() const {
    if (node_ == nullptr) return text_;
    if (auto v = node_->value_exact<std::string>()) return *v;
    return TypeError("a string");
  }

  absl::StatusOr<int64_t> Integer() const {
    int64_t v = 0;
    if (node_ == nullptr) {
      if (absl::SimpleAtoi(text_, &v)) return v;
      return TextError("an integer");
    }
    if (auto n = node_->value_exact<int64_t>()) return *n;
    return TypeError("an integer");
  }

  absl::StatusOr<double> Number() const {
    double v = 0;
    if (node_ == nullptr) {
      if (absl::SimpleAtod(text_, &v) && std::isfinite(v)) return v;
      return TextError("a number");
    }
    if (auto f = node_->value_exact<double>(); f && std::isfinite(*f)) {
      return *f;
    }
    if (auto n = node_->value_exact<int64_t>()) return static_cast<double>(*n);
    return TypeError("a finite number");
  }

  absl::StatusOr<bool> Bool() const {
    if (node_ == nullptr) {
      if (text_ == "true" || text_ == "1") return true;
      if (text_ == "false" || text_ == "0") return false;
      return TextError("true or false");
    }
    if (auto b = node_->value_exact<bool>()) return *b;
    return TypeError("true or false");
  }

  // Any scalar as text (librdkafka properties are strings).
  absl::StatusOr<std::string> Text() const {
    if (node_ == nullptr) return text_;
    if (auto s = node_->value_exact<std::string>()) return *s;
    if (auto n = node_->value_exact<int64_t>()) return absl::StrCat(*n);
    if (auto f = node_->value_exact<double>()) return absl::StrCat(*f);
    if (auto b = node_->value_exact<bool>()) return *b ? "true" : "false";
    return TypeError("a string, number or boolean");
  }

 private:
  absl::Status TypeError(absl::string_view expected) const {
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", expected, ", got ", TypeName(node_->type()),
                     " (line ", node_->source().begin.line, ")"));
  }
  absl::Status TextError(absl::string_view expected) const {
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", expected, ", got '", text_, "'"));
  }

  const toml::node* node_ = nullptr;
  std::string text_;
};

// Applies a value to one field of the Config; the error says what is wrong
// with the value (the caller adds the key).
using Setter = std::function<absl::Status(const RawValue&)>;

Setter StringKey(std::string* out) {
  return [out](const RawValue& raw) -> absl::Status {
    auto v = raw.String();
    if (!v.ok()) return v.status();
    if (v->empty()) return absl::InvalidArgumentError("must not be empty");
    *out = *std::move(v);
    return absl::OkStatus();
  };
}

// A string that may be empty (a line without a callback number).
Setter OptionalStringKey(std::string* out) {
  return [out](const RawValue& raw) -> absl::Status {
    auto v = raw.String();
    if (!v.ok()) return v.status();
    *out = *std::move(v);
    return absl::OkStatus();
  };
}

Setter BoolKey(bool* out) {
  return [out](const RawValue& raw) -> absl::Status {
    auto v = raw.Bool();
    if (!v.ok()) return v.status();
    *out = *v;
    return absl::OkStatus();
  };
}

// A duration ("90s", "4h") of at least `min`.
Setter DurationKey(int64_t* out, DurationNs min) {
  return [out, min](const RawValue& raw) -> absl::Status {
    auto text = raw.String();
    if (!text.ok()) return text.status();
    auto d = rules::ParseDuration(*text);
    if (!d.ok()) return d.status();
    if (*d < min) {
      // min is 0 or 1 ns: "more than 0s" reads better than "at least 1ns".
      return absl::InvalidArgumentError(
          min == 1
              ? absl::StrCat("must be more than 0s, got '", *text, "'")
              : absl::StrCat("must be at least ", rules::FormatDuration(min),
                             ", got '", *text, "'"));
    }
    *out = *d;
    return absl::OkStatus();
  };
}

// An integer in [min, max], stored times `scale` (megabytes as bytes).
template <typename T>
Setter IntegerKey(T* out, int64_t min, int64_t max, int64_t scale = 1) {
  return [=](const RawValue& raw) -> absl::Status {
    auto v = raw.Integer();
    if (!v.ok()) return v.status();
    if (*v < min || *v > max) {
      return absl::InvalidArgumentError(
          absl::StrCat("must be in [", min, ", ", max, "], got ", *v));
    }
    *out = static_cast<T>(*v * scale);
    return absl::OkStatus();
  };
}

Setter NumberKey(double* out, double min, double max) {
  return [=](const RawValue& raw) -> absl::Status {
    auto v = raw.Number();
    if (!v.ok()) return v.status();
    if (*v < min || *v > max) {
      return absl::InvalidArgumentError(
          absl::StrCat("must be in [", min, ", ", max, "], got ", *v));
    }
    *out = *v;
    return absl::OkStatus();
  };
}

// [input] partitioner: "murmur2" or "any".
Setter PartitionerKey(pipeline::Partitioner* out) {
  return [out](const RawValue& raw) -> absl::Status {
    auto v = raw.String();
    if (!v.ok()) return v.status();
    if (*v == "murmur2") {
      *out = pipeline::Partitioner::kMurmur2;
    } else if (*v == "any") {
      *out = pipeline::Partitioner::kAny;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("expected \"murmur2\" or \"any\", got '", *v, "'"));
    }
    return absl::OkStatus();
  };
}

// An ISO 3166 region code ("RU").
Setter RegionKey(std::string* out) {
  return [out](const RawValue& raw) -> absl::Status {
    auto v = raw.String();
    if (!v.ok()) return v.status();
    if (v->size() != 2 || !absl::ascii_isalpha((*v)[0]) ||
        !absl::ascii_isalpha((*v)[1])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "expected a two-letter region code such as \"RU\", got '", *v, "'"));
    }
    const std::string region = absl::AsciiStrToUpper(*v);
    // A well-formed but unknown code would make every national number
    // unparseable, i.e. every such caller anonymous.
    if (!rules::PhoneNormalizer::IsKnownRegion(region)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown region code '", *v,
          "' (libphonenumber has no numbering plan for it); expected an ISO "
          "3166 code such as \"RU\""));
    }
    *out = region;
    return absl::OkStatus();
  };
}

absl::Status ResolveTimeZone(rules::LineOptions* line) {
  try {
    line->tz = date::locate_zone(line->time_zone);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown time zone '", line->time_zone, "' (", e.what(), ")"));
  }
  return absl::OkStatus();
}

Setter TimeZoneKey(rules::LineOptions* line) {
  return [line](const RawValue& raw) -> absl::Status {
    auto v = raw.String();
    if (!v.ok()) return v.status();
    line->time_zone = *std::move(v);
    return ResolveTimeZone(line);
  };
}

// "HH:MM" -> minutes after midnight (24:00 allowed as an end), or -1.
int ParseClock(absl::string_view text) {
  int h = 0;
  int m = 0;
  if (text.size() != 5 || text[2] != ':' ||
      !absl::SimpleAtoi(text.substr(0, 2), &h) ||
      !absl::SimpleAtoi(text.substr(3, 2), &m) || h < 0 || h > 24 || m < 0 ||
      m > 59 || (h == 24 && m != 0)) {
    return -1;
  }
  return h * 60 + m;
}

// "HH:MM-HH:MM" in the line's local time; a closing before the opening
// means the hours run past midnight ("22:00-06:00").
Setter BusinessHoursKey(rules::LineOptions* line) {
  return [line](const RawValue& raw) -> absl::Status {
    auto v = raw.String();
    if (!v.ok()) return v.status();
    const size_t dash = v->find('-');
    const int open = dash == std::string::npos
                         ? -1
                         : ParseClock(absl::string_view(*v).substr(0, dash));
    const int close = dash == std::string::npos
                          ? -1
                          : ParseClock(absl::string_view(*v).substr(dash + 1));
    if (open < 0 || close < 0 || open == close) {
      return absl::InvalidArgumentError(absl::StrCat(
          "expected \"HH:MM-HH:MM\" with different opening and closing "
          "times, got '",
          *v, "'"));
    }
    line->business_open_minute = open;
    line->business_close_minute = close;
    return absl::OkStatus();
  };
}

// [ingest] line: "queue" | "did".
Setter IngestLineKey(ingest::LineFrom* out) {
  return [out](const RawValue& raw) -> absl::Status {
    auto v = raw.String();
    if (!v.ok()) return v.status();
    if (*v != "queue" && *v != "did") {
      return absl::InvalidArgumentError(
          absl::StrCat("expected \"queue\" or \"did\", got '", *v, "'"));
    }
    *out = *v == "did" ? ingest::LineFrom::kDid : ingest::LineFrom::kQueue;
    return absl::OkStatus();
  };
}

// CALLFLOW_ + the key upper-cased, anything but letters and digits as '_'.
std::string EnvName(absl::string_view key) {
  std::string name = "CALLFLOW_";
  for (char c : key) {
    name.push_back(absl::ascii_isalnum(c) ? absl::ascii_toupper(c) : '_');
  }
  return name;
}

constexpr int64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
constexpr int64_t kMaxI64 = std::numeric_limits<int64_t>::max();

// Every key the config accepts, with the field it sets.
class Schema {
 public:
  explicit Schema(Config* c) {
    rules::EngineOptions& e = c->engine;
    Add("default_region", RegionKey(&e.default_region));
    Add("allowed_lateness", DurationKey(&e.allowed_lateness, 0));
    Add("max_call_duration", DurationKey(&e.max_call_duration, 1));
    Add("max_event_skew", DurationKey(&e.max_event_skew, 1));
    Add("max_future_skew", DurationKey(&e.max_future_skew, 0));
    Add("dedup_window", DurationKey(&e.dedup_window, 1));
    Add("callback.first_due", DurationKey(&e.callback.first_due, 0));
    Add("callback.retry_every", DurationKey(&e.callback.retry_every, 1));
    Add("callback.max_attempts", IntegerKey(&e.callback.max_attempts, 1, 1000));
    Add("callback.overdue_after", DurationKey(&e.callback.overdue_after, 0));
    Add("callback.email_subject", StringKey(&e.callback.email_subject));
    Add("callback.email_body", StringKey(&e.callback.email_body));
    Add("reminders.before", DurationKey(&e.reminders.before, 0));
    Add("reminders.after", DurationKey(&e.reminders.after, 0));
    Add("alerts.window", DurationKey(&e.alerts.window, 1));
    Add("alerts.min_calls", IntegerKey(&e.alerts.min_calls, 1, kMaxU32));
    Add("alerts.missed_rate_threshold",
        NumberKey(&e.alerts.missed_rate_threshold, 0.0, 1.0));
    Add("billing.free_under_seconds",
        IntegerKey(&e.billing.free_under_seconds, 0, kMaxU32));
    Add("billing.access_number_surcharge_kopecks",
        IntegerKey(&e.billing.access_number_surcharge_kopecks, 0, kMaxI64));
    Add("metrics.short_abandon", DurationKey(&e.short_abandon, 0));
    Add("metrics.address", StringKey(&c->metrics_address));
    Add("state.dir", StringKey(&c->state.dir));
    Add("state.memory_budget_mb",
        IntegerKey(&c->state.memory_budget_bytes, 8, 1 << 24, 1 << 20));
    Add("state.changelog", BoolKey(&c->pipeline.changelog));
    Add("pipeline.group_id", StringKey(&c->pipeline.group_id));
    Add("pipeline.shards", IntegerKey(&c->pipeline.shards, 0, 1024));
    Add("pipeline.commit_interval_ms",
        IntegerKey(&c->pipeline.commit_interval_ms, 1, kMaxU32));
    Add("pipeline.commit_max_events",
        IntegerKey(&c->pipeline.commit_max_events, 1, kMaxU32));
    Add("pipeline.commit_slice_ms",
        IntegerKey(&c->pipeline.commit_slice_ms, 0, 1000));
    Add("pipeline.ring_capacity",
        IntegerKey(&c->pipeline.ring_capacity, 2, kMaxU32));
    Add("pipeline.allowed_lateness",
        DurationKey(&c->pipeline.allowed_lateness_ns, 0));
    Add("pipeline.idle_after", DurationKey(&c->pipeline.idle_after_ns, 0));
    Add("pipeline.shutdown_timeout",
        DurationKey(&c->pipeline.shutdown_timeout_ns, 0));
    Add("input.partitioner", PartitionerKey(&c->input.partitioner));
    Add("topics.events", StringKey(&c->topics.events));
    Add("topics.tasks", StringKey(&c->topics.tasks));
    Add("topics.alerts", StringKey(&c->topics.alerts));
    Add("topics.contacts", StringKey(&c->topics.contacts));
    Add("topics.dlq", StringKey(&c->topics.dlq));
    Add("topics.changelog", StringKey(&c->topics.changelog));
    Add("topics.lines", StringKey(&c->topics.lines));
    Add("ingest.line", IngestLineKey(&c->ingest.line));
    Add("ingest.max_idle", DurationKey(&c->ingest.max_idle_ns, 0));
  }

  void AddLine(const std::string& name, rules::LineOptions* line) {
    const std::string p = absl::StrCat("lines.", name, ".");
    Add(p + "callback_number", OptionalStringKey(&line->callback_number));
    Add(p + "tariff_inbound_kopecks",
        IntegerKey(&line->tariff_inbound_kopecks, 0, kMaxI64));
    Add(p + "tariff_outbound_kopecks",
        IntegerKey(&line->tariff_outbound_kopecks, 0, kMaxI64));
    Add(p + "time_zone", TimeZoneKey(line));
    Add(p + "business_hours", BusinessHoursKey(line));
    Add(p + "max_silence", DurationKey(&line->max_silence, 0));
  }

  const Setter* Find(absl::string_view key) const {
    auto it = keys_.find(key);
    return it == keys_.end() ? nullptr : &it->second;
  }

  // True for "callback", "lines", "lines.x": tables that hold keys.
  bool IsTable(absl::string_view key) const {
    if (key == "lines") return true;
    const std::string prefix = absl::StrCat(key, ".");
    auto it = keys_.lower_bound(prefix);
    return it != keys_.end() && absl::StartsWith(it->first, prefix);
  }

  // Environment variable -> the keys it sets (two lines may share a name).
  std::map<std::string, std::vector<std::string>> EnvNames() const {
    std::map<std::string, std::vector<std::string>> names;
    for (const auto& [key, setter] : keys_) names[EnvName(key)].push_back(key);
    return names;
  }

 private:
  void Add(std::string key, Setter setter) {
    keys_.emplace(std::move(key), std::move(setter));
  }
  std::map<std::string, Setter, std::less<>> keys_;
};

absl::Status Apply(const Schema& schema, const std::string& key,
                   const RawValue& value, absl::string_view origin = "") {
  const Setter* set = schema.Find(key);
  if (set == nullptr) {
    const bool sized_by_budget = key == "state.block_cache_mb" ||
                                 key == "state.write_buffer_mb" ||
                                 key == "state.cached_callers_per_partition";
    return absl::InvalidArgumentError(absl::StrCat(
        "config: unknown key '", key, "'", origin,
        sized_by_budget ? "; the state's memory is one budget now: set "
                          "[state] memory_budget_mb instead"
                        : ""));
  }
  absl::Status s = (*set)(value);
  if (s.ok()) return s;
  return KeyError(absl::StrCat(key, origin), s.message());
}

// [kafka]: nested tables are flattened with dots.
absl::Status AddKafka(const toml::table& table, const std::string& prefix,
                      std::map<std::string, std::string>* kafka) {
  for (auto&& [k, node] : table) {
    const std::string prop =
        prefix.empty() ? std::string(k.str())
                       : absl::StrCat(prefix, ".", std::string(k.str()));
    if (const toml::table* sub = node.as_table()) {
      if (absl::Status s = AddKafka(*sub, prop, kafka); !s.ok()) return s;
      continue;
    }
    auto text = RawValue(node).Text();
    if (!text.ok()) return KeyError("kafka." + prop, text.status().message());
    if (!kafka->emplace(prop, *text).second) {
      return KeyError("kafka." + prop, "set twice");
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyTable(const toml::table& table, const std::string& prefix,
                        const Schema& schema, Config* config) {
  for (auto&& [k, node] : table) {
    const std::string key =
        prefix.empty() ? std::string(k.str())
                       : absl::StrCat(prefix, ".", std::string(k.str()));
    const bool is_table_key = key == "kafka" || schema.IsTable(key);
    if (!is_table_key && node.is_table() && schema.Find(key) == nullptr &&
        !node.as_table()->empty()) {
      // An unknown table: report its first key ("sound.volume").
      if (absl::Status s = ApplyTable(*node.as_table(), key, schema, config);
          !s.ok()) {
        return s;
      }
      continue;
    }
    if (is_table_key != node.is_table()) {
      if (!is_table_key) return Apply(schema, key, RawValue(node));
      return KeyError(
          key, absl::StrCat("expected a table, got ", TypeName(node.type())));
    }
    absl::Status s =
        key == "kafka"
            ? AddKafka(*node.as_table(), "", &config->kafka)
            : (is_table_key ? ApplyTable(*node.as_table(), key, schema, config)
                            : Apply(schema, key, RawValue(node)));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ApplyRoot(const toml::table& root, Schema& schema,
                       Config* config) {
  if (const toml::node* lines = root.get("lines"); lines && lines->is_table()) {
    for (auto&& [name, node] : *lines->as_table()) {
      const std::string n(name.str());
      schema.AddLine(n, &config->engine.lines[n]);
    }
  }
  return ApplyTable(root, "", schema, config);
}

// Parses `text` (named `source` in errors), or the file `path` when `text`
// is null.
absl::Status ApplyToml(const std::string& path, const std::string* text,
                       Schema& schema, Config* config) {
  toml::table root;
  try {
    root = text != nullptr ? toml::parse(*text, path) : toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config: ", path, ":", e.source().begin.line, ":",
        e.source().begin.column, ": ", std::string(e.description())));
  }
  return ApplyRoot(root, schema, config);
}

absl::Status ApplyEnv(const std::map<std::string, std::string>& env,
                      const Schema& schema, Config* config) {
  constexpr absl::string_view kKafka = "CALLFLOW_KAFKA_";
  const auto names = schema.EnvNames();
  for (const auto& [var, value] : env) {
    if (!absl::StartsWith(var, "CALLFLOW_")) continue;
    if (absl::StartsWith(var, kKafka) && var.size() > kKafka.size()) {
      std::string prop = absl::AsciiStrToLower(var.substr(kKafka.size()));
      std::replace(prop.begin(), prop.end(), '_', '.');
      config->kafka[prop] = value;
      continue;
    }
    auto it = names.find(var);
    if (it == names.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("config: unknown environment variable '", var,
                       "' (CALLFLOW_<SECTION>_<KEY> must name a config key)"));
    }
    for (const std::string& key : it->second) {
      absl::Status s = Apply(schema, key, RawValue(value),
                             absl::StrCat(" (from ", var, ")"));
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

// The e-mail templates know one placeholder, {callback_number}.
absl::Status CheckPlaceholders(absl::string_view key, absl::string_view text) {
  for (size_t open = text.find('{'); open != absl::string_view::npos;
       open = text.find('{', open + 1)) {
    const size_t close = text.find('}', open);
    const absl::string_view name = close == absl::string_view::npos
                                       ? text.substr(open)
                                       : text.substr(open, close - open + 1);
    if (name != "{callback_number}") {
      return KeyError(key,
                      absl::StrCat("unknown placeholder '", name,
                                   "'; the only one is {callback_number}"));
    }
  }
  return absl::OkStatus();
}

// What no single key's check can see: the e-mail template's placeholders,
// a callback number a customer could dial, and max_silence without the
// business hours it is counted in.
absl::Status CheckCombinations(const Config& config) {
  // Short numbers exist (a 3-digit internal line); fewer digits is not one.
  constexpr int kMinCallbackDigits = 3;
  const rules::CallbackOptions& callback = config.engine.callback;
  if (absl::Status s =
          CheckPlaceholders("callback.email_subject", callback.email_subject);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckPlaceholders("callback.email_body", callback.email_body);
      !s.ok()) {
    return s;
  }
  if (auto it = config.kafka.find("bootstrap.servers");
      it != config.kafka.end() &&
      absl::StripAsciiWhitespace(it->second).empty()) {
    return KeyError("kafka.bootstrap.servers",
                    "is empty; set [kafka] bootstrap.servers (or "
                    "CALLFLOW_KAFKA_BOOTSTRAP_SERVERS) to "
                    "host:port[,host:port...]");
  }
  for (const auto& [name, line] : config.engine.lines) {
    const std::string prefix = absl::StrCat("lines.", name, ".");
    const std::string& number = line.callback_number;
    // Free text around the digits is fine ("+7 495 230-20-00 доб. 12").
    if (!number.empty() &&
        std::count_if(number.begin(), number.end(), absl::ascii_isdigit) <
            kMinCallbackDigits) {
      return KeyError(
          prefix + "callback_number",
          absl::StrCat("expected a phone number the customer can "
                       "dial (at least ",
                       kMinCallbackDigits, " digits), got '", number, "'"));
    }
    if (line.max_silence > 0 && line.business_open_minute < 0) {
      return KeyError(
          prefix + "max_silence",
          "needs business_hours: LINE_SILENT is checked only inside them "
          "(business_hours = \"00:00-24:00\" checks round the clock)");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Config> Load(const std::string& path, const std::string* text,
                            const std::map<std::string, std::string>& env) {
  Config config;
  Schema schema(&config);
  if (!path.empty() || text != nullptr) {
    if (absl::Status s = ApplyToml(path, text, schema, &config); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = ApplyEnv(env, schema, &config); !s.ok()) return s;
  for (auto& [name, line] : config.engine.lines) {
    if (line.tz != nullptr) continue;
    if (absl::Status s = ResolveTimeZone(&line); !s.ok()) {
      return KeyError(absl::StrCat("lines.", name, ".time_zone"), s.message());
    }
  }
  if (absl::Status s = CheckCombinations(config); !s.ok()) return s;
  return config;
}

}  // namespace

absl::StatusOr<Config> LoadConfig(
    const std::string& path, const std::map<std::string, std::string>& env) {
  return Load(path, nullptr, env);
}

absl::StatusOr<Config> LoadConfigText(
    const std::string& text, const std::string& source,
    const std::map<std::string, std::string>& env) {
  return Load(source, &text, env);
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    absl::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq == absl::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)),
                std::string(entry.substr(eq + 1)));
  }
  return env;
}

}  // namespace callflow::app
