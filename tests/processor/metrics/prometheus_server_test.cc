// The real Prometheus server (Debian package `prometheus`) scrapes a real
// MetricsServer with ops/prometheus/rules.yml loaded; the recording rules it
// evaluates must equal the KPIs rules::KpiAccumulator (the replay summary and
// the demo report) folds from the same facts.
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "callflow/v1/events.pb.h"
#include "gtest/gtest.h"
#include "processor/metrics/call_center_metrics.h"
#include "processor/metrics/metrics_server.h"
#include "processor/rules/kpis.h"
#include "tests/processor/metrics/prometheus_process.h"
#include "tests/support/status_matchers.h"

namespace callflow::metrics {
namespace {

using ::callflow::metrics::testing::PrometheusProcess;
using ::callflow_testing::IsOk;
using rules::Fact;
using rules::FactKind;

// Feeds the same facts to the metrics and to the report's accumulator.
class Both {
 public:
  Both(CallCenterMetrics& metrics, rules::KpiAccumulator& kpis)
      : metrics_(metrics), kpis_(kpis) {}
  void Add(FactKind kind, const char* line, double value = 1,
           int32_t detail = 0, int times = 1) {
    for (int i = 0; i < times; ++i) {
      const Fact fact{
          .kind = kind, .line = line, .value = value, .detail = detail};
      metrics_.Record(fact);
      kpis_.AddFact(fact);
    }
  }

 private:
  CallCenterMetrics& metrics_;
  rules::KpiAccumulator& kpis_;
};

bool Near(double a, double b) { return std::fabs(a - b) <= 1e-9; }

TEST(PrometheusServerTest, RecordingRulesEqualTheKpiReport) {
  auto server = MetricsServer::Start("127.0.0.1:0");
  ASSERT_THAT(server, IsOk());
  rules::EngineOptions options;
  options.lines["sales"] = {};
  options.lines["support"] = {};
  CallCenterMetrics metrics((*server)->registry(), options);
  rules::KpiAccumulator kpis;

  auto prometheus = PrometheusProcess::Start((*server)->port());
  ASSERT_NE(prometheus, nullptr);
  // Prometheus has stored a scrape of the zero counters: the windowed rules
  // then see every fact below as an increase.
  auto zeros = prometheus->WaitFor("callflow_inbound_calls_total",
                                   [](const auto& r) { return r.size() == 3; });
  ASSERT_EQ(zeros.size(), 3u) << prometheus->Log();

  Both both(metrics, kpis);
  both.Add(FactKind::kInboundClosed, "sales", 1, 0, 10);
  both.Add(FactKind::kAnswered, "sales", 1, 0, 7);
  both.Add(FactKind::kMissed, "sales", 1, v1::CallEnded::ABANDONED, 2);
  both.Add(FactKind::kMissed, "sales", 1, v1::CallEnded::NO_ANSWER, 1);
  both.Add(FactKind::kConversion, "sales", 1, 0, 2);
  both.Add(FactKind::kBilledMinutes, "sales", 3, v1::CallEvent::INBOUND, 4);
  both.Add(FactKind::kBilledMinutes, "sales", 2, v1::CallEvent::OUTBOUND);
  both.Add(FactKind::kInboundClosed, "support", 1, 0, 8);
  both.Add(FactKind::kAnswered, "support", 1, 0, 6);
  both.Add(FactKind::kMissed, "support", 1, v1::CallEnded::BUSY, 2);
  both.Add(FactKind::kConversion, "support", 1, 0, 3);
  both.Add(FactKind::kBilledMinutes, "support", 1, v1::CallEvent::INBOUND, 5);

  const rules::LineKpis& sales = kpis.lines().at("sales");
  const rules::LineKpis& support = kpis.lines().at("support");
  ASSERT_DOUBLE_EQ(sales.conversion_rate(), 0.2);  // docs/RULES.md R4's example
  ASSERT_EQ(sales.billable_minutes, 14);

  auto matches = [](double sales_v, double support_v) {
    return [=](const std::map<std::string, double>& r) {
      return r.contains("sales") && r.contains("support") &&
             Near(r.at("sales"), sales_v) && Near(r.at("support"), support_v);
    };
  };
  struct Check {
    std::string rule;
    double sales;
    double support;
  };
  const std::vector<Check> checks = {
      {"line:callflow_inbound_calls:sum", double(sales.inbound_calls),
       double(support.inbound_calls)},
      {"line:callflow_billed_minutes:sum", double(sales.billable_minutes),
       double(support.billable_minutes)},
      {"line:callflow_conversion_rate:ratio", sales.conversion_rate(),
       support.conversion_rate()},
      {"line:callflow_missed_rate:ratio", sales.missed_rate(),
       support.missed_rate()},
      {"line:callflow_conversion_rate:ratio_1h", sales.conversion_rate(),
       support.conversion_rate()},
      {"line:callflow_missed_rate:ratio_1h", sales.missed_rate(),
       support.missed_rate()},
      {"line:callflow_conversion_rate:ratio_1d", sales.conversion_rate(),
       support.conversion_rate()},
  };
  for (const Check& c : checks) {
    auto result = prometheus->WaitFor(c.rule, matches(c.sales, c.support));
    EXPECT_TRUE(matches(c.sales, c.support)(result))
        << c.rule << ": sales " << result["sales"] << " (report " << c.sales
        << "), support " << result["support"] << " (report " << c.support
        << ")";
  }
  // Lines not configured would be "other"; none was recorded here.
  auto other = prometheus->Query("line:callflow_inbound_calls:sum");
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ((*other)["other"], 0);
}

}  // namespace
}  // namespace callflow::metrics
