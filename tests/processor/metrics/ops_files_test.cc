// Checks that docs/OPERATIONS.md, ops/prometheus/*.yml and the Grafana
// dashboard agree with the metrics the code really exposes.
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "processor/metrics/call_center_metrics.h"
#include "processor/metrics/metrics_server.h"
#include "processor/metrics/pipeline_metrics.h"
#include "tests/processor/metrics/scrape.h"
#include "tests/support/status_matchers.h"

namespace callflow::metrics {
namespace {

using ::callflow::metrics::testing::Exposition;
using ::callflow::metrics::testing::ReadFile;
using ::callflow::metrics::testing::Sample;
using ::callflow::metrics::testing::Scrape;
using ::callflow_testing::IsOk;

// One row of the metrics table in docs/OPERATIONS.md.
struct DocumentedMetric {
  std::string name;
  std::string type;
  std::set<std::string> labels;
};

std::string MustRead(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  EXPECT_THAT(text, IsOk());
  return text.ok() ? *text : "";
}

// Rows like "| `callflow_x_total` | counter | `line`, `reason` | ... |".
std::vector<DocumentedMetric> DocumentedMetrics() {
  const std::string doc = MustRead("docs/OPERATIONS.md");
  static const std::regex kRow(
      R"(\n\| `(callflow_[a-z0-9_]+)` \| (counter|gauge|histogram) \| ([^|]*)\|)");
  static const std::regex kLabel(R"(`([a-z_]+)`)");
  std::vector<DocumentedMetric> out;
  for (std::sregex_iterator it(doc.begin(), doc.end(), kRow), end; it != end;
       ++it) {
    DocumentedMetric m{(*it)[1], (*it)[2], {}};
    const std::string labels = (*it)[3];
    for (std::sregex_iterator l(labels.begin(), labels.end(), kLabel);
         l != std::sregex_iterator(); ++l) {
      m.labels.insert((*l)[1]);
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::set<std::string> Matches(const std::string& text, const std::regex& re) {
  std::set<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end;
       ++it) {
    out.insert((*it)[1]);
  }
  return out;
}

// Metric names (not recording rules) a PromQL text refers to, with the
// histogram suffixes removed.
std::set<std::string> MetricsUsed(const std::string& promql) {
  static const std::regex kMetric(R"((?:^|[^:a-z_])(callflow_[a-z0-9_]+))");
  std::set<std::string> out;
  for (std::string name : Matches(promql, kMetric)) {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s = suffix;
      if (name.size() > s.size() &&
          name.compare(name.size() - s.size(), s.size(), s) == 0 &&
          name.find("_seconds") != std::string::npos) {
        name.resize(name.size() - s.size());
      }
    }
    out.insert(name);
  }
  return out;
}

std::set<std::string> RecordingRulesUsed(const std::string& promql) {
  return Matches(promql,
                 std::regex(R"(([a-z_]+:callflow_[a-z0-9_]+:[a-z0-9_]+))"));
}

std::set<std::string> DocumentedNames() {
  std::set<std::string> out;
  for (const DocumentedMetric& m : DocumentedMetrics()) out.insert(m.name);
  return out;
}

std::set<std::string> DefinedRecordingRules() {
  return Matches(MustRead("ops/prometheus/rules.yml"),
                 std::regex(R"(- record: (\S+))"));
}

TEST(OperationsDocTest, EveryDocumentedMetricIsExposedWithItsLabels) {
  const std::vector<DocumentedMetric> documented = DocumentedMetrics();
  ASSERT_GE(documented.size(), 30u);

  auto server = MetricsServer::Start("127.0.0.1:0");
  ASSERT_THAT(server, IsOk());
  rules::EngineOptions options;
  options.lines["sales"] = {};
  options.lines["support"] = {};
  options.lines["default"] = {};
  CallCenterMetrics calls((*server)->registry(), options);
  PipelineMetrics pipeline((*server)->registry());
  MetricsServer::ScrapeHook hook =
      (*server)->AddScrapeHook([&pipeline] { pipeline.Refresh(); });
  // Lines that are not configured, phone numbers among them, fold to other.
  for (const char* line : {"sales", "+74951234567", "hotline", ""}) {
    calls.Record({.kind = rules::FactKind::kInboundClosed, .line = line});
    calls.Record(
        {.kind = rules::FactKind::kQueueWait, .line = line, .value = 12});
  }
  pipeline.AddConsumed(0, 10);
  pipeline.SetPartitionState(0, {});
  pipeline.SetRingOccupancy(0, 1);
  pipeline.AddUnproducible("callflow.tasks", "too_large", 0);

  auto scraped = Scrape((*server)->port());
  ASSERT_THAT(scraped, IsOk());
  const Exposition& e = *scraped;

  for (const DocumentedMetric& m : documented) {
    SCOPED_TRACE(m.name);
    ASSERT_TRUE(e.types.contains(m.name)) << "documented but not exposed";
    EXPECT_EQ(e.types.at(m.name), m.type);
    std::vector<const Sample*> samples;
    if (m.type == "histogram") {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        for (const Sample* s : e.Named(m.name + suffix)) samples.push_back(s);
      }
    } else {
      samples = e.Named(m.name);
    }
    ASSERT_FALSE(samples.empty());
    std::set<std::string> line_values;
    for (const Sample* s : samples) {
      std::set<std::string> keys;
      for (const auto& [key, value] : s->labels) keys.insert(key);
      std::set<std::string> expected = m.labels;
      if (s->name == m.name + "_bucket") expected.insert("le");
      EXPECT_EQ(keys, expected) << s->name;
      if (s->labels.contains("line")) line_values.insert(s->labels.at("line"));
    }
    if (m.labels.contains("line")) {
      // Configured lines + other, nothing else: never a number.
      EXPECT_EQ(line_values,
                (std::set<std::string>{"sales", "support", "other"}));
    }
  }
  EXPECT_EQ(e.Value("callflow_inbound_calls_total", {{"line", "other"}}), 3);

  const std::set<std::string> names = DocumentedNames();
  for (const auto& [family, type] : e.types) {
    if (family.starts_with("callflow_")) {
      EXPECT_TRUE(names.contains(family)) << family << " is not documented";
    }
  }
}

TEST(OperationsDocTest, EveryAlertHasARunbookSection) {
  const std::string doc = MustRead("docs/OPERATIONS.md");
  const std::set<std::string> sections =
      Matches(doc, std::regex(R"(\n### (Callflow[A-Za-z]+))"));
  const std::string rules = MustRead("ops/prometheus/rules.yml");
  std::set<std::string> anchors;
  for (const std::string& s : sections) {
    std::string anchor;
    for (char c : s) anchor.push_back(static_cast<char>(std::tolower(c)));
    anchors.insert(anchor);
  }
  const std::set<std::string> alerts =
      Matches(rules, std::regex(R"(- alert: (\S+))"));
  ASSERT_FALSE(alerts.empty());
  for (const std::string& runbook :
       Matches(rules, std::regex(R"(runbook: docs/OPERATIONS.md#(\S+))"))) {
    EXPECT_TRUE(anchors.contains(runbook)) << runbook;
  }
  EXPECT_EQ(Matches(rules, std::regex(R"(runbook: \S+)")).size() > 0, true);
  for (const std::string& alert : alerts) {
    EXPECT_NE(rules.find("- alert: " + alert + "\n"), std::string::npos);
  }
}

TEST(PrometheusRulesTest, EveryRuleIsUnitTestedAndUsesDocumentedMetrics) {
  const std::string rules = MustRead("ops/prometheus/rules.yml");
  const std::string tests = MustRead("ops/prometheus/rules_test.yml");
  const std::set<std::string> records = DefinedRecordingRules();
  ASSERT_GE(records.size(), 20u);
  const std::set<std::string> tested =
      Matches(tests, std::regex(R"(\n\s+- expr: (\S+)\n)"));
  for (const std::string& record : records) {
    EXPECT_TRUE(tested.contains(record)) << record << " has no promql test";
  }
  const std::set<std::string> alerts =
      Matches(rules, std::regex(R"(- alert: (\S+))"));
  const std::set<std::string> alert_tests =
      Matches(tests, std::regex(R"(alertname: (\S+))"));
  for (const std::string& alert : alerts) {
    EXPECT_TRUE(alert_tests.contains(alert)) << alert << " has no alert test";
    // A test that expects the alert to fire, not only silence.
    const std::regex firing("alertname: " + alert +
                            R"(\n\s+eval_time: \S+\n\s+exp_alerts:\n\s+- )");
    EXPECT_TRUE(std::regex_search(tests, firing)) << alert << " never fires";
  }
  const std::set<std::string> documented = DocumentedNames();
  // Group names are not metrics.
  const std::string exprs =
      std::regex_replace(rules, std::regex(R"(- name: \S+)"), "");
  for (const std::string& metric : MetricsUsed(exprs)) {
    EXPECT_TRUE(documented.contains(metric)) << metric;
  }
}

TEST(GrafanaDashboardTest, ValidJsonWithTheFourRowsUsingKnownSeries) {
  const std::string text = MustRead("ops/grafana/callflow.json");
  google::protobuf::Struct dashboard;
  const auto status =
      google::protobuf::util::JsonStringToMessage(text, &dashboard);
  ASSERT_THAT(status, IsOk());
  ASSERT_TRUE(dashboard.fields().contains("panels"));

  const std::set<std::string> records = DefinedRecordingRules();
  const std::set<std::string> documented = DocumentedNames();
  std::string row;
  std::set<std::string> rows;
  std::set<std::string> rows_using_rules;
  std::set<double> ids;
  for (const auto& value :
       dashboard.fields().at("panels").list_value().values()) {
    const auto& panel = value.struct_value().fields();
    ASSERT_TRUE(panel.contains("id"));
    EXPECT_TRUE(ids.insert(panel.at("id").number_value()).second);
    if (panel.at("type").string_value() == "row") {
      row = panel.at("title").string_value();
      rows.insert(row);
      continue;
    }
    ASSERT_FALSE(row.empty()) << "panel outside a row";
    ASSERT_TRUE(panel.contains("targets"));
    const auto& targets = panel.at("targets").list_value().values();
    ASSERT_FALSE(targets.empty()) << panel.at("title").string_value();
    for (const auto& target : targets) {
      const std::string expr =
          target.struct_value().fields().at("expr").string_value();
      SCOPED_TRACE(expr);
      ASSERT_FALSE(expr.empty());
      for (const std::string& rule : RecordingRulesUsed(expr)) {
        EXPECT_TRUE(records.contains(rule)) << rule;
        rows_using_rules.insert(row);
      }
      for (const std::string& metric : MetricsUsed(expr)) {
        EXPECT_TRUE(documented.contains(metric)) << metric;
      }
    }
  }
  const std::set<std::string> expected_rows = {"KPIs per line", "Callbacks",
                                               "Billing", "Pipeline health"};
  EXPECT_EQ(rows, expected_rows);
  EXPECT_EQ(rows_using_rules, expected_rows);
}

}  // namespace
}  // namespace callflow::metrics
