// R1 screen-pop, R3 customer events, R4 conversion, R5 billing, R7 order,
// duplicates and dead letters.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/processor/rules/engine_test_harness.h"
#include "tests/support/status_matchers.h"

namespace callflow::rules::testing {
namespace {

using ::callflow_testing::IsOk;
using v1::CallbackAttempt;
using v1::CallEnded;
using v1::ContactContext;
using v1::Task;
// kE164 written with spaces, as a PBX may send it.
constexpr char kSpacedCaller[] = "+7 495 123-45-67";

v1::CallEvent Disposition(const std::string& id, const std::string& at,
                          v1::Disposition::Outcome outcome,
                          const std::string& case_id,
                          const std::string& line = "sales") {
  return CallEventBuilder()
      .Id(id)
      .At(at)
      .Caller(kSpacedCaller)
      .Line(line)
      .Disposition(outcome, case_id);
}

TEST(ScreenPopTest, NewCallerGetsNewCase) {
  EngineHarness h;
  ASSERT_THAT(
      h.Apply(Leg("s1", "2024-05-01T10:00:00Z", "c1", "8 (495) 123-45-67")
                  .Started()),
      IsOk());
  ASSERT_EQ(h.sink().contacts.size(), 1u);
  const ContactContext& c = h.sink().contacts[0];
  EXPECT_EQ(c.caller(), kE164);
  EXPECT_EQ(c.call_id(), "c1");
  EXPECT_TRUE(c.is_new());
  EXPECT_EQ(c.inbound_calls(), 0u);
  EXPECT_EQ(c.missed_calls(), 0u);
  EXPECT_FALSE(c.has_last_call_at());
  EXPECT_EQ(c.suggested_action(), ContactContext::NEW_CASE);
  EXPECT_EQ(c.contact_id().substr(0, 2), "c-");
  EXPECT_EQ(Ts(c.occurred_at()), "2024-05-01T10:00:00Z");
}

TEST(ScreenPopTest, KnownCallerWithOpenCaseIsConsulted) {
  EngineHarness h;
  h.MissedCall("m1", "2024-05-01T10:00:00Z", "2024-05-01T10:00:30Z", "c1",
               kSpacedCaller);
  ASSERT_THAT(h.Apply(Disposition("d1", "2024-05-01T10:01:00Z",
                                  v1::Disposition::NEW_CASE, "case-1")),
              IsOk());
  ASSERT_THAT(h.Apply(CallEventBuilder()
                          .Id("u1")
                          .At("2024-05-01T10:02:00Z")
                          .Caller("+74951234567")
                          .Contact("x@y.ru", "CRM-7")),
              IsOk());
  ASSERT_THAT(
      h.Apply(Leg("s2", "2024-05-01T10:30:00Z", "c2", kSpacedCaller).Started()),
      IsOk());
  ASSERT_EQ(h.sink().contacts.size(), 2u);
  const ContactContext& c = h.sink().contacts[1];
  EXPECT_FALSE(c.is_new());
  EXPECT_EQ(c.inbound_calls(), 1u);
  EXPECT_EQ(c.missed_calls(), 1u);
  EXPECT_EQ(Ts(c.last_call_at()), "2024-05-01T10:00:00Z");
  ASSERT_EQ(c.open_case_ids_size(), 1);
  EXPECT_EQ(c.open_case_ids(0), "case-1");
  EXPECT_EQ(c.pending_task_id(), std::string("cb:") + kE164 + ":m1e");
  EXPECT_TRUE(c.email_known());
  EXPECT_EQ(c.contact_id(), "CRM-7");
  EXPECT_EQ(c.suggested_action(), ContactContext::CONSULT_EXISTING);
}

TEST(ScreenPopTest, OutboundAndAnonymousCallsGetNoScreenPop) {
  EngineHarness h;
  ASSERT_THAT(h.Apply(Leg("s1", "2024-05-01T10:00:00Z", "c1", kSpacedCaller)
                          .Outbound()
                          .Started()),
              IsOk());
  ASSERT_THAT(
      h.Apply(Leg("s2", "2024-05-01T10:00:00Z", "c2", "restricted").Started()),
      IsOk());
  EXPECT_TRUE(h.sink().contacts.empty());
}

// Customer event "ev1" (a seminar) of kSpacedCaller starting at `starts`,
// as known at `at`.
Verdict ScheduleSeminar(EngineHarness& h, const std::string& id,
                        const std::string& at, const std::string& starts,
                        bool cancelled) {
  return h.Apply(CallEventBuilder()
                     .Id(id)
                     .At(at)
                     .Caller(kSpacedCaller)
                     .Line("sales")
                     .CustomerEvent("ev1", starts, "Seminar", cancelled));
}

TEST(CustomerEventTest, ReminderAndFollowUpAroundTheEvent) {
  EngineHarness h;
  auto scheduled = [&](const std::string& id, const std::string& at,
                       const std::string& starts, bool cancelled) {
    return ScheduleSeminar(h, id, at, starts, cancelled);
  };
  ASSERT_THAT(
      scheduled("e1", "2024-05-01T10:00:00Z", "2024-05-10T12:00:00Z", false),
      IsOk());
  ASSERT_EQ(h.sink().tasks.size(), 2u);
  const std::string rem = std::string("rem:") + kE164 + ":ev1";
  const std::string fup = std::string("fup:") + kE164 + ":ev1";
  EXPECT_EQ(h.sink().tasks[0].task_id(), rem);
  EXPECT_EQ(h.sink().tasks[0].kind(), Task::REMINDER);
  EXPECT_EQ(h.sink().tasks[0].status(), Task::OPEN);
  EXPECT_EQ(Ts(h.sink().tasks[0].due_at()), "2024-05-08T12:00:00Z");
  EXPECT_EQ(h.sink().tasks[1].task_id(), fup);
  EXPECT_EQ(h.sink().tasks[1].kind(), Task::FOLLOW_UP);
  EXPECT_EQ(Ts(h.sink().tasks[1].due_at()), "2024-05-12T12:00:00Z");

  // Moved to tomorrow: the reminder cannot be due before the change itself.
  ASSERT_THAT(
      scheduled("e2", "2024-05-02T10:00:00Z", "2024-05-03T09:00:00Z", false),
      IsOk());
  ASSERT_EQ(h.sink().tasks.size(), 4u);
  EXPECT_EQ(h.sink().tasks[2].status(), Task::UPDATED);
  EXPECT_EQ(Ts(h.sink().tasks[2].due_at()), "2024-05-02T10:00:00Z");
  EXPECT_EQ(h.sink().tasks[3].status(), Task::UPDATED);
  EXPECT_EQ(Ts(h.sink().tasks[3].due_at()), "2024-05-05T09:00:00Z");

  // Reached on the reminder: done; then the event is cancelled.
  ASSERT_THAT(h.Attempt("a1", "2024-05-02T10:30:00Z", kSpacedCaller, rem,
                        CallbackAttempt::REACHED),
              IsOk());
  ASSERT_EQ(h.sink().tasks.size(), 5u);
  EXPECT_EQ(h.sink().tasks[4].task_id(), rem);
  EXPECT_EQ(h.sink().tasks[4].status(), Task::DONE);
  ASSERT_THAT(
      scheduled("e3", "2024-05-02T11:00:00Z", "2024-05-03T09:00:00Z", true),
      IsOk());
  ASSERT_EQ(h.sink().tasks.size(), 6u);
  EXPECT_EQ(h.sink().tasks[5].task_id(), fup);
  EXPECT_EQ(h.sink().tasks[5].status(), Task::CANCELLED);
}

// A reminder that reached the customer stays done whether the event is moved,
// or cancelled and then scheduled again; only the open side follows.
TEST(CustomerEventTest, ADoneReminderStaysDoneWhenTheEventIsScheduledAgain) {
  EngineHarness h;
  auto scheduled = [&](const std::string& id, const std::string& at,
                       const std::string& starts, bool cancelled) {
    return ScheduleSeminar(h, id, at, starts, cancelled);
  };
  const std::string rem = std::string("rem:") + kE164 + ":ev1";
  const std::string fup = std::string("fup:") + kE164 + ":ev1";
  ASSERT_THAT(
      scheduled("e1", "2024-05-01T10:00:00Z", "2024-05-04T12:00:00Z", false),
      IsOk());
  ASSERT_THAT(h.Attempt("a1", "2024-05-02T12:00:00Z", kSpacedCaller, rem,
                        CallbackAttempt::REACHED),
              IsOk());
  ASSERT_THAT(
      scheduled("e2", "2024-05-02T13:00:00Z", "2024-05-05T12:00:00Z", false),
      IsOk());
  ASSERT_THAT(
      scheduled("e3", "2024-05-02T14:00:00Z", "2024-05-05T12:00:00Z", true),
      IsOk());
  ASSERT_THAT(
      scheduled("e4", "2024-05-02T15:00:00Z", "2024-05-06T12:00:00Z", false),
      IsOk());
  std::vector<std::string> seen;
  for (const Task& t : h.sink().tasks) {
    seen.push_back(t.task_id().substr(0, 3) + " " +
                   Task::Status_Name(t.status()));
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("rem OPEN", "fup OPEN", "rem DONE",
                                           "fup UPDATED", "fup CANCELLED",
                                           "fup UPDATED"));
}

TEST(ConversionTest, OneConversionPerCaseOnTheLatestInboundLine) {
  EngineHarness h;
  ASSERT_THAT(h.Apply(Leg("s1", "2024-05-01T10:00:00Z", "c1", kSpacedCaller)
                          .Line("support")
                          .Started()),
              IsOk());
  ASSERT_THAT(
      h.Apply(Disposition("d1", "2024-05-01T10:05:00Z",
                          v1::Disposition::CONTRACT_SIGNED, "k1", "other")),
      IsOk());
  ASSERT_THAT(
      h.Apply(Disposition("d2", "2024-05-01T10:06:00Z",
                          v1::Disposition::CONTRACT_SIGNED, "k1", "other")),
      IsOk());
  ASSERT_THAT(h.Apply(Disposition("d3", "2024-05-01T10:07:00Z",
                                  v1::Disposition::REFUSED, "k2", "other")),
              IsOk());
  EXPECT_EQ(h.sink().Sum(FactKind::kConversion, "support"), 1);
  EXPECT_EQ(h.sink().Sum(FactKind::kConversion), 1);
  EXPECT_EQ(h.sink().Sum(FactKind::kRefusal, "support"), 1);
}

TEST(ConversionTest, CasesOpenAndClose) {
  EngineHarness h;
  ASSERT_THAT(h.Apply(Disposition("d1", "2024-05-01T10:00:00Z",
                                  v1::Disposition::NEW_CASE, "k1")),
              IsOk());
  ASSERT_THAT(h.Apply(Disposition("d2", "2024-05-01T10:01:00Z",
                                  v1::Disposition::CASE_RESOLVED, "k1")),
              IsOk());
  ASSERT_THAT(
      h.Apply(Leg("s1", "2024-05-01T10:02:00Z", "c1", kSpacedCaller).Started()),
      IsOk());
  EXPECT_EQ(h.sink().contacts[0].open_case_ids_size(), 0);
  EXPECT_EQ(h.sink().contacts[0].suggested_action(), ContactContext::NEW_CASE);
}

struct BillingCase {
  v1::CallEvent::Direction direction;
  uint32_t talk_seconds;
  bool via_access_number;
  double minutes;
  double kopecks;
};

class BillingTest : public ::testing::TestWithParam<BillingCase> {};

TEST_P(BillingTest, BillsEveryStartedMinute) {
  const BillingCase& c = GetParam();
  EngineOptions options;
  options.lines["sales"].tariff_inbound_kopecks = 100;
  options.lines["sales"].tariff_outbound_kopecks = 250;
  EngineHarness h(options);
  ASSERT_THAT(h.Apply(Leg("b1", "2024-05-01T10:00:00Z", "c1", kSpacedCaller)
                          .Direction(c.direction)
                          .Started(c.via_access_number)),
              IsOk());
  ASSERT_THAT(h.Apply(Leg("b2", "2024-05-01T10:00:01Z", "c1", kSpacedCaller)
                          .Direction(c.direction)
                          .Answered()),
              IsOk());
  ASSERT_THAT(h.Apply(Leg("b3", "2024-05-01T10:10:00Z", "c1", kSpacedCaller)
                          .Direction(c.direction)
                          .Ended(CallEnded::COMPLETED, c.talk_seconds)),
              IsOk());
  EXPECT_EQ(h.sink().Sum(FactKind::kBilledMinutes), c.minutes);
  EXPECT_EQ(h.sink().Sum(FactKind::kCostKopecks), c.kopecks);
}

INSTANTIATE_TEST_SUITE_P(
    Tariffs, BillingTest,
    ::testing::Values(BillingCase{v1::CallEvent::INBOUND, 2, false, 0, 0},
                      BillingCase{v1::CallEvent::INBOUND, 3, false, 1, 100},
                      BillingCase{v1::CallEvent::INBOUND, 60, false, 1, 100},
                      BillingCase{v1::CallEvent::INBOUND, 61, false, 2, 200},
                      BillingCase{v1::CallEvent::INBOUND, 61, true, 2, 290},
                      BillingCase{v1::CallEvent::OUTBOUND, 125, false, 3, 750},
                      BillingCase{v1::CallEvent::OUTBOUND, 2, true, 0, 0}));

TEST(DuplicateTest, SeenEventIdIsIgnoredAndCounted) {
  EngineHarness h;
  const v1::CallEvent started =
      Leg("s1", "2024-05-01T10:00:00Z", "c1", kSpacedCaller).Started();
  ASSERT_THAT(h.Apply(started), IsOk());
  ASSERT_THAT(h.Apply(started), IsOk());
  EXPECT_EQ(h.sink().contacts.size(), 1u);
  EXPECT_EQ(h.sink().Sum(FactKind::kDuplicate), 1);
  EXPECT_EQ(h.sink().Sum(FactKind::kApplied), 1);
}

TEST(DuplicateTest, AnonymousAndAlarmDuplicatesToo) {
  EngineHarness h;
  const v1::CallEvent alarm = CallEventBuilder()
                                  .Id("al")
                                  .At("2024-05-01T10:00:00Z")
                                  .Alarm("B", v1::Alarm::FIRE);
  ASSERT_THAT(h.Apply(alarm), IsOk());
  ASSERT_THAT(h.Apply(alarm), IsOk());
  EXPECT_EQ(h.sink().alerts.size(), 1u);
  h.MissedCall("n", "2024-05-01T10:00:00Z", "2024-05-01T10:00:10Z", "c9", "");
  ASSERT_THAT(h.Apply(Leg("ne", "2024-05-01T10:00:10Z", "c9", "")
                          .Ended(CallEnded::ABANDONED)),
              IsOk());
  EXPECT_EQ(h.sink().Sum(FactKind::kMissed), 1);
  EXPECT_EQ(h.sink().Sum(FactKind::kDuplicate), 2);
}

TEST(KeyForTest, TheKeyComesFromTheEventAlone) {
  EngineOptions options;
  Engine engine(options);
  const v1::CallEvent started =
      Leg("s1", "2024-05-01T10:00:00Z", "c1", "8 (495) 123-45-67").Started();
  EXPECT_EQ(engine.KeyFor(started), kE164);
  const v1::CallEvent anonymous =
      Leg("s2", "2024-05-01T10:00:00Z", "c2", "anonymous").Started();
  EXPECT_EQ(engine.KeyFor(anonymous), "~c2");
}

// A rejected event, the reason, and a part of the message.
struct BadEvent {
  v1::CallEvent event;
  RejectReason reason;
  std::string message;
};

// A start of call "c" at `at`: only its time can make it bad.
v1::CallEvent StartedAt(const std::string& at) {
  return CallEventBuilder().Id("x").At(at).CallId("c").Inbound().Started();
}

class DeadLetterTest : public ::testing::TestWithParam<BadEvent> {};

TEST_P(DeadLetterTest, RejectsWithReasonAndChangesNothing) {
  EngineHarness h;
  ASSERT_THAT(
      h.Apply(Leg("ok", "2024-05-01T10:00:00Z", "c0", kSpacedCaller).Started()),
      IsOk());
  const v1::PartitionState before = h.state().MutablePartition();
  Engine engine(h.options());
  const Verdict v = engine.Process(GetParam().event, h.state(), h.sink(),
                                   T("2024-05-01T10:05:00Z"));
  EXPECT_EQ(v.reason(), GetParam().reason) << ReasonLabel(v.reason());
  EXPECT_NE(v.message().find(GetParam().message), std::string::npos)
      << v.message();
  EXPECT_EQ(h.sink().Sum(FactKind::kApplied), 1);
  EXPECT_EQ(h.state().MutablePartition().SerializeAsString(),
            before.SerializeAsString());
}

INSTANTIATE_TEST_SUITE_P(
    BadInput, DeadLetterTest,
    ::testing::Values(
        BadEvent{CallEventBuilder()
                     .At("2024-05-01T10:00:00Z")
                     .CallId("c")
                     .Caller("+74951234567")
                     .Inbound()
                     .Started(),
                 v1::DeadLetter::MISSING_FIELD, "missing event_id"},
        BadEvent{CallEventBuilder().Id("x").CallId("c").Inbound().Started(),
                 v1::DeadLetter::MISSING_FIELD, "missing occurred_at"},
        BadEvent{CallEventBuilder()
                     .Id("x")
                     .At("2024-05-01T10:00:00Z")
                     .CallId("c")
                     .WithoutBody(),
                 v1::DeadLetter::MISSING_FIELD, "missing body"},
        BadEvent{CallEventBuilder()
                     .Id("x")
                     .At("2024-05-01T10:00:00Z")
                     .CallId("c")
                     .Inbound()
                     .Ended(static_cast<CallEnded::EndReason>(99)),
                 v1::DeadLetter::UNKNOWN_ENUM,
                 "unknown enum value 99 in ended.reason"},
        BadEvent{CallEventBuilder()
                     .Id("x")
                     .At("2024-05-01T10:00:00Z")
                     .Inbound()
                     .Started(),
                 v1::DeadLetter::MISSING_FIELD, "missing call_id"},
        BadEvent{StartedAt("2024-04-21T10:00:00Z"),
                 v1::DeadLetter::TIMESTAMP_SKEW,
                 "more than 7d from the watermark"},
        BadEvent{StartedAt("1999-05-01T10:00:00Z"),
                 v1::DeadLetter::OUT_OF_RANGE, "occurred_at out of range"},
        // Found by fuzz/callevent_json: a start in year 4048 overflowed the
        // engine's int64 nanoseconds (undefined behaviour).
        BadEvent{CallEventBuilder()
                     .Id("x")
                     .At("2024-05-01T10:00:00Z")
                     .Caller("+74951234567")
                     .CustomerEvent("ev", "4048-05-04T12:00:00Z", "Delivery"),
                 v1::DeadLetter::OUT_OF_RANGE,
                 "customer_event.starts_at out of range"},
        // 10 min 1 s after the reference time (10:05): from the future.
        BadEvent{StartedAt("2024-05-01T10:15:01Z"), v1::DeadLetter::FUTURE,
                 "ahead of the record's time"},
        // Also beyond max_event_skew: the bad clock is named, not the skew.
        BadEvent{StartedAt("2030-01-01T00:00:00Z"), v1::DeadLetter::FUTURE,
                 "max_future_skew"}),
    [](const ::testing::TestParamInfo<BadEvent>& info) {
      return absl::StrCat(std::string(ReasonLabel(info.param.reason)), "_",
                          info.index);
    });

TEST(FutureTest, EveryReasonHasItsOwnLabel) {
  std::set<std::string> labels;
  for (RejectReason r : AllRejectReasons()) {
    labels.insert(std::string(ReasonLabel(r)));
  }
  EXPECT_EQ(labels.size(), AllRejectReasons().size());
  EXPECT_TRUE(labels.contains("misrouted"));
  EXPECT_TRUE(labels.contains("future"));
  EXPECT_EQ(ReasonLabel(v1::DeadLetter::MISSING_FIELD), "missing_field");
}

// One bad clock as a partition's first event: it is rejected, the watermark
// never moves, and the real events after it are applied.
TEST(FutureTest, FirstEventFromTheFutureDoesNotShutThePartition) {
  EngineHarness h;
  const TimeNs record_time = T("2024-05-01T10:00:30Z");
  Engine& engine = h.engine();
  const Verdict bad = engine.Process(
      Leg("far", "2030-01-01T00:00:00Z", "c9", kSpacedCaller).Started(),
      h.state(), h.sink(), record_time);
  EXPECT_EQ(bad.reason(), v1::DeadLetter::FUTURE);
  EXPECT_EQ(h.state().MutablePartition().watermark(), 0);
  EXPECT_EQ(h.state().MutablePartition().max_event_time(), 0);
  // Up to max_future_skew ahead is fine (PBX and broker clocks differ).
  const Verdict ok = engine.Process(
      Leg("s1", "2024-05-01T10:10:30Z", "c1", kSpacedCaller).Started(),
      h.state(), h.sink(), record_time);
  EXPECT_THAT(ok, IsOk());
  EXPECT_EQ(h.state().MutablePartition().watermark(),
            T("2024-05-01T10:10:30Z"));
  // Without a reference time there is no such check.
  EXPECT_THAT(
      engine.Process(
          Leg("s2", "2024-05-02T10:00:00Z", "c2", kSpacedCaller).Started(),
          h.state(), h.sink()),
      IsOk());
}

// A PBX whose clock had reset sends a partition's first event: it is in
// range and nothing is ahead of it, so it sets the watermark in 2001. Real
// events, vouched for by a clock their sender does not control (`vouch`),
// move the watermark on; without it they cannot be told from a bad clock,
// and a clock 30 days ahead is vouched for by nothing.
TEST(FutureTest, AClockResetAsTheFirstEventDoesNotLockThePartition) {
  EngineHarness h;
  Engine& engine = h.engine();
  const TimeNs now = T("2024-05-01T10:00:30Z");
  constexpr absl::string_view kRecord = "the record's time";
  ASSERT_THAT(
      engine.Process(
          Leg("old", "2001-01-01T00:00:00Z", "c9", kSpacedCaller).Started(),
          h.state(), h.sink(), now, kRecord, now),
      IsOk());
  EXPECT_EQ(h.state().MutablePartition().watermark(),
            T("2001-01-01T00:00:00Z"));
  const v1::CallEvent real =
      Leg("s1", "2024-05-01T10:00:00Z", "c1", kSpacedCaller).Started();
  EXPECT_EQ(engine.Process(real, h.state(), h.sink(), now).reason(),
            v1::DeadLetter::TIMESTAMP_SKEW);
  EXPECT_THAT(engine.Process(real, h.state(), h.sink(), now, kRecord, now),
              IsOk());
  EXPECT_EQ(h.state().MutablePartition().watermark(),
            T("2024-05-01T10:00:00Z"));
  // A clock 30 days ahead, its record stamped by the same clock: the
  // record's time passes the FUTURE check, but what vouches is now.
  const TimeNs ahead = T("2024-05-31T10:00:00Z");
  EXPECT_EQ(
      engine
          .Process(
              Leg("x", "2024-05-31T10:00:00Z", "c2", kSpacedCaller).Started(),
              h.state(), h.sink(), ahead, kRecord, now)
          .reason(),
      v1::DeadLetter::TIMESTAMP_SKEW);
  // Up to max_event_skew before the vouching clock counts...
  EngineHarness quiet;
  ASSERT_THAT(
      quiet.engine().Process(
          Leg("a", "2024-05-01T10:00:00Z", "c1", kSpacedCaller).Started(),
          quiet.state(), quiet.sink()),
      IsOk());
  const TimeNs later = T("2024-05-16T09:00:00Z");
  EXPECT_THAT(
      quiet.engine().Process(
          Leg("b", "2024-05-09T10:00:00Z", "c2", kSpacedCaller).Started(),
          quiet.state(), quiet.sink(), later, kRecord, later),
      IsOk());
  // ...further before it does not, and the old watermark stays.
  const TimeNs much_later = T("2024-05-26T10:00:01Z");
  EXPECT_EQ(
      quiet.engine()
          .Process(
              Leg("c", "2024-05-18T10:00:00Z", "c3", kSpacedCaller).Started(),
              quiet.state(), quiet.sink(), much_later, kRecord, much_later)
          .reason(),
      v1::DeadLetter::TIMESTAMP_SKEW);
  // Behind the watermark, nothing vouches.
  const TimeNs earlier = T("2024-05-01T09:00:00Z");
  EXPECT_EQ(
      quiet.engine()
          .Process(
              Leg("d", "2024-05-01T09:00:00Z", "c4", kSpacedCaller).Started(),
              quiet.state(), quiet.sink(), earlier, kRecord, earlier)
          .reason(),
      v1::DeadLetter::TIMESTAMP_SKEW);
}

}  // namespace
}  // namespace callflow::rules::testing
