#include "processor/rules/kpis.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "callflow/v1/events.pb.h"

namespace callflow::rules {
namespace {

using ::testing::HasSubstr;

Fact MakeFact(FactKind kind, std::string_view line, double value = 1,
              int32_t detail = 0) {
  return Fact{kind, line, value, detail, 0};
}

v1::Task MakeTask(const std::string& id, v1::Task::Kind kind,
                  v1::Task::Status status, const std::string& line,
                  uint32_t attempt = 1, const std::string& reason = "") {
  v1::Task t;
  t.set_task_id(id);
  t.set_kind(kind);
  t.set_status(status);
  t.set_line(line);
  t.set_attempt(attempt);
  t.set_reason(reason);
  return t;
}

// 10 inbound calls on "sales" (8 answered, 2 missed), 2 contracts, a refusal,
// billing on "sales" and "support".
KpiAccumulator TenCalls() {
  KpiAccumulator k;
  for (int i = 0; i < 10; ++i) {
    k.AddFact(MakeFact(FactKind::kInboundClosed, "sales"));
    k.AddFact(
        MakeFact(i < 8 ? FactKind::kAnswered : FactKind::kMissed, "sales"));
  }
  k.AddFact(MakeFact(FactKind::kConversion, "sales"));
  k.AddFact(MakeFact(FactKind::kConversion, "sales"));
  k.AddFact(MakeFact(FactKind::kRefusal, "sales"));
  k.AddFact(MakeFact(FactKind::kBilledMinutes, "sales", 3, 1));
  k.AddFact(MakeFact(FactKind::kCostKopecks, "sales", 135, 1));
  k.AddFact(MakeFact(FactKind::kBilledMinutes, "support", 2, 2));
  k.AddFact(MakeFact(FactKind::kCostKopecks, "support", 500, 2));
  return k;
}

TEST(KpiAccumulator, CountsCallsPerLineAndInTotal) {
  KpiAccumulator k = TenCalls();
  EXPECT_EQ(k.totals().inbound_calls, 10u);
  EXPECT_EQ(k.totals().answered, 8u);
  EXPECT_EQ(k.totals().missed, 2u);
  EXPECT_DOUBLE_EQ(k.totals().missed_rate(), 0.2);
  // docs/RULES.md R4: 10 calls, 2 contracts = 20 %.
  EXPECT_DOUBLE_EQ(k.totals().conversion_rate(), 0.2);
  EXPECT_EQ(k.totals().refusals, 1u);
  EXPECT_EQ(k.totals().billable_minutes, 5);
  EXPECT_EQ(k.totals().cost_kopecks, 635);
  ASSERT_EQ(k.lines().size(), 2u);
  EXPECT_EQ(k.lines().at("sales").inbound_calls, 10u);
  EXPECT_EQ(k.lines().at("sales").cost_kopecks, 135);
  EXPECT_EQ(k.lines().at("support").inbound_calls, 0u);
  EXPECT_EQ(k.lines().at("support").billable_minutes, 2);
  EXPECT_DOUBLE_EQ(k.lines().at("support").missed_rate(), 0.0);
  EXPECT_DOUBLE_EQ(k.lines().at("support").conversion_rate(), 0.0);
}

TEST(KpiAccumulator, FactsWithoutALineCountInTotalsOnly) {
  KpiAccumulator k;
  k.AddFact(MakeFact(FactKind::kInboundClosed, ""));
  EXPECT_EQ(k.totals().inbound_calls, 1u);
  EXPECT_TRUE(k.lines().empty());
}

TEST(KpiAccumulator, CountsEventsFromFactsAndTheDriver) {
  KpiAccumulator k;
  k.AddEventsRead(5);
  k.AddDeadLetters();
  k.AddFact(MakeFact(FactKind::kApplied, ""));
  k.AddFact(MakeFact(FactKind::kApplied, ""));
  k.AddFact(MakeFact(FactKind::kAnonymous, ""));
  k.AddFact(MakeFact(FactKind::kDuplicate, ""));
  k.AddFact(MakeFact(FactKind::kQueueWait, "sales", 30));  // metrics only
  EXPECT_EQ(k.events().read, 5u);
  EXPECT_EQ(k.events().applied, 2u);
  EXPECT_EQ(k.events().anonymous, 1u);
  EXPECT_EQ(k.events().duplicates, 1u);
  EXPECT_EQ(k.events().dead_letters, 1u);
  EXPECT_TRUE(k.lines().empty());
}

TEST(KpiAccumulator, CallbackOutcomesFromTasks) {
  KpiAccumulator k;
  using T = v1::Task;
  k.AddTask(MakeTask("cb:a", T::CALLBACK, T::OPEN, "sales"));
  k.AddTask(MakeTask("cb:a", T::CALLBACK, T::UPDATED, "sales"));  // 2nd missed
  k.AddTask(MakeTask("cb:a", T::CALLBACK, T::UPDATED, "sales", 2));  // retry
  k.AddTask(MakeTask("cb:a", T::CALLBACK, T::UPDATED, "sales", 3));  // retry
  k.AddTask(MakeTask("cb:a", T::CALLBACK, T::UNREACHABLE, "sales", 3));
  k.AddTask(MakeTask("cb:a:email", T::EMAIL, T::OPEN, "sales"));
  k.AddTask(MakeTask("cb:b", T::CALLBACK, T::OPEN, "support"));
  k.AddTask(MakeTask("cb:b", T::CALLBACK, T::DONE, "support", 1, "reached"));
  k.AddTask(MakeTask("cb:c", T::CALLBACK, T::OPEN, "support"));
  k.AddTask(MakeTask("cb:c", T::CALLBACK, T::DONE, "support", 1,
                     "client_called_back"));
  k.AddTask(MakeTask("rem:x", T::REMINDER, T::OPEN, "support"));
  const LineKpis& t = k.totals();
  EXPECT_EQ(t.callbacks_opened, 3u);
  EXPECT_EQ(t.callbacks_retried, 2u);
  EXPECT_EQ(t.callbacks_unreachable, 1u);
  EXPECT_EQ(t.emails, 1u);
  EXPECT_EQ(t.callbacks_reached, 1u);
  EXPECT_EQ(t.callbacks_called_back, 1u);
  EXPECT_EQ(k.lines().at("sales").callbacks_retried, 2u);
  EXPECT_EQ(k.lines().at("support").callbacks_reached, 1u);
  EXPECT_EQ(k.tasks().at("CALLBACK").at("UPDATED"), 3u);
  EXPECT_EQ(k.tasks().at("CALLBACK").at("OPEN"), 3u);
  EXPECT_EQ(k.tasks().at("EMAIL").at("OPEN"), 1u);
  EXPECT_EQ(k.tasks().at("REMINDER").at("OPEN"), 1u);
}

TEST(KpiAccumulator, SummaryJsonHasTheSpecKeysSortedAndStable) {
  KpiAccumulator k = TenCalls();
  k.AddEventsRead(3);
  k.AddFact(MakeFact(FactKind::kApplied, ""));
  k.AddFact(MakeFact(FactKind::kCallbackAttempt, "sales", 1,
                     v1::CallbackAttempt::NO_ANSWER));
  k.AddTask(MakeTask("cb:a", v1::Task::CALLBACK, v1::Task::OPEN, "sales"));
  v1::Alert alert;
  alert.set_kind(v1::Alert::EMERGENCY);
  k.AddAlert(alert);
  k.AddAlert(alert);
  const std::string expected = R"({
  "alerts": {
    "EMERGENCY": 2
  },
  "callbacks": {
    "attempts": {
      "NO_ANSWER": 1
    },
    "client_called_back": 0,
    "emails": 0,
    "ignored_attempts": 0,
    "opened": 1,
    "reached": 0,
    "retried": 0,
    "unreachable": 0
  },
  "events": {
    "anonymous": 0,
    "applied": 1,
    "dead_letters": 0,
    "duplicates": 0,
    "read": 3
  },
  "lines": {
    "sales": {
      "answered": 8,
      "billable_minutes": 3,
      "conversion_rate": 0.2,
      "conversions": 2,
      "cost_kopecks": 135,
      "inbound_calls": 10,
      "missed": 2,
      "missed_rate": 0.2,
      "refusals": 1
    },
    "support": {
      "answered": 0,
      "billable_minutes": 2,
      "conversion_rate": 0,
      "conversions": 0,
      "cost_kopecks": 500,
      "inbound_calls": 0,
      "missed": 0,
      "missed_rate": 0,
      "refusals": 0
    }
  },
  "tasks": {
    "CALLBACK": {
      "OPEN": 1
    }
  },
  "totals": {
    "answered": 8,
    "billable_minutes": 5,
    "conversion_rate": 0.2,
    "conversions": 2,
    "cost_kopecks": 635,
    "inbound_calls": 10,
    "missed": 2,
    "missed_rate": 0.2,
    "refusals": 1
  }
}
)";
  EXPECT_EQ(k.SummaryJson(), expected);
}

TEST(KpiAccumulator, SummaryJsonOfNothingHasEmptyObjectsAndZeroRates) {
  KpiAccumulator k;
  const std::string json = k.SummaryJson();
  EXPECT_THAT(json, HasSubstr("\"lines\": {}"));
  EXPECT_THAT(json, HasSubstr("\"tasks\": {}"));
  EXPECT_THAT(json, HasSubstr("\"alerts\": {}"));
  EXPECT_THAT(json, HasSubstr("\"missed_rate\": 0,"));
  EXPECT_THAT(json, HasSubstr("\"conversion_rate\": 0,"));
}

TEST(KpiAccumulator, SummaryJsonEscapesLineNames) {
  KpiAccumulator k;
  k.AddFact(MakeFact(FactKind::kInboundClosed, "a\"b\\c\n"));
  EXPECT_THAT(k.SummaryJson(), HasSubstr(R"("a\"b\\c\u000a": {)"));
}

TEST(FormatKpiReport, ShowsLinesTotalsCallbacksAndAlerts) {
  KpiAccumulator k = TenCalls();
  k.AddTask(MakeTask("cb:a", v1::Task::CALLBACK, v1::Task::OPEN, "sales"));
  v1::Alert alert;
  alert.set_kind(v1::Alert::MISSED_RATE_HIGH);
  k.AddAlert(alert);
  const std::string report = FormatKpiReport(k);
  EXPECT_THAT(report, HasSubstr("sales"));
  EXPECT_THAT(report, HasSubstr("TOTAL"));
  EXPECT_THAT(report, HasSubstr("20.0%"));  // missed and conversion
  EXPECT_THAT(report, HasSubstr("6.35"));   // 635 kopecks in roubles
  EXPECT_THAT(report, HasSubstr("1.35"));
  EXPECT_THAT(report, HasSubstr("Callbacks:"));
  EXPECT_THAT(report, HasSubstr("MISSED_RATE_HIGH 1"));
  EXPECT_EQ(report, FormatKpiReport(k));
}

TEST(FormatKpiReport, SaysNoneWithoutAlerts) {
  KpiAccumulator k;
  EXPECT_THAT(FormatKpiReport(k), HasSubstr("Alerts: none"));
}

}  // namespace
}  // namespace callflow::rules
