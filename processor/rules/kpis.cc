// Folded from rules::Fact; see kpis.h.
#include "processor/rules/kpis.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "callflow/v1/events.pb.h"

namespace callflow::rules {
namespace {

double Ratio(uint64_t num, uint64_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

// Shortest text that reads back as the same double.
std::string FormatDouble(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : "0";
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof(esc), "\\u%04x", static_cast<unsigned>(c));
      out->append(esc);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

// A JSON value for the summary: a number literal or an object whose keys are
// kept sorted, so the text is deterministic.
struct JsonValue {
  std::string number;
  std::map<std::string, JsonValue> object;
  bool is_object = false;

  static JsonValue Number(uint64_t v) { return {absl::StrCat(v), {}, false}; }
  static JsonValue Number(int64_t v) { return {absl::StrCat(v), {}, false}; }
  static JsonValue Number(double v) { return {FormatDouble(v), {}, false}; }
  JsonValue& operator[](const std::string& key) {
    is_object = true;
    return object[key];
  }
  // The member `key`, an object (printed as {} while empty).
  JsonValue& Object(const std::string& key) {
    JsonValue& child = (*this)[key];
    child.is_object = true;
    return child;
  }

  void Write(int indent, std::string* out) const {
    if (!is_object) {
      out->append(number);
      return;
    }
    if (object.empty()) {
      out->append("{}");
      return;
    }
    out->append("{\n");
    bool first = true;
    for (const auto& [key, value] : object) {
      if (!first) out->append(",\n");
      first = false;
      out->append(indent + 2, ' ');
      AppendJsonString(key, out);
      out->append(": ");
      value.Write(indent + 2, out);
    }
    out->push_back('\n');
    out->append(indent, ' ');
    out->push_back('}');
  }
};

JsonValue CallKpisJson(const LineKpis& k) {
  JsonValue v;
  v["inbound_calls"] = JsonValue::Number(k.inbound_calls);
  v["answered"] = JsonValue::Number(k.answered);
  v["missed"] = JsonValue::Number(k.missed);
  v["missed_rate"] = JsonValue::Number(k.missed_rate());
  v["conversions"] = JsonValue::Number(k.conversions);
  v["refusals"] = JsonValue::Number(k.refusals);
  v["conversion_rate"] = JsonValue::Number(k.conversion_rate());
  v["billable_minutes"] = JsonValue::Number(k.billable_minutes);
  v["cost_kopecks"] = JsonValue::Number(k.cost_kopecks);
  return v;
}

std::string EnumName(const std::string& name, int value) {
  return name.empty() ? absl::StrCat(value) : name;
}

std::string Printf(const char* format, auto... args) {
  char buf[512];
  int n = std::snprintf(buf, sizeof(buf), format, args...);
  return std::string(buf, std::clamp(n, 0, static_cast<int>(sizeof(buf)) - 1));
}

std::string Percent(double fraction) {
  return Printf("%.1f%%", fraction * 100.0);
}

std::string Roubles(int64_t kopecks) {
  const char* sign = kopecks < 0 ? "-" : "";
  uint64_t abs = kopecks < 0 ? 0 - static_cast<uint64_t>(kopecks)
                             : static_cast<uint64_t>(kopecks);
  return Printf("%s%llu.%02llu", sign,
                static_cast<unsigned long long>(abs / 100),
                static_cast<unsigned long long>(abs % 100));
}

// A text table with a left column of names and right-aligned numbers.
class Table {
 public:
  explicit Table(std::vector<std::string> header) {
    rows_.push_back(std::move(header));
  }
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Append(std::string* out) const {
    std::vector<size_t> width(rows_[0].size(), 0);
    for (const auto& row : rows_) {
      for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
        width[i] = std::max(width[i], Utf8Length(row[i]));
      }
    }
    for (const auto& row : rows_) {
      std::string line = "  ";
      for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
        std::string pad(width[i] - Utf8Length(row[i]), ' ');
        line += i == 0 ? row[i] + pad : "  " + pad + row[i];
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      absl::StrAppend(out, line, "\n");
    }
  }

 private:
  static size_t Utf8Length(std::string_view s) {
    return std::count_if(s.begin(), s.end(),
                         [](char c) { return (c & 0xC0) != 0x80; });
  }
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace

double LineKpis::missed_rate() const { return Ratio(missed, inbound_calls); }

double LineKpis::conversion_rate() const {
  return Ratio(conversions, inbound_calls);
}

template <typename F>
void KpiAccumulator::ForLine(std::string_view line, F apply) {
  apply(totals_);
  if (line.empty()) return;
  auto it = lines_.find(line);
  if (it == lines_.end())
    it = lines_.emplace(std::string(line), LineKpis{}).first;
  apply(it->second);
}

void KpiAccumulator::AddFact(const Fact& fact) {
  const auto count = [&](uint64_t LineKpis::*field) {
    ForLine(fact.line, [&](LineKpis& k) { ++(k.*field); });
  };
  const auto sum = [&](int64_t LineKpis::*field) {
    const auto v = static_cast<int64_t>(std::llround(fact.value));
    ForLine(fact.line, [&](LineKpis& k) { k.*field += v; });
  };
  switch (fact.kind) {
    case FactKind::kApplied:
      ++events_.applied;
      break;
    case FactKind::kDuplicate:
      ++events_.duplicates;
      break;
    case FactKind::kAnonymous:
      ++events_.anonymous;
      break;
    case FactKind::kInboundClosed:
      count(&LineKpis::inbound_calls);
      break;
    case FactKind::kAnswered:
      count(&LineKpis::answered);
      break;
    case FactKind::kMissed:
      count(&LineKpis::missed);
      break;
    case FactKind::kConversion:
      count(&LineKpis::conversions);
      break;
    case FactKind::kRefusal:
      count(&LineKpis::refusals);
      break;
    case FactKind::kBilledMinutes:
      sum(&LineKpis::billable_minutes);
      break;
    case FactKind::kCostKopecks:
      sum(&LineKpis::cost_kopecks);
      break;
    case FactKind::kCallbackAttempt:
      ++attempts_[EnumName(v1::CallbackAttempt::AttemptResult_Name(fact.detail),
                           fact.detail)];
      break;
    case FactKind::kIgnoredAttempt:
      ++ignored_attempts_;
      break;
    default:  // metrics-only facts
      break;
  }
}

void KpiAccumulator::AddTask(const v1::Task& task) {
  ++tasks_[EnumName(v1::Task::Kind_Name(task.kind()), task.kind())]
          [EnumName(v1::Task::Status_Name(task.status()), task.status())];
  const auto count = [&](uint64_t LineKpis::*field) {
    ForLine(task.line(), [&](LineKpis& k) { ++(k.*field); });
  };
  if (task.kind() == v1::Task::EMAIL) {
    if (task.status() == v1::Task::OPEN) count(&LineKpis::emails);
    return;
  }
  if (task.kind() != v1::Task::CALLBACK) return;
  switch (task.status()) {
    case v1::Task::OPEN:
      count(&LineKpis::callbacks_opened);
      open_callback_attempt_[task.task_id()] = task.attempt();
      break;
    case v1::Task::UPDATED: {
      auto [it, inserted] =
          open_callback_attempt_.try_emplace(task.task_id(), task.attempt());
      if (!inserted && task.attempt() > it->second) {
        count(&LineKpis::callbacks_retried);
        it->second = task.attempt();
      }
      break;
    }
    case v1::Task::DONE:
      count(task.reason() == "client_called_back"
                ? &LineKpis::callbacks_called_back
                : &LineKpis::callbacks_reached);
      open_callback_attempt_.erase(task.task_id());
      break;
    case v1::Task::UNREACHABLE:
      count(&LineKpis::callbacks_unreachable);
      open_callback_attempt_.erase(task.task_id());
      break;
    default:
      open_callback_attempt_.erase(task.task_id());
      break;
  }
}

void KpiAccumulator::AddAlert(const v1::Alert& alert) {
  ++alerts_[EnumName(v1::Alert::Kind_Name(alert.kind()), alert.kind())];
}

std::string KpiAccumulator::SummaryJson() const {
  JsonValue root;
  JsonValue& events = root.Object("events");
  events["read"] = JsonValue::Number(events_.read);
  events["applied"] = JsonValue::Number(events_.applied);
  events["duplicates"] = JsonValue::Number(events_.duplicates);
  events["dead_letters"] = JsonValue::Number(events_.dead_letters);
  events["anonymous"] = JsonValue::Number(events_.anonymous);
  root["totals"] = CallKpisJson(totals_);
  JsonValue& lines = root.Object("lines");
  for (const auto& [name, k] : lines_) lines[name] = CallKpisJson(k);
  JsonValue& tasks = root.Object("tasks");
  for (const auto& [kind, statuses] : tasks_) {
    JsonValue& by_status = tasks.Object(kind);
    for (const auto& [status, n] : statuses) {
      by_status[status] = JsonValue::Number(n);
    }
  }
  JsonValue& alerts = root.Object("alerts");
  for (const auto& [kind, n] : alerts_) alerts[kind] = JsonValue::Number(n);
  JsonValue& callbacks = root.Object("callbacks");
  callbacks["opened"] = JsonValue::Number(totals_.callbacks_opened);
  callbacks["reached"] = JsonValue::Number(totals_.callbacks_reached);
  callbacks["client_called_back"] =
      JsonValue::Number(totals_.callbacks_called_back);
  callbacks["retried"] = JsonValue::Number(totals_.callbacks_retried);
  callbacks["unreachable"] = JsonValue::Number(totals_.callbacks_unreachable);
  callbacks["emails"] = JsonValue::Number(totals_.emails);
  callbacks["ignored_attempts"] = JsonValue::Number(ignored_attempts_);
  JsonValue& attempts = callbacks.Object("attempts");
  for (const auto& [result, n] : attempts_) {
    attempts[result] = JsonValue::Number(n);
  }
  std::string out;
  root.Write(0, &out);
  out.push_back('\n');
  return out;
}

std::string FormatKpiReport(const KpiAccumulator& kpis) {
  std::vector<std::pair<std::string, const LineKpis*>> rows;
  for (const auto& [name, k] : kpis.lines()) rows.emplace_back(name, &k);
  rows.emplace_back("TOTAL", &kpis.totals());

  Table calls({"line", "inbound", "answered", "missed", "missed %",
               "conversions", "conversion %", "billed min", "cost, RUB"});
  Table callbacks({"line", "opened", "reached", "called back", "retried",
                   "unreachable", "e-mails"});
  for (const auto& [name, k] : rows) {
    calls.Add({name, absl::StrCat(k->inbound_calls), absl::StrCat(k->answered),
               absl::StrCat(k->missed), Percent(k->missed_rate()),
               absl::StrCat(k->conversions), Percent(k->conversion_rate()),
               absl::StrCat(k->billable_minutes), Roubles(k->cost_kopecks)});
    callbacks.Add({name, absl::StrCat(k->callbacks_opened),
                   absl::StrCat(k->callbacks_reached),
                   absl::StrCat(k->callbacks_called_back),
                   absl::StrCat(k->callbacks_retried),
                   absl::StrCat(k->callbacks_unreachable),
                   absl::StrCat(k->emails)});
  }

  const EventKpis& e = kpis.events();
  std::string out = "KPI report\n";
  absl::StrAppend(&out, "Events: read ", e.read, ", applied ", e.applied,
                  ", duplicates ", e.duplicates, ", dead letters ",
                  e.dead_letters, ", anonymous ", e.anonymous, "\n");
  out += "Calls:\n";
  calls.Append(&out);
  out += "Callbacks:\n";
  callbacks.Append(&out);
  out += "Alerts:";
  if (kpis.alerts().empty()) out += " none";
  for (const auto& [kind, n] : kpis.alerts()) {
    absl::StrAppend(&out, " ", kind, " ", n, ";");
  }
  if (out.back() == ';') out.pop_back();
  out += "\n";
  return out;
}

}  // namespace callflow::rules
