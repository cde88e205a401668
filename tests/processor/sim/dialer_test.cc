#include "processor/sim/dialer.h"

#include <map>
#include <set>

#include "gtest/gtest.h"
#include "processor/rules/time.h"

namespace callflow::sim {
namespace {

using rules::kHour;
using rules::kMinute;
using rules::kSecond;

const TimeNs kNow = rules::ParseTime("2024-06-03T10:00:00Z").value();

v1::Task Callback(const std::string& id, uint32_t attempt, TimeNs due,
                  v1::Task::Status status = v1::Task::OPEN) {
  v1::Task t;
  t.set_task_id(id);
  t.set_kind(v1::Task::CALLBACK);
  t.set_status(status);
  t.set_caller("+74951234567");
  t.set_line("sales");
  t.set_attempt(attempt);
  rules::ToProto(due, t.mutable_due_at());
  return t;
}

TEST(DialerTest, PlanIsAFunctionOfSeedAndTask) {
  Dialer a({.seed = 5}), b({.seed = 5}), c({.seed = 6});
  int differ = 0;
  for (int i = 0; i < 50; ++i) {
    const v1::Task t =
        Callback("cb:+74951234567:e" + std::to_string(i), 1, kNow + kHour);
    const DialAttempt x = a.Plan(t, kNow), y = b.Plan(t, kNow),
                      z = c.Plan(t, kNow);
    EXPECT_EQ(x.at, y.at);
    EXPECT_EQ(x.result, y.result);
    EXPECT_EQ(x.talk_seconds, y.talk_seconds);
    if (x.at != z.at || x.result != z.result) ++differ;
  }
  EXPECT_GT(differ, 40);
}

TEST(DialerTest, TimelyFirstAttemptIsReportedBeforeTheTaskFallsDue) {
  Dialer dialer({.seed = 1, .late_share = 0});
  for (int i = 0; i < 200; ++i) {
    const std::string id = "cb:+74951234567:e" + std::to_string(i);
    // The task reached the dialer late in its hour (a slow pipeline).
    const TimeNs due = kNow + 30 * kMinute;
    const DialAttempt a = dialer.Plan(Callback(id, 1, due), kNow);
    EXPECT_GE(a.at, kNow);
    // The callback_attempt event comes 1 s after the outbound leg ends.
    EXPECT_LT(a.at + (a.ring_seconds + a.talk_seconds + 1) * kSecond, due)
        << id << " result " << a.result;
  }
}

TEST(DialerTest, FirstAttemptWithinTheHourRetriesAboutADayApart) {
  Dialer dialer({.seed = 1, .late_share = 0});
  for (int i = 0; i < 200; ++i) {
    const std::string id = "cb:+74951234567:e" + std::to_string(i);
    const DialAttempt first = dialer.Plan(Callback(id, 1, kNow + kHour), kNow);
    EXPECT_GE(first.at, kNow);
    EXPECT_LT(first.at, kNow + kHour);
    const TimeNs due = kNow + 24 * kHour;
    const DialAttempt retry = dialer.Plan(Callback(id, 2, due), kNow);
    EXPECT_GE(retry.at, due - 45 * kMinute);
    EXPECT_LE(retry.at, due + kHour);
    EXPECT_EQ(retry.attempt, 2u);
    EXPECT_EQ(retry.task_id, id);
    EXPECT_EQ(retry.caller, "+74951234567");
  }
}

TEST(DialerTest, LateAttemptsMissTheSla) {
  Dialer dialer({.seed = 1, .late_share = 1});
  const DialAttempt first =
      dialer.Plan(Callback("cb:x:1", 1, kNow + kHour), kNow);
  EXPECT_GT(first.at, kNow + kHour);
  const DialAttempt retry =
      dialer.Plan(Callback("cb:x:1", 2, kNow + 24 * kHour), kNow);
  EXPECT_GT(retry.at, kNow + 26 * kHour);
}

TEST(DialerTest, EveryResultHappens) {
  Dialer dialer({.seed = 3});
  std::map<int, int> results;
  for (int i = 0; i < 400; ++i) {
    const DialAttempt a = dialer.Plan(
        Callback("cb:y:" + std::to_string(i), 1, kNow + kHour), kNow);
    ++results[a.result];
    if (a.result == v1::CallbackAttempt::REACHED) {
      EXPECT_GT(a.talk_seconds, 0u);
    } else {
      EXPECT_EQ(a.talk_seconds, 0u);
    }
  }
  for (auto r : {v1::CallbackAttempt::REACHED, v1::CallbackAttempt::NO_ANSWER,
                 v1::CallbackAttempt::BUSY, v1::CallbackAttempt::FAILED}) {
    EXPECT_GT(results[r], 10) << v1::CallbackAttempt::AttemptResult_Name(r);
  }
}

TEST(DialerTest, OneAttemptPerTaskState) {
  Dialer dialer({.seed = 1});
  const v1::Task open = Callback("cb:z:1", 1, kNow + kHour);
  dialer.OnTask(open, kNow);
  // Missed again: UPDATED, same attempt and due_at: nothing new.
  dialer.OnTask(Callback("cb:z:1", 1, kNow + kHour, v1::Task::UPDATED),
                kNow + kMinute);
  EXPECT_EQ(dialer.planned(), 1u);
  ASSERT_TRUE(dialer.NextAt().has_value());
  DialAttempt a;
  EXPECT_FALSE(dialer.PopDue(*dialer.NextAt() - 1, &a));
  ASSERT_TRUE(dialer.PopDue(*dialer.NextAt(), &a));
  EXPECT_EQ(a.attempt, 1u);
  EXPECT_FALSE(dialer.NextAt().has_value());
  // The same state again while the attempt is under way: still nothing.
  dialer.OnTask(open, kNow + 2 * kMinute);
  EXPECT_EQ(dialer.planned(), 0u);
  // The attempt failed: attempt 2 a day later.
  dialer.OnTask(Callback("cb:z:1", 2, a.at + 24 * kHour, v1::Task::UPDATED),
                a.at);
  ASSERT_EQ(dialer.planned(), 1u);
  EXPECT_GT(*dialer.NextAt(), a.at + 20 * kHour);
  // The client called back: DONE drops the plan.
  dialer.OnTask(Callback("cb:z:1", 2, a.at + 24 * kHour, v1::Task::DONE),
                a.at + kHour);
  EXPECT_EQ(dialer.planned(), 0u);
  EXPECT_FALSE(dialer.PopDue(a.at + 100 * kHour, &a));
}

TEST(DialerTest, RescheduledReminderIsReplannedAndEmailIgnored) {
  Dialer dialer({.seed = 1, .late_share = 0});
  v1::Task rem = Callback("rem:+74951234567:ce-1", 0, kNow + 48 * kHour);
  rem.set_kind(v1::Task::REMINDER);
  dialer.OnTask(rem, kNow);
  const TimeNs first = *dialer.NextAt();
  EXPECT_GE(first, kNow + 48 * kHour);
  rules::ToProto(kNow + 72 * kHour, rem.mutable_due_at());
  rem.set_status(v1::Task::UPDATED);
  dialer.OnTask(rem, kNow + kHour);
  EXPECT_EQ(dialer.planned(), 1u);
  EXPECT_GE(*dialer.NextAt(), kNow + 72 * kHour);
  rem.set_status(v1::Task::CANCELLED);
  dialer.OnTask(rem, kNow + 2 * kHour);
  EXPECT_EQ(dialer.planned(), 0u);

  v1::Task email = Callback("cb:x:1:email", 3, kNow);
  email.set_kind(v1::Task::EMAIL);
  dialer.OnTask(email, kNow);
  EXPECT_EQ(dialer.planned(), 0u);
}

TEST(DialerTest, NeverPlansInThePast) {
  Dialer dialer({.seed = 9});
  const TimeNs late_now = kNow + 5 * kHour;  // the task arrived late
  for (int i = 0; i < 50; ++i) {
    const DialAttempt a = dialer.Plan(
        Callback("cb:w:" + std::to_string(i), 1 + i % 3, kNow + kHour),
        late_now);
    EXPECT_GE(a.at, late_now);
  }
}

}  // namespace
}  // namespace callflow::sim
