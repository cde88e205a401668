// R1 screen-pop, R3 customer events, R4 conversion, R5 billing, R7 order,
// duplicates and dead letters.
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/processor/rules/engine_test_harness.h"
#include "tests/support/status_matchers.h"

namespace callflow::rules::testing {
namespace {

using ::callflow_testing::IsOk;
using v1::ContactContext;
using v1::Task;
constexpr char kCaller[] = "+7 495 123-45-67";
constexpr char kE164[] = "+74951234567";

std::string Disposition(const std::string& id, const std::string& at,
                        const std::string& outcome, const std::string& case_id,
                        const std::string& line = "sales") {
  return "{\"event_id\":\"" + id + "\",\"occurred_at\":\"" + at +
         "\",\"caller\":\"" + kCaller + "\",\"line\":\"" + line +
         "\",\"disposition\":{\"outcome\":\"" + outcome + "\",\"case_id\":\"" +
         case_id + "\"}}";
}

TEST(ScreenPopTest, NewCallerGetsNewCase) {
  EngineHarness h;
  ASSERT_THAT(
      h.Apply(EngineHarness::Leg("s1", "2024-05-01T10:00:00Z", "c1",
                                 "8 (495) 123-45-67", R"("started":{})")),
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
               kCaller);
  ASSERT_THAT(
      h.Apply(Disposition("d1", "2024-05-01T10:01:00Z", "NEW_CASE", "case-1")),
      IsOk());
  ASSERT_THAT(h.Apply(R"({"event_id":"u1","occurred_at":"2024-05-01T10:02:00Z",
      "caller":"+74951234567","contact":{"email":"x@y.ru",
      "crm_contact_id":"CRM-7"}})"),
              IsOk());
  ASSERT_THAT(h.Apply(EngineHarness::Leg("s2", "2024-05-01T10:30:00Z", "c2",
                                         kCaller, R"("started":{})")),
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
  ASSERT_THAT(
      h.Apply(EngineHarness::Leg("s1", "2024-05-01T10:00:00Z", "c1", kCaller,
                                 R"("started":{})", "OUTBOUND")),
      IsOk());
  ASSERT_THAT(h.Apply(EngineHarness::Leg("s2", "2024-05-01T10:00:00Z", "c2",
                                         "restricted", R"("started":{})")),
              IsOk());
  EXPECT_TRUE(h.sink().contacts.empty());
}

TEST(CustomerEventTest, ReminderAndFollowUpAroundTheEvent) {
  EngineHarness h;
  auto scheduled = [&](const std::string& id, const std::string& at,
                       const std::string& starts, bool cancelled) {
    return h.Apply("{\"event_id\":\"" + id + "\",\"occurred_at\":\"" + at +
                   "\",\"caller\":\"" + kCaller +
                   "\",\"line\":\"sales\",\"customer_event\":{"
                   "\"customer_event_id\":\"ev1\",\"title\":\"Seminar\","
                   "\"starts_at\":\"" +
                   starts +
                   "\",\"cancelled\":" + (cancelled ? "true" : "false") + "}}");
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
  ASSERT_THAT(h.Attempt("a1", "2024-05-02T10:30:00Z", kCaller, rem, "REACHED"),
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

TEST(ConversionTest, OneConversionPerCaseOnTheLatestInboundLine) {
  EngineHarness h;
  ASSERT_THAT(
      h.Apply(EngineHarness::Leg("s1", "2024-05-01T10:00:00Z", "c1", kCaller,
                                 R"("started":{})", "INBOUND", "support")),
      IsOk());
  ASSERT_THAT(h.Apply(Disposition("d1", "2024-05-01T10:05:00Z",
                                  "CONTRACT_SIGNED", "k1", "other")),
              IsOk());
  ASSERT_THAT(h.Apply(Disposition("d2", "2024-05-01T10:06:00Z",
                                  "CONTRACT_SIGNED", "k1", "other")),
              IsOk());
  ASSERT_THAT(h.Apply(Disposition("d3", "2024-05-01T10:07:00Z", "REFUSED", "k2",
                                  "other")),
              IsOk());
  EXPECT_EQ(h.sink().Sum(FactKind::kConversion, "support"), 1);
  EXPECT_EQ(h.sink().Sum(FactKind::kConversion), 1);
  EXPECT_EQ(h.sink().Sum(FactKind::kRefusal, "support"), 1);
}

TEST(ConversionTest, CasesOpenAndClose) {
  EngineHarness h;
  ASSERT_THAT(
      h.Apply(Disposition("d1", "2024-05-01T10:00:00Z", "NEW_CASE", "k1")),
      IsOk());
  ASSERT_THAT(
      h.Apply(Disposition("d2", "2024-05-01T10:01:00Z", "CASE_RESOLVED", "k1")),
      IsOk());
  ASSERT_THAT(h.Apply(EngineHarness::Leg("s1", "2024-05-01T10:02:00Z", "c1",
                                         kCaller, R"("started":{})")),
              IsOk());
  EXPECT_EQ(h.sink().contacts[0].open_case_ids_size(), 0);
  EXPECT_EQ(h.sink().contacts[0].suggested_action(), ContactContext::NEW_CASE);
}

struct BillingCase {
  std::string direction;
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
  std::string started = std::string("\"started\":{\"via_access_number\":") +
                        (c.via_access_number ? "true" : "false") + "}";
  ASSERT_THAT(h.Apply(EngineHarness::Leg("b1", "2024-05-01T10:00:00Z", "c1",
                                         kCaller, started, c.direction)),
              IsOk());
  ASSERT_THAT(
      h.Apply(EngineHarness::Leg("b2", "2024-05-01T10:00:01Z", "c1", kCaller,
                                 R"("answered":{})", c.direction)),
      IsOk());
  ASSERT_THAT(h.Apply(EngineHarness::Leg(
                  "b3", "2024-05-01T10:10:00Z", "c1", kCaller,
                  "\"ended\":{\"reason\":\"COMPLETED\",\"talk_seconds\":" +
                      std::to_string(c.talk_seconds) + "}",
                  c.direction)),
              IsOk());
  EXPECT_EQ(h.sink().Sum(FactKind::kBilledMinutes), c.minutes);
  EXPECT_EQ(h.sink().Sum(FactKind::kCostKopecks), c.kopecks);
}

INSTANTIATE_TEST_SUITE_P(
    Tariffs, BillingTest,
    ::testing::Values(BillingCase{"INBOUND", 2, false, 0, 0},
                      BillingCase{"INBOUND", 3, false, 1, 100},
                      BillingCase{"INBOUND", 60, false, 1, 100},
                      BillingCase{"INBOUND", 61, false, 2, 200},
                      BillingCase{"INBOUND", 61, true, 2, 290},
                      BillingCase{"OUTBOUND", 125, false, 3, 750},
                      BillingCase{"OUTBOUND", 2, true, 0, 0}));

TEST(DuplicateTest, SeenEventIdIsIgnoredAndCounted) {
  EngineHarness h;
  std::string started = EngineHarness::Leg("s1", "2024-05-01T10:00:00Z", "c1",
                                           kCaller, R"("started":{})");
  ASSERT_THAT(h.Apply(started), IsOk());
  ASSERT_THAT(h.Apply(started), IsOk());
  EXPECT_EQ(h.sink().contacts.size(), 1u);
  EXPECT_EQ(h.sink().Sum(FactKind::kDuplicate), 1);
  EXPECT_EQ(h.sink().Sum(FactKind::kApplied), 1);
}

TEST(DuplicateTest, AnonymousAndAlarmDuplicatesToo) {
  EngineHarness h;
  std::string alarm = R"({"event_id":"al","occurred_at":"2024-05-01T10:00:00Z",
      "alarm":{"zone":"B","kind":"FIRE"}})";
  ASSERT_THAT(h.Apply(alarm), IsOk());
  ASSERT_THAT(h.Apply(alarm), IsOk());
  EXPECT_EQ(h.sink().alerts.size(), 1u);
  h.MissedCall("n", "2024-05-01T10:00:00Z", "2024-05-01T10:00:10Z", "c9", "");
  ASSERT_THAT(h.Apply(EngineHarness::Leg("ne", "2024-05-01T10:00:10Z", "c9", "",
                                         R"("ended":{"reason":"ABANDONED"})")),
              IsOk());
  EXPECT_EQ(h.sink().Sum(FactKind::kMissed), 1);
  EXPECT_EQ(h.sink().Sum(FactKind::kDuplicate), 2);
}

TEST(KeyForTest, TheKeyComesFromTheEventAlone) {
  EngineOptions options;
  Engine engine(options);
  const v1::CallEvent started =
      Event(EngineHarness::Leg("s1", "2024-05-01T10:00:00Z", "c1",
                               "8 (495) 123-45-67", R"("started":{})"));
  EXPECT_EQ(engine.KeyFor(started), kE164);
  const v1::CallEvent anonymous = Event(EngineHarness::Leg(
      "s2", "2024-05-01T10:00:00Z", "c2", "anonymous", R"("started":{})"));
  EXPECT_EQ(engine.KeyFor(anonymous), "~c2");
}

// A rejected event: its JSON, the reason, and a part of the message.
struct BadEvent {
  std::string json;
  RejectReason reason;
  std::string message;
};

class DeadLetterTest : public ::testing::TestWithParam<BadEvent> {};

TEST_P(DeadLetterTest, RejectsWithReasonAndChangesNothing) {
  EngineHarness h;
  ASSERT_THAT(h.Apply(EngineHarness::Leg("ok", "2024-05-01T10:00:00Z", "c0",
                                         kCaller, R"("started":{})")),
              IsOk());
  v1::CallEvent e = Event(GetParam().json);
  if (GetParam().reason == v1::DeadLetter::UNKNOWN_ENUM) {
    e.mutable_ended()->set_reason(static_cast<v1::CallEnded::EndReason>(99));
  }
  const v1::PartitionState before = h.state().MutablePartition();
  Engine engine(h.options());
  const Verdict v =
      engine.Process(e, h.state(), h.sink(), T("2024-05-01T10:05:00Z"));
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
        BadEvent{R"({"occurred_at":"2024-05-01T10:00:00Z","call_id":"c",
            "caller":"+74951234567","direction":"INBOUND","started":{}})",
                 v1::DeadLetter::MISSING_FIELD, "missing event_id"},
        BadEvent{R"({"event_id":"x","call_id":"c","direction":"INBOUND",
            "started":{}})",
                 v1::DeadLetter::MISSING_FIELD, "missing occurred_at"},
        BadEvent{R"({"event_id":"x","occurred_at":"2024-05-01T10:00:00Z",
            "call_id":"c"})",
                 v1::DeadLetter::MISSING_FIELD, "missing body"},
        BadEvent{R"({"event_id":"x","occurred_at":"2024-05-01T10:00:00Z",
            "call_id":"c","direction":"INBOUND","ended":{"reason":"ABANDONED"}})",
                 v1::DeadLetter::UNKNOWN_ENUM,
                 "unknown enum value 99 in ended.reason"},
        BadEvent{R"({"event_id":"x","occurred_at":"2024-05-01T10:00:00Z",
            "direction":"INBOUND","started":{}})",
                 v1::DeadLetter::MISSING_FIELD, "missing call_id"},
        BadEvent{R"({"event_id":"x","occurred_at":"2024-04-21T10:00:00Z",
            "call_id":"c","direction":"INBOUND","started":{}})",
                 v1::DeadLetter::TIMESTAMP_SKEW,
                 "more than 7d from the watermark"},
        BadEvent{R"({"event_id":"x","occurred_at":"1999-05-01T10:00:00Z",
            "call_id":"c","direction":"INBOUND","started":{}})",
                 v1::DeadLetter::OUT_OF_RANGE, "occurred_at out of range"},
        // Found by fuzz/callevent_json: a start in year 4048 overflowed the
        // engine's int64 nanoseconds (undefined behaviour).
        BadEvent{R"({"event_id":"x","occurred_at":"2024-05-01T10:00:00Z",
            "caller":"+74951234567","customer_event":{"customer_event_id":"ev",
            "starts_at":"4048-05-04T12:00:00Z","title":"Delivery"}})",
                 v1::DeadLetter::OUT_OF_RANGE,
                 "customer_event.starts_at out of range"},
        // 10 min 1 s after the reference time (10:05): from the future.
        BadEvent{R"({"event_id":"x","occurred_at":"2024-05-01T10:15:01Z",
            "call_id":"c","direction":"INBOUND","started":{}})",
                 v1::DeadLetter::FUTURE, "ahead of the record's time"},
        // Also beyond max_event_skew: the bad clock is named, not the skew.
        BadEvent{R"({"event_id":"x","occurred_at":"2030-01-01T00:00:00Z",
            "call_id":"c","direction":"INBOUND","started":{}})",
                 v1::DeadLetter::FUTURE, "max_future_skew"}),
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
      Event(EngineHarness::Leg("far", "2030-01-01T00:00:00Z", "c9", kCaller,
                               R"("started":{})")),
      h.state(), h.sink(), record_time);
  EXPECT_EQ(bad.reason(), v1::DeadLetter::FUTURE);
  EXPECT_EQ(h.state().MutablePartition().watermark(), 0);
  EXPECT_EQ(h.state().MutablePartition().max_event_time(), 0);
  // Up to max_future_skew ahead is fine (PBX and broker clocks differ).
  const Verdict ok = engine.Process(
      Event(EngineHarness::Leg("s1", "2024-05-01T10:10:30Z", "c1", kCaller,
                               R"("started":{})")),
      h.state(), h.sink(), record_time);
  EXPECT_THAT(ok, IsOk());
  EXPECT_EQ(h.state().MutablePartition().watermark(),
            T("2024-05-01T10:10:30Z"));
  // Without a reference time there is no such check.
  EXPECT_THAT(engine.Process(
                  Event(EngineHarness::Leg("s2", "2024-05-02T10:00:00Z", "c2",
                                           kCaller, R"("started":{})")),
                  h.state(), h.sink()),
              IsOk());
}

}  // namespace
}  // namespace callflow::rules::testing
