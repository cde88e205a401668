// End to end (issue 4): `callflow demo --serve` on loopback, the real
// Debian `prometheus` scraping it with ops/prometheus/rules.yml; once the
// demo has drained, the recording rules Prometheus evaluates equal the
// per-line KPIs of the demo's own summary (the numbers of its report).
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "processor/util/temp_dir.h"
#include "tests/e2e/demo_process.h"
#include "tests/processor/metrics/prometheus_process.h"
#include "tests/processor/metrics/scrape.h"
#include "tests/support/status_matchers.h"

namespace callflow {
namespace {

using ::callflow::metrics::testing::Exposition;
using ::callflow::metrics::testing::FreePort;
using ::callflow::metrics::testing::PrometheusProcess;
using ::callflow::metrics::testing::ReadFile;
using ::callflow::metrics::testing::Scrape;
using ::callflow::testing::DemoProcess;
using ::callflow_testing::IsOk;

bool Close(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b));
}

double SumOf(const Exposition& e, const std::string& name) {
  double sum = 0;
  for (const auto* s : e.Named(name)) sum += s->value;
  return sum;
}

TEST(DemoPrometheusTest, RecordingRulesEqualTheDemoSummary) {
  const util::TempDir dir = util::TempDir::CreateOrDie("callflow-e2e");
  const int port = FreePort();
  ASSERT_GT(port, 0);
  DemoProcess demo(dir.path(), port);
  auto prometheus = PrometheusProcess::Start(port);
  ASSERT_NE(prometheus, nullptr);

  ASSERT_TRUE(demo.WaitForLog("callflow demo: drained, serving metrics",
                              std::chrono::seconds(45)))
      << "exit status " << demo.exit_status() << "\n"
      << demo.Log();
  auto text = ReadFile(demo.summary().string());
  ASSERT_THAT(text, IsOk());
  google::protobuf::Struct summary;
  ASSERT_THAT(google::protobuf::util::JsonStringToMessage(*text, &summary),
              IsOk())
      << *text;
  const auto& lines = summary.fields().at("lines").struct_value().fields();
  const std::vector<std::string> names = {"sales", "support", "hotline",
                                          "did-2302030"};

  // The pipeline side of the same moment: every event consumed is counted,
  // processing latency observed, the RocksDB figures published.
  auto scraped = Scrape(port);
  ASSERT_THAT(scraped, IsOk());
  const double read = summary.fields()
                          .at("events")
                          .struct_value()
                          .fields()
                          .at("read")
                          .number_value();
  EXPECT_GT(read, 0);
  EXPECT_EQ(SumOf(*scraped, "callflow_events_consumed_total"), read);
  EXPECT_GT(SumOf(*scraped, "callflow_processing_latency_seconds_count"), 0);
  EXPECT_GT(SumOf(*scraped, "callflow_state_estimated_keys"), 0);

  struct Check {
    std::string rule;
    std::string key;  // in the summary's per-line object
  };
  const std::vector<Check> checks = {
      {"line:callflow_conversion_rate:ratio", "conversion_rate"},
      {"line:callflow_missed_rate:ratio", "missed_rate"},
      {"line:callflow_billed_minutes:sum", "billable_minutes"},
      {"line:callflow_inbound_calls:sum", "inbound_calls"},
  };
  for (const Check& c : checks) {
    std::map<std::string, double> want;
    for (const std::string& line : names) {
      ASSERT_TRUE(lines.contains(line)) << line << " not in " << *text;
      want[line] =
          lines.at(line).struct_value().fields().at(c.key).number_value();
    }
    double total = 0;
    for (const auto& [line, value] : want) total += value;
    EXPECT_GT(total, 0) << c.key << ": nothing to compare";
    auto matches = [&](const PrometheusProcess::Result& r) {
      for (const auto& [line, value] : want) {
        if (!r.contains(line) || !Close(r.at(line), value)) return false;
      }
      return true;
    };
    auto got = prometheus->WaitFor(c.rule, matches, std::chrono::seconds(30));
    for (const auto& [line, value] : want) {
      EXPECT_TRUE(got.contains(line) && Close(got.at(line), value))
          << c.rule << "{line=\"" << line << "\"}: prometheus "
          << (got.contains(line) ? absl::StrCat(got.at(line)) : "absent")
          << ", demo summary " << value;
    }
  }
  if (HasFailure()) ADD_FAILURE() << prometheus->Log();
}

}  // namespace
}  // namespace callflow
