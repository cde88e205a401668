// The real Prometheus server (Debian package `prometheus`) scrapes a real
// MetricsServer with ops/prometheus/rules.yml loaded; the recording rules it
// evaluates must equal the KPIs rules::KpiAccumulator (the replay summary and
// the demo report) folds from the same facts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "callflow/v1/events.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "processor/metrics/call_center_metrics.h"
#include "processor/metrics/metrics_server.h"
#include "processor/rules/kpis.h"
#include "tests/processor/metrics/scrape.h"

namespace callflow::metrics {
namespace {

using ::callflow::metrics::testing::HttpGet;
using rules::Fact;
using rules::FactKind;

// A free loopback TCP port (bound, read, released).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return -1;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// `prometheus` in a temp dir, scraping one target every second and
// evaluating ops/prometheus/rules.yml every second. Killed on destruction.
class PrometheusProcess {
 public:
  static std::unique_ptr<PrometheusProcess> Start(int target_port) {
    auto p = std::unique_ptr<PrometheusProcess>(new PrometheusProcess());
    char dir[] = "/tmp/callflow-prometheus-XXXXXX";
    if (mkdtemp(dir) == nullptr) return nullptr;
    p->dir_ = dir;
    p->port_ = FreePort();
    const std::string rules =
        std::filesystem::absolute("ops/prometheus/rules.yml").string();
    std::ofstream(p->dir_ / "prometheus.yml")
        << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        << "rule_files:\n  - " << rules << "\n"
        << "scrape_configs:\n  - job_name: callflow\n    static_configs:\n"
        << "      - targets: ['127.0.0.1:" << target_port << "']\n";
    const std::string config = (p->dir_ / "prometheus.yml").string();
    const std::string data = (p->dir_ / "data").string();
    const std::string log = (p->dir_ / "prometheus.log").string();
    const std::string listen = "127.0.0.1:" + std::to_string(p->port_);
    p->pid_ = fork();
    if (p->pid_ == 0) {
      FILE* out = freopen(log.c_str(), "w", stdout);
      if (out != nullptr) dup2(fileno(out), STDERR_FILENO);
      execlp("prometheus", "prometheus", ("--config.file=" + config).c_str(),
             ("--storage.tsdb.path=" + data).c_str(),
             ("--web.listen-address=" + listen).c_str(), nullptr);
      _exit(127);
    }
    return p;
  }

  ~PrometheusProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Instant query: label `line` -> value; nullopt when the API is not up.
  std::optional<std::map<std::string, double>> Query(const std::string& q) {
    absl::StatusOr<std::string> body =
        HttpGet(port_, "/api/v1/query?query=" + q);
    if (!body.ok()) return std::nullopt;
    google::protobuf::Struct json;
    if (!google::protobuf::util::JsonStringToMessage(*body, &json).ok()) {
      return std::nullopt;
    }
    std::map<std::string, double> out;
    const auto& data = json.fields().at("data").struct_value().fields();
    for (const auto& r : data.at("result").list_value().values()) {
      const auto& fields = r.struct_value().fields();
      const auto& metric = fields.at("metric").struct_value().fields();
      const std::string line =
          metric.contains("line") ? metric.at("line").string_value() : "";
      out[line] =
          std::stod(fields.at("value").list_value().values(1).string_value());
    }
    return out;
  }

  // Polls `q` until `done` holds for its result (or the deadline passes);
  // returns the last result.
  template <typename Done>
  std::map<std::string, double> WaitFor(const std::string& q, Done done) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(90);
    std::map<std::string, double> last;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto r = Query(q); r.has_value()) {
        last = *r;
        if (done(last)) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return last;
  }

  std::string Log() const {
    auto text = testing::ReadFile((dir_ / "prometheus.log").string());
    return text.ok() ? *text : "";
  }

 private:
  PrometheusProcess() = default;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

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
  ASSERT_TRUE(server.ok()) << server.status();
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
  ASSERT_DOUBLE_EQ(sales.conversion_rate(), 0.2);  // SPEC R4's example
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
