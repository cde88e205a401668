#include "processor/metrics/call_center_metrics.h"

#include <memory>
#include <set>
#include <string>

#include "callflow/v1/events.pb.h"
#include "gtest/gtest.h"
#include "processor/metrics/metrics_server.h"
#include "tests/processor/metrics/scrape.h"
#include "tests/support/status_matchers.h"

namespace callflow::metrics {
namespace {

using ::callflow::metrics::testing::Exposition;
using ::callflow::metrics::testing::Scrape;
using ::callflow_testing::IsOk;
using rules::Fact;
using rules::FactKind;

rules::EngineOptions TwoLines() {
  rules::EngineOptions options;
  options.lines["sales"] = {};
  options.lines["support"] = {};
  options.lines["default"] = {};  // fallback settings, not a line
  return options;
}

class CallCenterMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CALLFLOW_ASSERT_OK_AND_ASSIGN(server_, MetricsServer::Start("127.0.0.1:0"));
    metrics_ =
        std::make_unique<CallCenterMetrics>(server_->registry(), options_);
  }

  Exposition ScrapeNow() {
    auto scraped = Scrape(server_->port());
    EXPECT_THAT(scraped, IsOk());
    return scraped.ok() ? *scraped : Exposition{};
  }

  void Record(FactKind kind, std::string_view line, double value = 1,
              int32_t detail = 0) {
    metrics_->Record(
        Fact{.kind = kind, .line = line, .value = value, .detail = detail});
  }

  rules::EngineOptions options_ = TwoLines();
  std::unique_ptr<CallCenterMetrics> metrics_;
  std::unique_ptr<MetricsServer> server_;
};

TEST_F(CallCenterMetricsTest, CountsCallsPerConfiguredLineAndFoldsTheRest) {
  for (int i = 0; i < 10; ++i) Record(FactKind::kInboundClosed, "sales");
  Record(FactKind::kInboundClosed, "+74951234567");  // a number as a "line"
  Record(FactKind::kInboundClosed, "");
  for (int i = 0; i < 7; ++i) Record(FactKind::kAnswered, "sales");
  Record(FactKind::kMissed, "sales", 1, v1::CallEnded::ABANDONED);
  Record(FactKind::kMissed, "sales", 1, v1::CallEnded::ABANDONED);
  Record(FactKind::kMissed, "sales", 1, 0);  // stale leg
  Record(FactKind::kShortAbandon, "sales");
  Record(FactKind::kConversion, "sales");
  Record(FactKind::kConversion, "sales");
  Record(FactKind::kRefusal, "support");
  Record(FactKind::kInboundStarted, "support");

  Exposition e = ScrapeNow();
  EXPECT_EQ(e.Value("callflow_inbound_calls_total", {{"line", "sales"}}), 10);
  EXPECT_EQ(e.Value("callflow_inbound_calls_total", {{"line", "other"}}), 2);
  EXPECT_EQ(e.Value("callflow_inbound_calls_total", {{"line", "support"}}), 0);
  EXPECT_EQ(e.Value("callflow_answered_calls_total", {{"line", "sales"}}), 7);
  EXPECT_EQ(e.Value("callflow_missed_calls_total",
                    {{"line", "sales"}, {"reason", "ABANDONED"}}),
            2);
  EXPECT_EQ(e.Value("callflow_missed_calls_total",
                    {{"line", "sales"}, {"reason", "STALE"}}),
            1);
  EXPECT_EQ(e.Value("callflow_missed_calls_total",
                    {{"line", "sales"}, {"reason", "BUSY"}}),
            0);
  EXPECT_EQ(e.Value("callflow_short_abandons_total", {{"line", "sales"}}), 1);
  EXPECT_EQ(e.Value("callflow_conversions_total", {{"line", "sales"}}), 2);
  EXPECT_EQ(e.Value("callflow_refusals_total", {{"line", "support"}}), 1);
  EXPECT_EQ(e.Value("callflow_inbound_started_total", {{"line", "support"}}),
            1);
  EXPECT_EQ(metrics_->LineLabel("sales"), "sales");
  EXPECT_EQ(metrics_->LineLabel("default"), "other");
  EXPECT_EQ(metrics_->LineLabel("+74951234567"), "other");
}

TEST_F(CallCenterMetricsTest, QueueWaitHistogramGivesExactServiceLevel) {
  for (double wait : {0.0, 5.0, 12.0, 20.0, 21.0, 45.0, 301.0}) {
    Record(FactKind::kQueueWait, "support", wait);
  }
  Exposition e = ScrapeNow();
  EXPECT_EQ(e.types.at("callflow_queue_wait_seconds"), "histogram");
  auto bucket = [&](const char* le) {
    return e.Value("callflow_queue_wait_seconds_bucket",
                   {{"line", "support"}, {"le", le}});
  };
  EXPECT_EQ(bucket("5"), 2);
  EXPECT_EQ(bucket("20"), 4);  // le is inclusive: 20 s is within 20 s
  EXPECT_EQ(bucket("300"), 6);
  EXPECT_EQ(bucket("+Inf"), 7);
  EXPECT_EQ(e.Value("callflow_queue_wait_seconds_count", {{"line", "support"}}),
            7);
  EXPECT_EQ(e.Value("callflow_queue_wait_seconds_sum", {{"line", "support"}}),
            404);
  std::set<std::string> edges;
  for (const auto* s : e.Named("callflow_queue_wait_seconds_bucket")) {
    if (s->labels.at("line") == "support") edges.insert(s->labels.at("le"));
  }
  EXPECT_EQ(edges,
            (std::set<std::string>{"5", "10", "15", "20", "30", "45", "60",
                                   "90", "120", "180", "300", "+Inf"}));
}

TEST_F(CallCenterMetricsTest, TalkTimeAndFirstAttemptDelayHistograms) {
  Record(FactKind::kTalkTime, "sales", 75);
  Record(FactKind::kFirstAttemptDelay, "sales", 3600);
  Record(FactKind::kFirstAttemptDelay, "sales", 90000);
  Exposition e = ScrapeNow();
  EXPECT_EQ(e.Value("callflow_talk_time_seconds_bucket",
                    {{"line", "sales"}, {"le", "60"}}),
            0);
  EXPECT_EQ(e.Value("callflow_talk_time_seconds_bucket",
                    {{"line", "sales"}, {"le", "120"}}),
            1);
  EXPECT_EQ(e.Value("callflow_callback_first_attempt_delay_seconds_bucket",
                    {{"line", "sales"}, {"le", "3600"}}),
            1);
  EXPECT_EQ(e.Value("callflow_callback_first_attempt_delay_seconds_sum",
                    {{"line", "sales"}}),
            93600);
}

TEST_F(CallCenterMetricsTest, BillingByDirection) {
  Record(FactKind::kBilledMinutes, "sales", 3, v1::CallEvent::INBOUND);
  Record(FactKind::kCostKopecks, "sales", 135, v1::CallEvent::INBOUND);
  Record(FactKind::kBilledMinutes, "sales", 2, v1::CallEvent::OUTBOUND);
  Record(FactKind::kCostKopecks, "sales", 300, v1::CallEvent::OUTBOUND);
  Record(FactKind::kBilledMinutes, "sales", 4, v1::CallEvent::OUTBOUND);
  Exposition e = ScrapeNow();
  EXPECT_EQ(e.Value("callflow_billed_minutes_total",
                    {{"line", "sales"}, {"direction", "INBOUND"}}),
            3);
  EXPECT_EQ(e.Value("callflow_billed_minutes_total",
                    {{"line", "sales"}, {"direction", "OUTBOUND"}}),
            6);
  EXPECT_EQ(e.Value("callflow_cost_kopecks_total",
                    {{"line", "sales"}, {"direction", "OUTBOUND"}}),
            300);
  EXPECT_EQ(e.Value("callflow_cost_kopecks_total",
                    {{"line", "sales"}, {"direction", "INBOUND"}}),
            135);
}

TEST_F(CallCenterMetricsTest, CallbacksTasksAndAlerts) {
  Record(FactKind::kCallbackAttempt, "support", 1,
         v1::CallbackAttempt::NO_ANSWER);
  Record(FactKind::kCallbackAttempt, "support", 1,
         v1::CallbackAttempt::REACHED);
  Record(FactKind::kCallbackReached, "support");
  Record(FactKind::kCallbackUnreachable, "support");
  Record(FactKind::kIgnoredAttempt, "");

  v1::Task task;
  task.set_task_id("cb:+74951234567:e1");
  task.set_caller("+74951234567");
  task.set_line("support");
  task.set_kind(v1::Task::CALLBACK);
  task.set_status(v1::Task::OPEN);
  metrics_->CountTask(task);
  task.set_status(v1::Task::UNREACHABLE);
  metrics_->CountTask(task);
  task.set_kind(v1::Task::EMAIL);
  task.set_status(v1::Task::OPEN);
  metrics_->CountTask(task);

  v1::Alert alert;
  alert.set_kind(v1::Alert::MISSED_RATE_HIGH);
  alert.set_line("support");
  metrics_->CountAlert(alert);
  alert.set_kind(v1::Alert::EMERGENCY);
  alert.set_line("");
  alert.set_zone("building 2");
  metrics_->CountAlert(alert);

  Exposition e = ScrapeNow();
  EXPECT_EQ(e.Value("callflow_callback_attempts_total",
                    {{"line", "support"}, {"result", "NO_ANSWER"}}),
            1);
  EXPECT_EQ(e.Value("callflow_callback_attempts_total",
                    {{"line", "support"}, {"result", "REACHED"}}),
            1);
  EXPECT_EQ(e.Value("callflow_callbacks_reached_total", {{"line", "support"}}),
            1);
  EXPECT_EQ(
      e.Value("callflow_callbacks_unreachable_total", {{"line", "support"}}),
      1);
  EXPECT_EQ(e.Value("callflow_callback_attempts_ignored_total"), 1);
  EXPECT_EQ(
      e.Value("callflow_tasks_total",
              {{"line", "support"}, {"kind", "CALLBACK"}, {"status", "OPEN"}}),
      1);
  EXPECT_EQ(e.Value("callflow_tasks_total", {{"line", "support"},
                                             {"kind", "CALLBACK"},
                                             {"status", "UNREACHABLE"}}),
            1);
  EXPECT_EQ(
      e.Value("callflow_tasks_total",
              {{"line", "support"}, {"kind", "EMAIL"}, {"status", "OPEN"}}),
      1);
  EXPECT_EQ(e.Value("callflow_emails_total", {{"line", "support"}}), 1);
  EXPECT_EQ(e.Value("callflow_alerts_total",
                    {{"line", "support"}, {"kind", "MISSED_RATE_HIGH"}}),
            1);
  EXPECT_EQ(e.Value("callflow_alerts_total",
                    {{"line", "other"}, {"kind", "EMERGENCY"}}),
            1);
}

TEST_F(CallCenterMetricsTest, EventCountersAndDeadLetters) {
  Record(FactKind::kApplied, "");
  Record(FactKind::kApplied, "sales");
  Record(FactKind::kDuplicate, "");
  Record(FactKind::kAnonymous, "sales");
  Record(FactKind::kLateEvent, "sales");
  metrics_->CountDeadLetter(v1::DeadLetter::UNDECODABLE);
  metrics_->CountDeadLetter(v1::DeadLetter::TIMESTAMP_SKEW);
  metrics_->CountDeadLetter(v1::DeadLetter::MISROUTED);
  metrics_->CountDeadLetter(v1::DeadLetter::MISROUTED);
  Exposition e = ScrapeNow();
  EXPECT_EQ(e.Value("callflow_events_applied_total"), 2);
  EXPECT_EQ(e.Value("callflow_events_duplicate_total"), 1);
  EXPECT_EQ(e.Value("callflow_events_anonymous_total"), 1);
  EXPECT_EQ(e.Value("callflow_events_late_total"), 1);
  EXPECT_EQ(e.Value("callflow_dead_letters_total", {{"reason", "undecodable"}}),
            1);
  EXPECT_EQ(
      e.Value("callflow_dead_letters_total", {{"reason", "timestamp_skew"}}),
      1);
  EXPECT_EQ(e.Value("callflow_dead_letters_total", {{"reason", "misrouted"}}),
            2);
  // Every reason has its series from the start, at zero.
  for (rules::RejectReason r : rules::AllRejectReasons()) {
    EXPECT_TRUE(e.Value("callflow_dead_letters_total",
                        {{"reason", std::string(rules::ReasonLabel(r))}})
                    .has_value())
        << rules::ReasonLabel(r);
  }
}

}  // namespace
}  // namespace callflow::metrics
