// MetricsBridge turns what the pipeline reports (PipelineStats counters,
// acknowledged poll times, committed partition stats) into the exposition.
#include "processor/pipeline/metrics_bridge.h"

#include <chrono>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "processor/metrics/call_center_metrics.h"
#include "processor/metrics/metrics_server.h"
#include "processor/metrics/pipeline_metrics.h"
#include "tests/processor/metrics/scrape.h"

namespace callflow::pipeline {
namespace {

using ::callflow::metrics::testing::Exposition;
using ::callflow::metrics::testing::Scrape;

class MetricsBridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = metrics::MetricsServer::Start("127.0.0.1:0");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    calls_ = std::make_unique<metrics::CallCenterMetrics>(server_->registry(),
                                                          options_);
    pipeline_ = std::make_unique<metrics::PipelineMetrics>(server_->registry());
    bridge_ = std::make_unique<MetricsBridge>(*calls_, *pipeline_);
  }

  Exposition ScrapeNow() {
    auto scraped = Scrape(server_->port());
    EXPECT_TRUE(scraped.ok()) << scraped.status();
    return scraped.ok() ? *scraped : Exposition{};
  }

  rules::EngineOptions options_;
  std::unique_ptr<metrics::MetricsServer> server_;
  std::unique_ptr<metrics::CallCenterMetrics> calls_;
  std::unique_ptr<metrics::PipelineMetrics> pipeline_;
  std::unique_ptr<MetricsBridge> bridge_;
};

TEST_F(MetricsBridgeTest, FirstSampleCountsEverythingConsumedSoFar) {
  PipelineStats stats(1);
  stats.partitions[3].owned = true;
  stats.partitions[3].consumed = 5;
  bridge_->Sample(stats, 16);
  EXPECT_EQ(
      ScrapeNow().Value("callflow_events_consumed_total", {{"partition", "3"}}),
      5);
  stats.partitions[3].consumed = 12;
  bridge_->Sample(stats, 16);
  EXPECT_EQ(
      ScrapeNow().Value("callflow_events_consumed_total", {{"partition", "3"}}),
      12);
}

TEST_F(MetricsBridgeTest, RevokedAndReassignedPartitionCountsOnlyNewEvents) {
  PipelineStats stats(1);
  stats.partitions[2].owned = true;
  stats.partitions[2].consumed = 10;
  bridge_->Sample(stats, 16);
  stats.partitions[2].owned = false;
  bridge_->Sample(stats, 16);
  EXPECT_FALSE(
      ScrapeNow()
          .Value("callflow_events_consumed_total", {{"partition", "2"}})
          .has_value());
  stats.partitions[2].owned = true;
  stats.partitions[2].consumed = 14;  // PipelineStats counts on
  bridge_->Sample(stats, 16);
  EXPECT_EQ(
      ScrapeNow().Value("callflow_events_consumed_total", {{"partition", "2"}}),
      4);
}

TEST_F(MetricsBridgeTest, AcknowledgedMessagesFeedTheLatencyHistogram) {
  const auto acked = std::chrono::steady_clock::now();
  const std::vector<std::chrono::steady_clock::time_point> polled = {
      acked - std::chrono::milliseconds(3),
      acked - std::chrono::milliseconds(300), acked - std::chrono::seconds(2)};
  bridge_->OnAcknowledged(0, acked, polled);
  Exposition e = ScrapeNow();
  EXPECT_EQ(e.Value("callflow_processing_latency_seconds_count"), 3);
  ASSERT_TRUE(e.Value("callflow_processing_latency_seconds_sum").has_value());
  EXPECT_NEAR(*e.Value("callflow_processing_latency_seconds_sum"), 2.303, 1e-6);
}

TEST_F(MetricsBridgeTest, CommittedPartitionStatsBecomeStateGauges) {
  bridge_->OnPartitionCommitted(1, 6,
                                {.estimated_keys = 321,
                                 .live_data_bytes = 4096,
                                 .pending_compaction_bytes = 0,
                                 .cached_callers = 17});
  Exposition e = ScrapeNow();
  EXPECT_EQ(e.Value("callflow_state_estimated_keys", {{"partition", "6"}}),
            321);
  EXPECT_EQ(e.Value("callflow_state_live_data_bytes", {{"partition", "6"}}),
            4096);
  EXPECT_EQ(e.Value("callflow_state_cached_callers", {{"partition", "6"}}), 17);
}

}  // namespace
}  // namespace callflow::pipeline
