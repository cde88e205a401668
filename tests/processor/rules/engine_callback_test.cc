// R2: missed calls, the callback lifecycle, stale legs, out-of-order legs.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/processor/rules/engine_test_harness.h"
#include "tests/support/status_matchers.h"

namespace callflow::rules::testing {
namespace {

using ::callflow_testing::IsOk;
using v1::CallbackAttempt;
using v1::CallEnded;
using v1::Task;
// kE164 in the national format, as a PBX may send it.
constexpr char kNationalCaller[] = "8 (495) 123-45-67";

TEST(CallbackTest, MissedCallOpensCallbackDueOneHourAfterStart) {
  EngineHarness h;
  h.MissedCall("m1", "2024-05-01T10:00:00Z", "2024-05-01T10:00:30Z", "c1",
               kNationalCaller);
  ASSERT_EQ(h.sink().tasks.size(), 1u);
  const Task& t = h.sink().tasks[0];
  EXPECT_EQ(t.task_id(), kMissedCallTask);
  EXPECT_EQ(t.kind(), Task::CALLBACK);
  EXPECT_EQ(t.status(), Task::OPEN);
  EXPECT_EQ(t.caller(), kE164);
  EXPECT_EQ(t.line(), "sales");
  EXPECT_EQ(t.attempt(), 1u);
  EXPECT_EQ(t.missed_calls(), 1u);
  EXPECT_EQ(t.priority(), 1u);
  EXPECT_EQ(t.source_call_id(), "c1");
  EXPECT_EQ(Ts(t.due_at()), "2024-05-01T11:00:00Z");
  EXPECT_EQ(Ts(t.created_at()), "2024-05-01T10:00:30Z");
  EXPECT_EQ(h.sink().Sum(FactKind::kMissed), 1);
  EXPECT_EQ(h.sink().Sum(FactKind::kInboundClosed), 1);
}

TEST(CallbackTest, EndedWithoutStartedIsDueOneHourAfterTheEnd) {
  EngineHarness h;
  ASSERT_THAT(h.Apply(Leg("x1", "2024-05-01T10:00:00Z", "c1", kNationalCaller)
                          .Ended(CallEnded::NO_ANSWER)),
              IsOk());
  ASSERT_EQ(h.sink().tasks.size(), 1u);
  EXPECT_EQ(h.sink().tasks[0].task_id(), std::string("cb:") + kE164 + ":x1");
  EXPECT_EQ(Ts(h.sink().tasks[0].due_at()), "2024-05-01T11:00:00Z");
}

TEST(CallbackTest, CompletedOrAnsweredLegsAreNotMissed) {
  EngineHarness h;
  ASSERT_THAT(
      h.Apply(
          Leg("a", "2024-05-01T10:00:00Z", "c1", kNationalCaller).Started()),
      IsOk());
  ASSERT_THAT(h.Apply(Leg("b", "2024-05-01T10:01:00Z", "c1", kNationalCaller)
                          .Ended(CallEnded::COMPLETED)),
              IsOk());
  ASSERT_THAT(
      h.Apply(
          Leg("c", "2024-05-01T10:02:00Z", "c2", kNationalCaller).Answered()),
      IsOk());
  ASSERT_THAT(h.Apply(Leg("d", "2024-05-01T10:03:00Z", "c2", kNationalCaller)
                          .Ended(CallEnded::FAILED)),
              IsOk());
  EXPECT_TRUE(h.sink().tasks.empty());
  EXPECT_EQ(h.sink().Sum(FactKind::kAnswered), 2);
  EXPECT_EQ(h.sink().Sum(FactKind::kMissed), 0);
}

TEST(CallbackTest, SecondMissedCallUpdatesTheOpenTask) {
  EngineHarness h;
  h.MissedCall("m1", "2024-05-01T10:00:00Z", "2024-05-01T10:00:30Z", "c1",
               kNationalCaller);
  h.MissedCall("m2", "2024-05-01T10:20:00Z", "2024-05-01T10:20:30Z", "c2",
               kNationalCaller);
  ASSERT_EQ(h.sink().tasks.size(), 2u);
  const Task& t = h.sink().tasks[1];
  EXPECT_EQ(t.task_id(), kMissedCallTask);
  EXPECT_EQ(t.status(), Task::UPDATED);
  EXPECT_EQ(t.missed_calls(), 2u);
  EXPECT_EQ(t.priority(), 2u);
  EXPECT_EQ(Ts(t.due_at()), "2024-05-01T11:00:00Z");  // does not move
}

// The caller's e-mail becomes known, the caller misses call "m1", and the
// dialer's first attempt on its task fails.
void EmailKnownThenMissedThenOneFailure(EngineHarness& h) {
  ASSERT_THAT(h.Apply(CallEventBuilder()
                          .Id("ct")
                          .At("2024-05-01T09:00:00Z")
                          .Caller(kE164)
                          .Contact("a@b.ru")),
              IsOk());
  h.MissedCall("m1", "2024-05-01T10:00:00Z", "2024-05-01T10:00:30Z", "c1",
               kNationalCaller);
  ASSERT_THAT(h.Attempt("a1", "2024-05-01T10:30:00Z", kNationalCaller,
                        kMissedCallTask, CallbackAttempt::NO_ANSWER),
              IsOk());
}

TEST(CallbackTest, ThreeFailedAttemptsEndUnreachableWithEmail) {
  EngineOptions options;
  options.lines["sales"].callback_number = "+74950000000";
  EngineHarness h(options);
  ASSERT_NO_FATAL_FAILURE(EmailKnownThenMissedThenOneFailure(h));
  ASSERT_EQ(h.sink().tasks.size(), 2u);
  EXPECT_EQ(h.sink().tasks[1].status(), Task::UPDATED);
  EXPECT_EQ(h.sink().tasks[1].attempt(), 2u);
  EXPECT_EQ(Ts(h.sink().tasks[1].due_at()), "2024-05-02T10:30:00Z");
  ASSERT_THAT(h.Attempt("a2", "2024-05-02T10:30:00Z", kNationalCaller,
                        kMissedCallTask, CallbackAttempt::BUSY),
              IsOk());
  EXPECT_EQ(h.sink().tasks[2].attempt(), 3u);
  EXPECT_EQ(Ts(h.sink().tasks[2].due_at()), "2024-05-03T10:30:00Z");
  ASSERT_THAT(h.Attempt("a3", "2024-05-03T10:30:00Z", kNationalCaller,
                        kMissedCallTask, CallbackAttempt::FAILED),
              IsOk());
  ASSERT_EQ(h.sink().tasks.size(), 5u);
  EXPECT_EQ(h.sink().tasks[3].status(), Task::UNREACHABLE);
  const Task& mail = h.sink().tasks[4];
  EXPECT_EQ(mail.task_id(), kMissedCallTask + ":email");
  EXPECT_EQ(mail.kind(), Task::EMAIL);
  EXPECT_EQ(mail.status(), Task::OPEN);
  EXPECT_EQ(mail.email(), "a@b.ru");
  EXPECT_EQ(mail.subject(), "Вы пропустили важный звонок");
  EXPECT_EQ(mail.body(),
            "Уточните, пожалуйста, когда можем с Вами связаться или "
            "перезвоните по номеру +74950000000.");
  // The task is closed: a further attempt is counted and ignored.
  ASSERT_THAT(h.Attempt("a4", "2024-05-03T11:00:00Z", kNationalCaller,
                        kMissedCallTask, CallbackAttempt::REACHED),
              IsOk());
  EXPECT_EQ(h.sink().tasks.size(), 5u);
  EXPECT_EQ(h.sink().Sum(FactKind::kIgnoredAttempt), 1);
}

// Both templates take the line's callback number.
TEST(CallbackTest, TheEmailSubjectTakesTheCallbackNumberToo) {
  EngineOptions options;
  options.lines["sales"].callback_number = "+74950000000";
  options.callback.email_subject = "Missed call: dial {callback_number}";
  options.callback.max_attempts = 1;
  EngineHarness h(options);
  ASSERT_NO_FATAL_FAILURE(EmailKnownThenMissedThenOneFailure(h));
  ASSERT_EQ(h.sink().tasks.size(), 3u);
  EXPECT_EQ(h.sink().tasks[2].kind(), Task::EMAIL);
  EXPECT_EQ(h.sink().tasks[2].subject(), "Missed call: dial +74950000000");
}

TEST(CallbackTest, UnreachableWithoutEmailSendsNoEmail) {
  EngineHarness h;
  h.MissedCall("m1", "2024-05-01T10:00:00Z", "2024-05-01T10:00:30Z", "c1",
               kNationalCaller);
  for (const char* id : {"a1", "a2", "a3"}) {
    ASSERT_THAT(h.Attempt(id, "2024-05-01T10:30:00Z", kNationalCaller,
                          kMissedCallTask, CallbackAttempt::BUSY),
                IsOk());
  }
  ASSERT_EQ(h.sink().tasks.size(), 4u);
  EXPECT_EQ(h.sink().tasks.back().status(), Task::UNREACHABLE);
}

TEST(CallbackTest, ReachedClosesTaskAndNextMissOpensANewOne) {
  EngineHarness h;
  h.MissedCall("m1", "2024-05-01T10:00:00Z", "2024-05-01T10:00:30Z", "c1",
               kNationalCaller);
  ASSERT_THAT(h.Attempt("a1", "2024-05-01T10:40:00Z", kNationalCaller,
                        kMissedCallTask, CallbackAttempt::REACHED),
              IsOk());
  ASSERT_EQ(h.sink().tasks.size(), 2u);
  EXPECT_EQ(h.sink().tasks[1].status(), Task::DONE);
  h.MissedCall("m2", "2024-05-01T12:00:00Z", "2024-05-01T12:00:10Z", "c2",
               kNationalCaller);
  ASSERT_EQ(h.sink().tasks.size(), 3u);
  EXPECT_EQ(h.sink().tasks[2].status(), Task::OPEN);
  EXPECT_EQ(h.sink().tasks[2].task_id(), std::string("cb:") + kE164 + ":m2e");
}

// The caller calls in (call "c2") at `at` and is answered at `answered_at`.
void CallsInAndIsAnswered(EngineHarness& h, const std::string& at,
                          const std::string& answered_at) {
  ASSERT_THAT(h.Apply(Leg("b1", at, "c2", kNationalCaller).Started()), IsOk());
  ASSERT_THAT(
      h.Apply(Leg("b2", answered_at, "c2", kNationalCaller).Answered("", 10)),
      IsOk());
}

TEST(CallbackTest, ClientCallingBackClosesTheTask) {
  EngineHarness h;
  h.MissedCall("m1", "2024-05-01T10:00:00Z", "2024-05-01T10:00:30Z", "c1",
               kNationalCaller);
  ASSERT_NO_FATAL_FAILURE(
      CallsInAndIsAnswered(h, "2024-05-01T10:10:00Z", "2024-05-01T10:10:20Z"));
  ASSERT_EQ(h.sink().tasks.size(), 2u);
  EXPECT_EQ(h.sink().tasks[1].status(), Task::DONE);
  EXPECT_EQ(h.sink().tasks[1].reason(), "client_called_back");
}

TEST(CallbackTest, AttemptForUnknownTaskIsIgnored) {
  EngineHarness h;
  ASSERT_THAT(h.Attempt("a1", "2024-05-01T10:00:00Z", kNationalCaller,
                        "cb:nope", CallbackAttempt::REACHED),
              IsOk());
  EXPECT_TRUE(h.sink().tasks.empty());
  EXPECT_EQ(h.sink().Sum(FactKind::kIgnoredAttempt), 1);
}

TEST(CallbackTest, StaleLegIsClosedAsMissedAfterMaxCallDuration) {
  EngineHarness h;
  ASSERT_THAT(
      h.Apply(
          Leg("s1", "2024-05-01T10:00:00Z", "c1", kNationalCaller).Started()),
      IsOk());
  h.AdvanceTo("2024-05-01T13:59:59Z");
  EXPECT_TRUE(h.sink().tasks.empty());
  h.AdvanceTo("2024-05-01T14:00:00Z");
  ASSERT_EQ(h.sink().tasks.size(), 1u);
  EXPECT_EQ(h.sink().tasks[0].task_id(), std::string("cb:") + kE164 + ":s1");
  EXPECT_EQ(Ts(h.sink().tasks[0].due_at()), "2024-05-01T11:00:00Z");
}

TEST(CallbackTest, StaleAnsweredLegIsNotMissed) {
  EngineHarness h;
  ASSERT_THAT(
      h.Apply(
          Leg("s1", "2024-05-01T10:00:00Z", "c1", kNationalCaller).Started()),
      IsOk());
  ASSERT_THAT(
      h.Apply(
          Leg("s2", "2024-05-01T10:00:05Z", "c1", kNationalCaller).Answered()),
      IsOk());
  h.AdvanceTo("2024-05-01T15:00:00Z");
  EXPECT_TRUE(h.sink().tasks.empty());
  EXPECT_EQ(h.sink().Sum(FactKind::kAnswered), 1);
}

TEST(CallbackTest, EndedBeforeAnsweredWithinLatenessIsNotMissed) {
  EngineOptions options;
  options.allowed_lateness = 60 * kSecond;
  EngineHarness h(options);
  ASSERT_THAT(
      h.Apply(
          Leg("o1", "2024-05-01T10:00:00Z", "c1", kNationalCaller).Started()),
      IsOk());
  ASSERT_THAT(h.Apply(Leg("o3", "2024-05-01T10:00:30Z", "c1", kNationalCaller)
                          .Ended(CallEnded::ABANDONED)),
              IsOk());
  ASSERT_THAT(
      h.Apply(
          Leg("o2", "2024-05-01T10:00:10Z", "c1", kNationalCaller).Answered()),
      IsOk());
  h.AdvanceTo("2024-05-01T10:05:00Z");
  EXPECT_TRUE(h.sink().tasks.empty());
  EXPECT_EQ(h.sink().Sum(FactKind::kAnswered), 1);
}

// With allowed_lateness, a missed call is judged only once the watermark
// passes its end. A call back from the customer that is answered in that
// time still closes the task the missed call opens, as it does without
// lateness; otherwise the dialer would call a customer who was served.
TEST(CallbackTest, ACallBackAnsweredBeforeTheMissIsJudgedClosesItsTask) {
  EngineOptions options;
  options.allowed_lateness = 5 * 60 * kSecond;
  EngineHarness h(options);
  h.MissedCall("m1", "2024-05-01T10:00:00Z", "2024-05-01T10:00:30Z", "c1",
               kNationalCaller);
  ASSERT_NO_FATAL_FAILURE(
      CallsInAndIsAnswered(h, "2024-05-01T10:02:00Z", "2024-05-01T10:02:10Z"));
  ASSERT_THAT(h.Apply(Leg("b3", "2024-05-01T10:04:00Z", "c2", kNationalCaller)
                          .Ended(CallEnded::COMPLETED, 110)),
              IsOk());
  EXPECT_TRUE(h.sink().tasks.empty());  // the miss is not judged yet
  h.AdvanceTo("2024-05-01T11:30:00Z");
  ASSERT_EQ(h.sink().tasks.size(), 2u);
  EXPECT_EQ(h.sink().tasks[0].task_id(), kMissedCallTask);
  EXPECT_EQ(h.sink().tasks[0].status(), Task::OPEN);
  EXPECT_EQ(h.sink().tasks[1].task_id(), kMissedCallTask);
  EXPECT_EQ(h.sink().tasks[1].status(), Task::DONE);
  EXPECT_EQ(h.sink().tasks[1].reason(), "client_called_back");
  EXPECT_TRUE(h.sink().alerts.empty());  // no SLA breach for a closed task
  EXPECT_EQ(h.sink().Sum(FactKind::kMissed), 1);
}

// Task ids and status changes, in order, as "<event id of the task> <status>"
// (the callback task ids end in the missed call's ended event id).
std::vector<std::string> TaskTrail(EngineHarness& h) {
  std::vector<std::string> trail;
  for (const Task& t : h.sink().tasks) {
    trail.push_back(t.task_id().substr(t.task_id().rfind(':') + 1) + " " +
                    Task::Status_Name(t.status()));
  }
  return trail;
}

// Two misses waiting for the watermark, then an answered call back: the same
// outputs as without lateness (one task, updated by the second miss, closed
// once), and one callback reached, not two.
TEST(CallbackTest, ACallBackAfterTwoMissesClosesTheOneTaskBothOpened) {
  for (const DurationNs lateness : {DurationNs{0}, 5 * 60 * kSecond}) {
    EngineOptions options;
    options.allowed_lateness = lateness;
    EngineHarness h(options);
    h.MissedCall("m1", "2024-05-01T10:00:00Z", "2024-05-01T10:00:30Z", "c1",
                 kNationalCaller);
    h.MissedCall("m2", "2024-05-01T10:01:00Z", "2024-05-01T10:01:30Z", "c3",
                 kNationalCaller);
    ASSERT_NO_FATAL_FAILURE(CallsInAndIsAnswered(h, "2024-05-01T10:02:00Z",
                                                 "2024-05-01T10:02:10Z"));
    h.AdvanceTo("2024-05-01T11:30:00Z");
    EXPECT_THAT(TaskTrail(h),
                ::testing::ElementsAre("m1e OPEN", "m1e UPDATED", "m1e DONE"))
        << "lateness " << lateness;
    EXPECT_EQ(h.sink().Sum(FactKind::kCallbackReached), 1);
    EXPECT_EQ(h.sink().Sum(FactKind::kMissed), 2);
  }
}

// A task already open, one more miss waiting, then an answered call back:
// the miss updates the open task and the answer closes it, as without
// lateness; no second task.
TEST(CallbackTest, ACallBackAfterAWaitingMissClosesTheTaskAlreadyOpen) {
  for (const DurationNs lateness : {DurationNs{0}, 5 * 60 * kSecond}) {
    EngineOptions options;
    options.allowed_lateness = lateness;
    EngineHarness h(options);
    h.MissedCall("m0", "2024-05-01T09:00:00Z", "2024-05-01T09:00:30Z", "c0",
                 kNationalCaller);
    h.AdvanceTo("2024-05-01T09:30:00Z");
    h.MissedCall("m1", "2024-05-01T10:00:00Z", "2024-05-01T10:00:30Z", "c1",
                 kNationalCaller);
    ASSERT_NO_FATAL_FAILURE(CallsInAndIsAnswered(h, "2024-05-01T10:02:00Z",
                                                 "2024-05-01T10:02:10Z"));
    h.AdvanceTo("2024-05-01T11:30:00Z");
    EXPECT_THAT(TaskTrail(h),
                ::testing::ElementsAre("m0e OPEN", "m0e UPDATED", "m0e DONE"))
        << "lateness " << lateness;
    EXPECT_EQ(h.sink().Sum(FactKind::kCallbackReached), 1);
  }
}

// The same answer before the missed call ended does not close it.
TEST(CallbackTest, AnAnswerBeforeTheMissedCallEndedLeavesItsTaskOpen) {
  EngineOptions options;
  options.allowed_lateness = 5 * 60 * kSecond;
  EngineHarness h(options);
  ASSERT_THAT(
      h.Apply(
          Leg("m1s", "2024-05-01T10:00:00Z", "c1", kNationalCaller).Started()),
      IsOk());
  ASSERT_THAT(
      h.Apply(
          Leg("b1", "2024-05-01T10:00:05Z", "c2", kNationalCaller).Started()),
      IsOk());
  ASSERT_THAT(h.Apply(Leg("b2", "2024-05-01T10:00:10Z", "c2", kNationalCaller)
                          .Answered("", 5)),
              IsOk());
  ASSERT_THAT(h.Apply(Leg("m1e", "2024-05-01T10:00:30Z", "c1", kNationalCaller)
                          .Ended(CallEnded::ABANDONED)),
              IsOk());
  h.AdvanceTo("2024-05-01T10:30:00Z");
  ASSERT_EQ(h.sink().tasks.size(), 1u);
  EXPECT_EQ(h.sink().tasks[0].status(), Task::OPEN);
}

TEST(CallbackTest, AnonymousMissedCallIsCountedButOpensNoTask) {
  EngineHarness h;
  h.MissedCall("n1", "2024-05-01T10:00:00Z", "2024-05-01T10:00:30Z", "c1",
               "anonymous");
  EXPECT_TRUE(h.sink().tasks.empty());
  EXPECT_TRUE(h.sink().contacts.empty());
  EXPECT_EQ(h.sink().Sum(FactKind::kMissed), 1);
  EXPECT_EQ(h.sink().Sum(FactKind::kAnonymous), 2);
}

}  // namespace
}  // namespace callflow::rules::testing
