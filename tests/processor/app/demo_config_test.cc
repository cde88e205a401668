// The embedded `callflow demo` configuration loads, configures every line
// the simulator dials, and still takes CALLFLOW_* overrides.
#include "processor/app/demo_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "processor/sim/traffic_simulator.h"
#include "tests/support/status_matchers.h"

namespace callflow::app {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;

using rules::kHour;
using rules::kMinute;
using ::testing::HasSubstr;

TEST(DemoConfigTest, ConfiguresEverySimulatedLine) {
  auto config = LoadDemoConfig({});
  ASSERT_THAT(config, IsOk());
  for (const std::string& name : sim::TrafficSimulator::LineNames()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(config->engine.lines.contains(name));
    const rules::LineOptions& line = config->engine.lines.at(name);
    EXPECT_THAT(line.callback_number, ::testing::StartsWith("+7"));
    EXPECT_GT(line.tariff_inbound_kopecks, 0);
    EXPECT_GT(line.tariff_outbound_kopecks, 0);
    EXPECT_NE(line.tz, nullptr);
  }
  const rules::LineOptions& did = config->engine.lines.at("did-2302030");
  EXPECT_EQ(did.max_silence, 20 * kMinute);
  EXPECT_EQ(did.business_open_minute, 9 * 60);
  EXPECT_EQ(did.business_close_minute, 18 * 60);
  EXPECT_EQ(config->engine.callback.retry_every, 2 * kHour);
  EXPECT_EQ(config->engine.callback.first_due, kHour);
}

TEST(DemoConfigTest, EnvironmentOverridesApply) {
  auto config = LoadDemoConfig({{"CALLFLOW_CALLBACK_RETRY_EVERY", "24h"}});
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->engine.callback.retry_every, 24 * kHour);
}

TEST(DemoConfigTest, ErrorsNameTheEmbeddedSource) {
  auto config = LoadConfigText("[callback]\nretry_every = \"soon\"\n",
                               kDemoConfigSource, {});
  EXPECT_THAT(config, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("callback.retry_every")));
  auto broken = LoadConfigText("[callback\n", kDemoConfigSource, {});
  EXPECT_THAT(broken, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr(kDemoConfigSource)));
}

}  // namespace
}  // namespace callflow::app
