// End to end (issue 4): `callflow demo --serve` on loopback, the real
// Debian `prometheus` scraping it with ops/prometheus/rules.yml; once the
// demo has drained, the recording rules Prometheus evaluates equal the
// per-line KPIs of the demo's own summary (the numbers of its report).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "processor/util/temp_dir.h"
#include "tests/processor/metrics/prometheus_process.h"
#include "tests/processor/metrics/scrape.h"

namespace callflow {
namespace {

using ::callflow::metrics::testing::Exposition;
using ::callflow::metrics::testing::FreePort;
using ::callflow::metrics::testing::PrometheusProcess;
using ::callflow::metrics::testing::ReadFile;
using ::callflow::metrics::testing::Scrape;
using Clock = std::chrono::steady_clock;

// `callflow demo --serve` as a child process with its stderr in a file.
// The destructor stops it (SIGTERM, SIGKILL after 20 s) and reaps it, so
// every exit path of the test ends it. Not thread-safe.
class DemoProcess {
 public:
  DemoProcess(const std::filesystem::path& dir, int metrics_port)
      : log_(dir / "demo.log"), summary_(dir / "summary.json") {
    const std::string address = absl::StrCat("127.0.0.1:", metrics_port);
    pid_ = fork();
    if (pid_ == 0) {
      FILE* out = freopen(log_.c_str(), "w", stderr);
      if (out == nullptr || freopen("/dev/null", "w", stdout) == nullptr) {
        _exit(126);
      }
      execl(CALLFLOW_BINARY, CALLFLOW_BINARY, "demo", "--serve", "--duration",
            "5s", "--metrics-address", address.c_str(), "--summary",
            summary_.c_str(), nullptr);
      _exit(127);
    }
  }

  ~DemoProcess() {
    if (pid_ <= 0 || Exited()) return;
    kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (!Exited() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!Exited()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // True once the child has exited (reaped here).
  bool Exited() {
    if (exited_) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      exit_status_ = status;
    }
    return exited_;
  }

  // Waits for `text` in the log; false when the child exits first or
  // `timeout` passes.
  bool WaitForLog(const std::string& text, std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (Log().find(text) != std::string::npos) return true;
      if (Exited()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  std::string Log() const {
    auto text = ReadFile(log_.string());
    return text.ok() ? *text : "";
  }
  const std::filesystem::path& summary() const { return summary_; }
  int exit_status() const { return exit_status_; }

 private:
  std::filesystem::path log_;
  std::filesystem::path summary_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_status_ = 0;
};


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
  ASSERT_TRUE(text.ok()) << text.status();
  google::protobuf::Struct summary;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*text, &summary).ok())
      << *text;
  const auto& lines = summary.fields().at("lines").struct_value().fields();
  const std::vector<std::string> names = {"sales", "support", "hotline",
                                          "did-2302030"};

  // The pipeline side of the same moment: every event consumed is counted,
  // processing latency observed, the RocksDB figures published.
  auto scraped = Scrape(port);
  ASSERT_TRUE(scraped.ok()) << scraped.status();
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
