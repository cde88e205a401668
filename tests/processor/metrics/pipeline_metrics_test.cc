#include "processor/metrics/pipeline_metrics.h"

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "processor/metrics/metrics_server.h"
#include "tests/processor/metrics/scrape.h"
#include "tests/support/status_matchers.h"

namespace callflow::metrics {
namespace {

using ::callflow::metrics::testing::Exposition;
using ::callflow::metrics::testing::Scrape;
using ::callflow_testing::IsOk;

class PipelineMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CALLFLOW_ASSERT_OK_AND_ASSIGN(server_, MetricsServer::Start("127.0.0.1:0"));
    metrics_ = std::make_unique<PipelineMetrics>(
        server_->registry(), [this] { return now_.load(); });
    hook_ = std::make_unique<MetricsServer::ScrapeHook>(
        server_->AddScrapeHook([this] { metrics_->Refresh(); }));
  }
  void TearDown() override { hook_.reset(); }

  Exposition ScrapeNow() {
    auto scraped = Scrape(server_->port());
    EXPECT_THAT(scraped, IsOk());
    return scraped.ok() ? *scraped : Exposition{};
  }

  std::atomic<rules::TimeNs> now_{1'700'000'000 * rules::kSecond};
  std::unique_ptr<MetricsServer> server_;
  std::unique_ptr<PipelineMetrics> metrics_;
  std::unique_ptr<MetricsServer::ScrapeHook> hook_;
};

TEST_F(PipelineMetricsTest, PerPartitionSeriesLiveWhileAssigned) {
  metrics_->AddConsumed(0, 100);
  metrics_->AddConsumed(0, 20);
  metrics_->AddConsumed(3, 7);
  metrics_->SetConsumerLag(3, 42);
  metrics_->SetPartitionState(3, {.estimated_keys = 1000,
                                  .live_data_bytes = 2048,
                                  .pending_compaction_bytes = 4096,
                                  .cached_callers = 77});
  Exposition e = ScrapeNow();
  EXPECT_EQ(e.Value("callflow_events_consumed_total", {{"partition", "0"}}),
            120);
  EXPECT_EQ(e.Value("callflow_events_consumed_total", {{"partition", "3"}}), 7);
  EXPECT_EQ(e.Value("callflow_consumer_lag_messages", {{"partition", "3"}}),
            42);
  EXPECT_EQ(e.Value("callflow_state_estimated_keys", {{"partition", "3"}}),
            1000);
  EXPECT_EQ(e.Value("callflow_state_live_data_bytes", {{"partition", "3"}}),
            2048);
  EXPECT_EQ(
      e.Value("callflow_state_pending_compaction_bytes", {{"partition", "3"}}),
      4096);
  EXPECT_EQ(e.Value("callflow_state_cached_callers", {{"partition", "3"}}), 77);

  metrics_->RemovePartition(3);
  metrics_->RemovePartition(9);  // never assigned: no-op
  Exposition after = ScrapeNow();
  EXPECT_FALSE(
      after.Value("callflow_consumer_lag_messages", {{"partition", "3"}}));
  EXPECT_FALSE(
      after.Value("callflow_events_consumed_total", {{"partition", "3"}}));
  EXPECT_EQ(after.Value("callflow_events_consumed_total", {{"partition", "0"}}),
            120);
}

TEST_F(PipelineMetricsTest, EventTimeLagIsComputedAtScrapeTime) {
  Exposition before = ScrapeNow();
  EXPECT_EQ(before.Value("callflow_event_time_lag_seconds"), 0);

  metrics_->SetWatermark(now_.load() - 90 * rules::kSecond);
  EXPECT_EQ(ScrapeNow().Value("callflow_event_time_lag_seconds"), 90);
  // The pipeline stalls: the lag grows with the clock, no new watermark.
  now_ += 60 * rules::kSecond;
  Exposition e = ScrapeNow();
  EXPECT_EQ(e.Value("callflow_event_time_lag_seconds"), 150);
  EXPECT_EQ(e.Value("callflow_watermark_timestamp_seconds"),
            1'700'000'000 - 90);
}

TEST_F(PipelineMetricsTest, BackpressureLatencyAndErrors) {
  metrics_->SetRingCapacity(65536);
  metrics_->SetRingOccupancy(0, 10);
  metrics_->SetRingOccupancy(1, 65536);
  metrics_->SetRingOccupancy(0, 12);
  metrics_->SetPausedPartitions(2);
  metrics_->ObserveProcessingLatency(0.003);
  metrics_->ObserveProcessingLatency(0.2);
  metrics_->ObserveCommitDuration(0.02);
  metrics_->CountDeliveryError();
  metrics_->SetBlockCacheUsage(1 << 20);
  Exposition e = ScrapeNow();
  EXPECT_EQ(e.Value("callflow_ring_capacity_messages"), 65536);
  EXPECT_EQ(e.Value("callflow_ring_occupancy_messages", {{"shard", "0"}}), 12);
  EXPECT_EQ(e.Value("callflow_ring_occupancy_messages", {{"shard", "1"}}),
            65536);
  EXPECT_EQ(e.Value("callflow_paused_partitions"), 2);
  EXPECT_EQ(
      e.Value("callflow_processing_latency_seconds_bucket", {{"le", "0.005"}}),
      1);
  EXPECT_EQ(e.Value("callflow_processing_latency_seconds_count"), 2);
  EXPECT_EQ(
      e.Value("callflow_commit_duration_seconds_bucket", {{"le", "0.025"}}), 1);
  EXPECT_EQ(e.Value("callflow_producer_delivery_errors_total"), 1);
  EXPECT_EQ(e.Value("callflow_state_block_cache_usage_bytes"), 1 << 20);
}

TEST_F(PipelineMetricsTest, ResidentMemoryFollowsTouchedPages) {
  absl::StatusOr<uint64_t> before = ResidentMemoryBytes();
  ASSERT_THAT(before, IsOk());
  EXPECT_EQ(*before % static_cast<uint64_t>(sysconf(_SC_PAGESIZE)), 0u);
  constexpr size_t kBytes = 64u << 20;
  std::vector<char> block(kBytes);
  std::memset(block.data(), 1, block.size());
  absl::StatusOr<uint64_t> after = ResidentMemoryBytes();
  ASSERT_THAT(after, IsOk());
  EXPECT_GE(*after, *before + kBytes / 2);
  Exposition e = ScrapeNow();
  auto rss = e.Value("callflow_process_resident_memory_bytes");
  ASSERT_TRUE(rss);
  EXPECT_GE(*rss, static_cast<double>(kBytes));
  EXPECT_EQ(block[kBytes - 1], 1);
}

}  // namespace
}  // namespace callflow::metrics
