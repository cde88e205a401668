#include "processor/metrics/metrics_server.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/counter.h"
#include "tests/processor/metrics/scrape.h"
#include "tests/support/status_matchers.h"

namespace callflow::metrics {
namespace {

using ::callflow::metrics::testing::Scrape;
using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(MetricsServerTest, ServesRegistryOnAPickedPort) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start("127.0.0.1:0");
  ASSERT_THAT(server, IsOk());
  ASSERT_GT((*server)->port(), 0);
  prometheus::BuildCounter()
      .Name("callflow_test_things_total")
      .Help("things")
      .Register((*server)->registry())
      .Add({{"line", "sales"}})
      .Increment(3);

  auto scraped = Scrape((*server)->port());
  ASSERT_THAT(scraped, IsOk());
  EXPECT_EQ(scraped->types.at("callflow_test_things_total"), "counter");
  EXPECT_EQ(scraped->Value("callflow_test_things_total", {{"line", "sales"}}),
            3);
}

TEST(MetricsServerTest, RejectsMalformedAddress) {
  for (const char* address :
       {"9464", ":9464", "localhost:", "host:70000", "host:-1", "host:abc"}) {
    EXPECT_THAT(MetricsServer::Start(address),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << address;
  }
  EXPECT_THAT(MetricsServer::Start("host:70000"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("port 70000 is out of range")));
}

TEST(MetricsServerTest, PortInUseIsUnavailable) {
  auto first = MetricsServer::Start("127.0.0.1:0");
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(
      MetricsServer::Start("127.0.0.1:" + std::to_string((*first)->port())),
      StatusIs(absl::StatusCode::kUnavailable,
               AllOf(HasSubstr(std::to_string((*first)->port())),
                     HasSubstr("the port is in use"))));
}

TEST(MetricsServerTest, ScrapeHooksRunBeforeEachScrapeUntilRemoved) {
  auto server = MetricsServer::Start("127.0.0.1:0");
  ASSERT_THAT(server, IsOk());
  prometheus::Gauge& scrapes = prometheus::BuildGauge()
                                   .Name("callflow_test_scrapes")
                                   .Help("scrapes seen by the hook")
                                   .Register((*server)->registry())
                                   .Add({});
  {
    MetricsServer::ScrapeHook hook =
        (*server)->AddScrapeHook([&scrapes] { scrapes.Increment(); });
    // The hook runs before the registry is collected: the first scrape
    // already shows its update.
    auto first = Scrape((*server)->port());
    ASSERT_THAT(first, IsOk());
    EXPECT_EQ(first->Value("callflow_test_scrapes"), 1);
    MetricsServer::ScrapeHook moved = std::move(hook);
    auto second = Scrape((*server)->port());
    ASSERT_THAT(second, IsOk());
    EXPECT_EQ(second->Value("callflow_test_scrapes"), 2);
  }
  auto after = Scrape((*server)->port());
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->Value("callflow_test_scrapes"), 2);
}

}  // namespace
}  // namespace callflow::metrics
