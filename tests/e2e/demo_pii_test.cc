// End to end (issue 10): no personal data where it does not belong. A
// `callflow demo` run's log (stderr, info level and above), its stdout and
// its /metrics carry no phone number and no e-mail address of the callers
// it simulated.
#include <algorithm>
#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "processor/sim/caller_pool.h"
#include "processor/sim/random.h"
#include "processor/sim/traffic_simulator.h"
#include "processor/util/temp_dir.h"
#include "tests/e2e/demo_process.h"
#include "tests/processor/metrics/prometheus_process.h"
#include "tests/processor/metrics/scrape.h"
#include "tests/support/status_matchers.h"

namespace callflow {
namespace {

using ::callflow::metrics::testing::FreePort;
using ::callflow::metrics::testing::HttpGet;
using ::callflow::testing::DemoProcess;
using ::callflow_testing::IsOk;

constexpr uint64_t kSeed = 7;

// Finds personal data of the simulated callers in a text: any number written
// the way a PBX or the E.164 form writes it whose last ten digits are one of
// the pool's numbers, any "+<digits>" phone number, any e-mail address.
class PersonalDataFinder {
 public:
  explicit PersonalDataFinder(const sim::CallerPool& pool) {
    for (size_t i = 0; i < pool.size(); ++i) national_.insert(pool.National(i));
  }
  size_t known() const { return national_.size(); }

  // What was found, one entry per hit ("line: hit").
  std::vector<std::string> Find(const std::string& text) const {
    static const std::regex kNumber(R"(\+?[0-9][0-9 ()\-]{8,}[0-9])");
    static const std::regex kE164(R"(\+[1-9][0-9]{9,14})");
    static const std::regex kEmail(
        R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})");
    std::vector<std::string> hits;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      const std::string line = text.substr(start, end - start);
      start = end + 1;
      auto add = [&](const std::string& what) {
        hits.push_back(absl::StrCat(what, " in: ", line));
      };
      for (std::sregex_iterator it(line.begin(), line.end(), kNumber), e;
           it != e; ++it) {
        std::string digits;
        for (char c : it->str()) {
          if (c >= '0' && c <= '9') digits += c;
        }
        if (digits.size() >= 10 &&
            national_.contains(digits.substr(digits.size() - 10))) {
          add(it->str());
        }
      }
      for (const std::regex* re : {&kE164, &kEmail}) {
        for (std::sregex_iterator it(line.begin(), line.end(), *re), e; it != e;
             ++it) {
          add(it->str());
        }
      }
    }
    return hits;
  }

 private:
  absl::flat_hash_set<std::string> national_;
};

sim::CallerPool DemoPool() {
  sim::SimulatorOptions o;  // the demo's defaults
  o.seed = kSeed;
  return sim::CallerPool(o.seed, o.caller_pool, o.zipf_exponent, o.zipf_offset);
}

// The finder finds what it is meant to: the pool's numbers in the formats
// the simulator sends, E.164, e-mails. (Else the demo check could not fail.)
TEST(DemoPiiTest, FinderFindsTheSimulatedCallers) {
  const sim::CallerPool pool = DemoPool();
  const PersonalDataFinder finder(pool);
  ASSERT_GT(finder.known(), pool.size() * 99 / 100);  // a few numbers repeat
  sim::Rng rng(kSeed);
  for (size_t i : {size_t{0}, size_t{17}, pool.size() - 1}) {
    for (int k = 0; k < 5; ++k) {
      const std::string text =
          absl::StrCat("[info] caller ", pool.Format(i, rng), " missed");
      EXPECT_FALSE(finder.Find(text).empty()) << text;
    }
  }
  EXPECT_FALSE(finder.Find("key +19995550000 missed").empty());
  EXPECT_FALSE(finder.Find("e-mail client12@example.ru").empty());
  EXPECT_TRUE(finder
                  .Find("callflow_watermark_timestamp_seconds "
                        "1717395594.732\n[    2s] 533 events/s processed "
                        "595 sim time 2024-06-03T05:40:16.641Z")
                  .empty());
}

TEST(DemoPiiTest, NoPhoneOrEmailInTheLogOrTheMetrics) {
  const util::TempDir dir = util::TempDir::CreateOrDie("callflow-pii");
  const int port = FreePort();
  ASSERT_GT(port, 0);
  DemoProcess demo(dir.path(), port, {"--seed", std::to_string(kSeed)});
  ASSERT_TRUE(demo.WaitForLog("callflow demo: drained, serving metrics",
                              std::chrono::seconds(60)))
      << "exit status " << demo.exit_status() << "\n"
      << demo.Log();
  auto metrics = HttpGet(port, "/metrics");
  ASSERT_THAT(metrics, IsOk());
  ASSERT_TRUE(demo.Stop()) << demo.Log();

  // The run did process callers: events, callback tasks, the report.
  EXPECT_NE(metrics->find("callflow_events_consumed_total"), std::string::npos);
  EXPECT_NE(demo.Output().find("KPI report"), std::string::npos);
  // Log lines go to stderr only: stdout is the report, fit for a file or a
  // pipe (a user found them mixed into `callflow demo > report.txt`).
  EXPECT_NE(demo.Log().find("[info]"), std::string::npos);
  EXPECT_EQ(demo.Output().find("[info]"), std::string::npos) << demo.Output();

  const PersonalDataFinder finder(DemoPool());
  for (const auto& [name, text] :
       {std::pair<std::string, std::string>{"stderr", demo.Log()},
        {"stdout", demo.Output()},
        {"/metrics", *metrics}}) {
    EXPECT_FALSE(text.empty()) << name;
    for (const std::string& hit : finder.Find(text)) {
      ADD_FAILURE() << name << ": " << hit;
    }
  }
}

}  // namespace
}  // namespace callflow
