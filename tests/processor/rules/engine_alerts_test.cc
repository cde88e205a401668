// R6: alerts.
#include <map>
#include <string>

#include "date/tz.h"
#include "gtest/gtest.h"
#include "tests/processor/rules/engine_test_harness.h"
#include "tests/support/status_matchers.h"

namespace callflow::rules::testing {
namespace {

using ::callflow_testing::IsOk;
using v1::Alert;
using v1::CallbackAttempt;
using v1::CallEnded;

TEST(AlertTest, EmergencyForEveryAlarmAtOnce) {
  EngineHarness h;
  ASSERT_THAT(
      h.Apply(CallEventBuilder()
                  .Id("al1")
                  .At("2024-05-01T10:00:00Z")
                  .Line("hotline")
                  .Alarm("Building B", v1::Alarm::FIRE, "smoke on floor 3")),
      IsOk());
  ASSERT_EQ(h.sink().alerts.size(), 1u);
  const Alert& a = h.sink().alerts[0];
  EXPECT_EQ(a.alert_id(), "emg:al1");
  EXPECT_EQ(a.kind(), Alert::EMERGENCY);
  EXPECT_EQ(a.severity(), Alert::CRITICAL);
  EXPECT_TRUE(a.broadcast());
  EXPECT_EQ(a.zone(), "Building B");
  EXPECT_EQ(a.message(), "smoke on floor 3");
  EXPECT_EQ(a.line(), "hotline");
  EXPECT_EQ(Ts(a.occurred_at()), "2024-05-01T10:00:00Z");
}

TEST(AlertTest, SlaBreachWhenFirstAttemptIsLate) {
  EngineHarness h;
  h.MissedCall("m1", "2024-05-01T10:00:00Z", "2024-05-01T10:00:30Z", "c1",
               kE164);
  h.AdvanceTo("2024-05-01T10:59:59Z");
  EXPECT_TRUE(h.sink().alerts.empty());
  // The attempt at 11:30 comes after the due time: the breach fires first.
  ASSERT_THAT(h.Attempt("a1", "2024-05-01T11:30:00Z", kE164, kMissedCallTask,
                        CallbackAttempt::NO_ANSWER),
              IsOk());
  ASSERT_EQ(h.sink().alerts.size(), 1u);
  const Alert& a = h.sink().alerts[0];
  EXPECT_EQ(a.alert_id(), "sla:" + kMissedCallTask);
  EXPECT_EQ(a.kind(), Alert::CALLBACK_SLA_BREACH);
  EXPECT_EQ(a.task_id(), kMissedCallTask);
  EXPECT_EQ(a.caller(), kE164);
  EXPECT_EQ(a.line(), "sales");
  EXPECT_EQ(Ts(a.occurred_at()), "2024-05-01T11:00:00Z");
  EXPECT_EQ(a.threshold(), 3600);
}

TEST(AlertTest, NoSlaBreachWhenAttemptedInTime) {
  EngineHarness h;
  h.MissedCall("m1", "2024-05-01T10:00:00Z", "2024-05-01T10:00:30Z", "c1",
               kE164);
  ASSERT_THAT(h.Attempt("a1", "2024-05-01T11:00:00Z", kE164, kMissedCallTask,
                        CallbackAttempt::NO_ANSWER),
              IsOk());
  h.AdvanceTo("2024-05-02T12:00:00Z");
  EXPECT_TRUE(h.sink().alerts.empty());
}

TEST(AlertTest, TaskOverdueOncePerLaterAttempt) {
  EngineHarness h;
  h.MissedCall("m1", "2024-05-01T10:00:00Z", "2024-05-01T10:00:30Z", "c1",
               kE164);
  ASSERT_THAT(h.Attempt("a1", "2024-05-01T10:30:00Z", kE164, kMissedCallTask,
                        CallbackAttempt::BUSY),
              IsOk());
  // Attempt 2 is due 2024-05-02T10:30; overdue at 12:30.
  h.AdvanceTo("2024-05-02T12:29:59Z");
  EXPECT_TRUE(h.sink().alerts.empty());
  h.AdvanceTo("2024-05-02T12:30:00Z");
  ASSERT_EQ(h.sink().alerts.size(), 1u);
  const Alert& a = h.sink().alerts[0];
  EXPECT_EQ(a.alert_id(), "overdue:" + kMissedCallTask + ":2");
  EXPECT_EQ(a.kind(), Alert::TASK_OVERDUE);
  EXPECT_EQ(Ts(a.occurred_at()), "2024-05-02T12:30:00Z");
  EXPECT_EQ(Ts(a.window_start()), "2024-05-02T10:30:00Z");
  h.AdvanceTo("2024-05-05T00:00:00Z");
  EXPECT_EQ(h.sink().alerts.size(), 1u);
}

TEST(AlertTest, ReminderOverdueWithoutAttempt) {
  EngineHarness h;
  ASSERT_THAT(h.Apply(CallEventBuilder()
                          .Id("e1")
                          .At("2024-05-01T10:00:00Z")
                          .Caller("+74951234567")
                          .Line("sales")
                          .CustomerEvent("ev", "2024-05-04T10:00:00Z")),
              IsOk());
  h.AdvanceTo("2024-05-02T11:59:59Z");
  EXPECT_TRUE(h.sink().alerts.empty());
  h.AdvanceTo("2024-05-02T12:00:00Z");
  ASSERT_EQ(h.sink().alerts.size(), 1u);
  EXPECT_EQ(h.sink().alerts[0].alert_id(), "overdue:rem:+74951234567:ev:1");
  EXPECT_EQ(h.sink().alerts[0].kind(), Alert::TASK_OVERDUE);
}

// A customer event "ev" of kE164 starting at `starts` (reminder due
// `starts` - 48 h but not before `at`, follow-up due `starts` + 48 h).
Verdict Schedule(EngineHarness& h, const std::string& id, const std::string& at,
                 const std::string& starts) {
  return h.Apply(CallEventBuilder()
                     .Id(id)
                     .At(at)
                     .Caller(kE164)
                     .Line("sales")
                     .CustomerEvent("ev", starts));
}
const std::string kRem = std::string("rem:") + kE164 + ":ev";
const std::string kFup = std::string("fup:") + kE164 + ":ev";

// A customer event whose follow-up is due 2024-05-03T07:30; its reminder is
// done in time.
void FollowUpDueAt0730(EngineHarness& h) {
  ASSERT_THAT(Schedule(h, "e1", "2024-04-29T10:00:00Z", "2024-05-01T07:30:00Z"),
              IsOk());
  ASSERT_THAT(h.Attempt("a1", "2024-04-29T10:05:00Z", kE164, kRem,
                        CallbackAttempt::REACHED),
              IsOk());
}

// Issue 10: a follow-up due at 07:30 and first tried at 13:15 raised nothing.
TEST(AlertTest, FollowUpOverdueWhenFirstTriedLate) {
  EngineHarness h;
  FollowUpDueAt0730(h);
  h.AdvanceTo("2024-05-03T09:29:59Z");
  EXPECT_TRUE(h.sink().alerts.empty());
  ASSERT_THAT(h.Attempt("a2", "2024-05-03T13:15:00Z", kE164, kFup,
                        CallbackAttempt::NO_ANSWER),
              IsOk());
  ASSERT_EQ(h.sink().alerts.size(), 1u);
  const Alert& a = h.sink().alerts[0];
  EXPECT_EQ(a.alert_id(), "overdue:" + kFup + ":1");
  EXPECT_EQ(a.kind(), Alert::TASK_OVERDUE);
  EXPECT_EQ(a.severity(), Alert::WARNING);
  EXPECT_EQ(a.task_id(), kFup);
  EXPECT_EQ(a.caller(), kE164);
  EXPECT_EQ(a.line(), "sales");
  EXPECT_EQ(Ts(a.occurred_at()), "2024-05-03T09:30:00Z");
  EXPECT_EQ(Ts(a.window_start()), "2024-05-03T07:30:00Z");
  EXPECT_EQ(Ts(a.window_end()), "2024-05-03T09:30:00Z");
  EXPECT_EQ(a.value(), 7200);
  EXPECT_EQ(a.threshold(), 7200);
  // Once: the failed attempt leaves the task open, but it was tried.
  h.AdvanceTo("2024-05-09T00:00:00Z");
  EXPECT_EQ(h.sink().alerts.size(), 1u);
}

TEST(AlertTest, NoFollowUpOverdueWhenTriedInTime) {
  EngineHarness h;
  FollowUpDueAt0730(h);
  // Exactly at due + overdue_after still counts as in time.
  ASSERT_THAT(h.Attempt("a2", "2024-05-03T09:30:00Z", kE164, kFup,
                        CallbackAttempt::NO_ANSWER),
              IsOk());
  h.AdvanceTo("2024-05-09T00:00:00Z");
  EXPECT_TRUE(h.sink().alerts.empty());
}

// A moved event moves the follow-up: overdue counts from the new due time,
// and the timer of the old one raises nothing.
TEST(AlertTest, MovedFollowUpIsOverdueFromItsNewDueTime) {
  EngineHarness h;
  FollowUpDueAt0730(h);
  ASSERT_THAT(Schedule(h, "e2", "2024-04-30T10:00:00Z", "2024-05-02T07:30:00Z"),
              IsOk());
  h.AdvanceTo("2024-05-04T09:29:59Z");  // past the old due + 2 h
  EXPECT_TRUE(h.sink().alerts.empty());
  h.AdvanceTo("2024-05-04T09:30:00Z");
  ASSERT_EQ(h.sink().alerts.size(), 1u);
  EXPECT_EQ(h.sink().alerts[0].alert_id(), "overdue:" + kFup + ":1");
  EXPECT_EQ(Ts(h.sink().alerts[0].window_start()), "2024-05-04T07:30:00Z");
}

// A reminder alerted as overdue and then moved can be overdue again: the
// second alert is a different alert and must not share the first one's id
// (downstream de-duplicates on alert_id).
TEST(AlertTest, AReminderOverdueAgainAfterAMoveGetsANewAlertId) {
  EngineHarness h;
  // Reminder due at once (the event is less than 48 h away): overdue at 10:00.
  ASSERT_THAT(Schedule(h, "e1", "2024-06-03T08:00:00Z", "2024-06-05T08:00:00Z"),
              IsOk());
  h.AdvanceTo("2024-06-03T10:00:00Z");
  ASSERT_EQ(h.sink().alerts.size(), 1u);
  EXPECT_EQ(h.sink().alerts[0].alert_id(), "overdue:" + kRem + ":1");
  // Moved by a day: the reminder is due 06-04 08:00, overdue at 10:00.
  ASSERT_THAT(Schedule(h, "e2", "2024-06-03T11:00:00Z", "2024-06-06T08:00:00Z"),
              IsOk());
  h.AdvanceTo("2024-06-04T10:00:00Z");
  ASSERT_EQ(h.sink().alerts.size(), 2u);
  EXPECT_EQ(h.sink().alerts[1].alert_id(), "overdue:" + kRem + ":2");
  EXPECT_EQ(Ts(h.sink().alerts[1].window_start()), "2024-06-04T08:00:00Z");
}

// Cancelled after its alert and scheduled again at the same time: the same
// lapse, not a new one; no second alert.
TEST(AlertTest, AFollowUpScheduledAgainAtTheSameTimeIsNotAlertedTwice) {
  EngineHarness h;
  FollowUpDueAt0730(h);
  h.AdvanceTo("2024-05-03T09:30:00Z");
  ASSERT_EQ(h.sink().alerts.size(), 1u);
  ASSERT_THAT(h.Apply(CallEventBuilder()
                          .Id("e2")
                          .At("2024-05-03T10:00:00Z")
                          .Caller(kE164)
                          .Line("sales")
                          .CustomerEvent("ev", "2024-05-01T07:30:00Z", "",
                                         /*cancelled=*/true)),
              IsOk());
  ASSERT_THAT(Schedule(h, "e3", "2024-05-03T10:30:00Z", "2024-05-01T07:30:00Z"),
              IsOk());
  h.AdvanceTo("2024-05-03T12:00:00Z");
  EXPECT_EQ(h.sink().alerts.size(), 1u);
}

// Every task the dialer works has a due time and raises TASK_OVERDUE when
// nobody tries it: the callback's later attempts, the reminder and the
// follow-up. (Attempt 1 of a callback has its SLA breach instead.)
TEST(AlertTest, EveryDialledTaskKindCanBeOverdue) {
  EngineHarness h;
  h.MissedCall("m1", "2024-04-29T09:00:00Z", "2024-04-29T09:00:30Z", "c1",
               kE164);
  ASSERT_THAT(h.Attempt("a1", "2024-04-29T09:30:00Z", kE164, kMissedCallTask,
                        CallbackAttempt::BUSY),
              IsOk());
  ASSERT_THAT(Schedule(h, "e1", "2024-04-29T10:00:00Z", "2024-05-01T07:30:00Z"),
              IsOk());
  h.AdvanceTo("2024-05-10T00:00:00Z");
  std::map<std::string, int> by_id;
  for (const Alert& a : h.sink().alerts) {
    EXPECT_EQ(a.kind(), Alert::TASK_OVERDUE) << a.alert_id();
    ++by_id[a.alert_id()];
  }
  EXPECT_EQ(by_id, (std::map<std::string, int>{
                       {"overdue:" + kMissedCallTask + ":2", 1},
                       {"overdue:" + kRem + ":1", 1},
                       {"overdue:" + kFup + ":1", 1}}));
}

void Calls(EngineHarness& h, int answered, int missed,
           const std::string& hhmm) {
  for (int i = 0; i < answered + missed; ++i) {
    std::string id = hhmm + "-" + std::to_string(i);
    std::string caller = "+7495100" + std::to_string(1000 + i);
    std::string at = "2024-05-01T" + hhmm + ":" + (i < 10 ? "0" : "") +
                     std::to_string(i) + "Z";
    ASSERT_THAT(h.Apply(Leg(id + "s", at, id, caller).Started()), IsOk());
    const CallEnded::EndReason end =
        i < answered ? CallEnded::COMPLETED : CallEnded::ABANDONED;
    ASSERT_THAT(h.Apply(Leg(id + "e", at, id, caller).Ended(end)), IsOk());
  }
}

TEST(AlertTest, MissedRateHighWhenWindowCloses) {
  EngineHarness h;
  Calls(h, 16, 4, "10:01");  // 20 calls, 20 % missed
  h.AdvanceTo("2024-05-01T10:04:59Z");
  EXPECT_TRUE(h.sink().alerts.empty());  // the window is still open
  Calls(h, 16, 3, "10:06");              // 19 calls: under min_calls
  ASSERT_EQ(h.sink().alerts.size(), 1u);
  h.AdvanceTo("2024-05-01T10:15:00Z");
  ASSERT_EQ(h.sink().alerts.size(), 1u);
  const Alert& a = h.sink().alerts[0];
  EXPECT_EQ(a.kind(), Alert::MISSED_RATE_HIGH);
  EXPECT_EQ(a.alert_id(), "missed_rate:sales:1714557600");
  EXPECT_EQ(a.line(), "sales");
  EXPECT_DOUBLE_EQ(a.value(), 0.2);
  EXPECT_DOUBLE_EQ(a.threshold(), 0.2);
  EXPECT_EQ(Ts(a.window_start()), "2024-05-01T10:00:00Z");
  EXPECT_EQ(Ts(a.window_end()), "2024-05-01T10:05:00Z");
}

EngineOptions SilentLineOptions() {
  EngineOptions options;
  LineOptions& line = options.lines["sales"];
  line.tz = date::locate_zone("Europe/Moscow");
  line.business_open_minute = 9 * 60;
  line.business_close_minute = 18 * 60;
  line.max_silence = 30 * kMinute;
  return options;
}

TEST(AlertTest, LineSilentCountsOnlyBusinessHours) {
  EngineHarness h(SilentLineOptions());
  // 17:50 Moscow = 14:50 UTC; 10 min left today, 20 min tomorrow from 09:00.
  ASSERT_THAT(h.Apply(Leg("s1", "2024-05-01T14:50:00Z", "c1", kE164).Started()),
              IsOk());
  ASSERT_THAT(h.Apply(Leg("s2", "2024-05-01T14:55:00Z", "c1", kE164)
                          .Ended(CallEnded::COMPLETED)),
              IsOk());
  h.AdvanceTo("2024-05-02T06:19:59Z");
  EXPECT_TRUE(h.sink().alerts.empty());
  h.AdvanceTo("2024-05-02T06:20:00Z");
  ASSERT_EQ(h.sink().alerts.size(), 1u);
  const Alert& a = h.sink().alerts[0];
  EXPECT_EQ(a.kind(), Alert::LINE_SILENT);
  EXPECT_EQ(a.line(), "sales");
  EXPECT_EQ(Ts(a.window_start()), "2024-05-01T14:50:00Z");
  EXPECT_EQ(Ts(a.occurred_at()), "2024-05-02T06:20:00Z");
  h.AdvanceTo("2024-05-03T12:00:00Z");
  EXPECT_EQ(h.sink().alerts.size(), 1u);  // once per silence
}

TEST(AlertTest, AddBusinessTimeSkipsNights) {
  LineOptions line = SilentLineOptions().lines["sales"];
  // Before opening: counting starts at 09:00 Moscow (06:00 UTC).
  EXPECT_EQ(FormatTime(
                AddBusinessTime(line, T("2024-05-01T02:00:00Z"), 30 * kMinute)),
            "2024-05-01T06:30:00Z");
  // Overnight hours (22:00-06:00 Moscow = 19:00-03:00 UTC).
  line.business_open_minute = 22 * 60;
  line.business_close_minute = 6 * 60;
  EXPECT_EQ(FormatTime(
                AddBusinessTime(line, T("2024-05-01T02:40:00Z"), 30 * kMinute)),
            "2024-05-01T19:10:00Z");
  LineOptions always;
  EXPECT_EQ(AddBusinessTime(always, 0, kHour), kHour);
}

}  // namespace
}  // namespace callflow::rules::testing
