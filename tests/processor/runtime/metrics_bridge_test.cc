// MetricsBridge turns what the pipeline reports (PipelineStats counters,
// acknowledged poll times, committed partition stats) into the exposition.
#include "processor/runtime/metrics_bridge.h"

#include <chrono>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "processor/metrics/call_center_metrics.h"
#include "processor/metrics/metrics_server.h"
#include "processor/metrics/pipeline_metrics.h"
#include "tests/processor/metrics/scrape.h"
#include "tests/support/status_matchers.h"

namespace callflow::runtime {
using pipeline::PartitionPhase;
using pipeline::PipelineStats;
namespace {

using ::callflow::metrics::testing::Exposition;
using ::callflow::metrics::testing::Scrape;
using ::callflow_testing::IsOk;

class MetricsBridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CALLFLOW_ASSERT_OK_AND_ASSIGN(server_,
                                  metrics::MetricsServer::Start("127.0.0.1:0"));
    calls_ = std::make_unique<metrics::CallCenterMetrics>(server_->registry(),
                                                          options_);
    pipeline_ = std::make_unique<metrics::PipelineMetrics>(server_->registry());
    bridge_ = std::make_unique<MetricsBridge>(*calls_, *pipeline_);
  }

  Exposition ScrapeNow() {
    auto scraped = Scrape(server_->port());
    EXPECT_THAT(scraped, IsOk());
    return scraped.ok() ? *scraped : Exposition{};
  }

  rules::EngineOptions options_;
  std::unique_ptr<metrics::MetricsServer> server_;
  std::unique_ptr<metrics::CallCenterMetrics> calls_;
  std::unique_ptr<metrics::PipelineMetrics> pipeline_;
  std::unique_ptr<MetricsBridge> bridge_;
};

// What the shard sets when it takes (or gives up) a partition.
void Own(PipelineStats& stats, int32_t p, bool owned) {
  stats.partitions[p].owned = owned;
  stats.partitions[p].phase =
      static_cast<int>(owned ? PartitionPhase::kActive : PartitionPhase::kNone);
}

TEST_F(MetricsBridgeTest, PartitionSeriesFollowTheHandOver) {
  PipelineStats stats(1);
  stats.partitions[5].phase = static_cast<int>(PartitionPhase::kRestoring);
  stats.partitions[5].restore_lag = 1200;
  stats.restore_records = 300;
  bridge_->Sample(stats, 16);
  Exposition e = ScrapeNow();
  EXPECT_EQ(e.Value("callflow_partition_state",
                    {{"partition", "5"}, {"state", "restoring"}}),
            1);
  EXPECT_EQ(e.Value("callflow_partition_state",
                    {{"partition", "5"}, {"state", "active"}}),
            0);
  EXPECT_EQ(e.Value("callflow_restore_lag_records", {{"partition", "5"}}),
            1200);
  EXPECT_EQ(e.Value("callflow_restore_records_total"), 300);
  Own(stats, 5, true);
  stats.partitions[5].lag = 40;
  bridge_->Sample(stats, 16);
  e = ScrapeNow();
  EXPECT_EQ(e.Value("callflow_partition_state",
                    {{"partition", "5"}, {"state", "active"}}),
            1);
  EXPECT_EQ(e.Value("callflow_consumer_lag_messages", {{"partition", "5"}}),
            40);
  // Gone from this instance: no series left (a dashboard summing over
  // instances counts it once, and a lag it had does not linger).
  Own(stats, 5, false);
  bridge_->Sample(stats, 16);
  e = ScrapeNow();
  EXPECT_FALSE(e.Value("callflow_consumer_lag_messages", {{"partition", "5"}})
                   .has_value());
  EXPECT_FALSE(e.Value("callflow_partition_state",
                       {{"partition", "5"}, {"state", "active"}})
                   .has_value());
}

TEST_F(MetricsBridgeTest, FirstSampleCountsEverythingConsumedSoFar) {
  PipelineStats stats(1);
  Own(stats, 3, true);
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
  Own(stats, 2, true);
  stats.partitions[2].consumed = 10;
  bridge_->Sample(stats, 16);
  Own(stats, 2, false);
  bridge_->Sample(stats, 16);
  EXPECT_FALSE(
      ScrapeNow()
          .Value("callflow_events_consumed_total", {{"partition", "2"}})
          .has_value());
  Own(stats, 2, true);
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
}  // namespace callflow::runtime
