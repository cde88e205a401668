// PartitionStore timers: memory and disk merged in timer order, across
// restarts, and against a reference through random commits and crashes.
#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "state/partition_store.h"
#include "tests/state/partition_store_fixture.h"
#include "tests/support/status_matchers.h"

namespace callflow::state::testing {
namespace {

using ::callflow_testing::IsOk;
using rules::Timer;
using rules::TimerKind;

TEST_F(PartitionStoreTest, TimersMergeMemoryAndDiskInTimerOrder) {
  Reopen();
  // Equal due times, so kind, key, ref and seq decide.
  const std::vector<Timer> on_disk = {
      {100, TimerKind::kLegStale, "+72", "c", 0},
      {100, TimerKind::kLegClose, "+72", "c", 0},
      {100, TimerKind::kLegClose, "+71", "c", 2},
      {90, TimerKind::kReminderOverdue, "+73", "e", 1},
      {200, TimerKind::kCallbackOverdue, "+71", "t", 3},
  };
  const std::vector<Timer> in_memory = {
      {100, TimerKind::kLegClose, "+71", "c", 1},
      {100, TimerKind::kLegClose, "+72", "b", 0},
      {100, TimerKind::kLegStale, "+72", "c", 0},  // also on disk: fires once
      {150, TimerKind::kCallbackSla, "+74", "t", 1},
      {-5, TimerKind::kLegClose, "+75", "c", 0},
  };
  ReferenceTimers reference;
  for (const Timer& t : on_disk) {
    store_->AddTimer(t);
    reference.AddTimer(t);
  }
  ASSERT_THAT(store_->Commit(std::nullopt), IsOk());
  for (const Timer& t : in_memory) {
    store_->AddTimer(t);
    reference.AddTimer(t);
  }
  EXPECT_EQ(store_->PopDueTimer(-6), std::nullopt);
  EXPECT_EQ(PopAll(*store_, 100), PopAll(reference, 100));
  const std::vector<Timer> rest = PopAll(reference, kNever);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(PopAll(*store_, kNever), rest);
}

TEST_F(PartitionStoreTest, PopDueTimerAfterRestart) {
  Reopen();
  std::vector<Timer> timers;
  for (int i = 0; i < 600; ++i) {  // more than one disk scan batch
    timers.push_back(Timer{i / 7, TimerKind::kLegClose,
                           "+7" + std::to_string(i % 13),
                           "call-" + std::to_string(i), 0});
  }
  for (const Timer& t : timers) store_->AddTimer(t);
  ASSERT_THAT(store_->Commit(1), IsOk());
  std::sort(timers.begin(), timers.end());

  Reopen();
  EXPECT_EQ(store_->PopDueTimer(-1), std::nullopt);
  const std::vector<Timer> first = PopAll(*store_, 40);
  ASSERT_EQ(first.size(), 41u * 7);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), timers.begin()));
  ASSERT_THAT(store_->Commit(2), IsOk());

  Reopen();
  const std::vector<Timer> second = PopAll(*store_, kNever);
  EXPECT_TRUE(std::equal(second.begin(), second.end(),
                         timers.begin() + first.size(), timers.end()));
  ASSERT_THAT(store_->Commit(3), IsOk());
  Reopen();
  EXPECT_EQ(store_->PopDueTimer(kNever), std::nullopt);
}

// Disk timers are read ahead of the watermark, a batch at a time: with
// many timers on disk and the watermark creeping past them, timers added
// meanwhile (many sorting before the read-ahead ones) and commits between,
// the store pops what the reference pops.
TEST_F(PartitionStoreTest, ReadAheadTimersPopAsTheWatermarkCreeps) {
  Reopen();
  RandomPick pick(11);
  ReferenceTimers reference;
  for (int i = 0; i < 2000; ++i) {  // several read-ahead batches
    const Timer t{pick(3000), static_cast<TimerKind>(1 + pick(5)),
                  "+7" + std::to_string(pick(50)), "r", 0};
    store_->AddTimer(t);
    reference.AddTimer(t);
  }
  ASSERT_THAT(store_->Commit(0), IsOk());
  rules::TimeNs watermark = 0;
  size_t popped = 0;
  uint64_t commits = 0;
  for (int step = 1; watermark < 3100; ++step) {
    watermark += pick(4);
    if (pick(2) == 0) AddRandomTimer(pick, watermark, *store_, reference);
    const std::vector<Timer> want = PopAll(reference, watermark);
    ASSERT_EQ(PopAll(*store_, watermark), want) << "watermark " << watermark;
    popped += want.size();
    if (step % 97 == 0) {
      ASSERT_THAT(store_->Commit(step), IsOk());
      ++commits;
    }
  }
  EXPECT_GE(popped, 2000u);
  // A scan per batch and per commit (a commit returns the read-ahead to
  // the disk range), not one per watermark step that passes a timer.
  EXPECT_LT(store_->Stats().timer_scans, 2000u / 256 + commits + 10);
  EXPECT_EQ(PopAll(*store_, kNever), PopAll(reference, kNever));
}

// Random adds, pops, commits and crashes against the reference, which is
// rolled back to its last committed copy on a crash.
TEST_F(PartitionStoreTest, TimersMatchReferenceThroughCommitsAndCrashes) {
  Reopen();
  RandomPick pick(7);
  ReferenceTimers reference;
  ReferenceTimers committed;
  rules::TimeNs watermark = 0;
  for (int step = 0; step < 3000; ++step) {
    const int op = pick(100);
    if (op < 45) {
      AddRandomTimer(pick, watermark, *store_, reference);
    } else if (op < 75) {
      ASSERT_TRUE(PopsAlike(pick, watermark, *store_, reference))
          << "step " << step;
    } else if (op < 90) {
      ASSERT_THAT(store_->Commit(step), IsOk());
      committed = reference;
    } else if (op < 99) {
      ASSERT_EQ(PopAll(*store_, watermark), PopAll(reference, watermark))
          << "step " << step;
    } else {
      Reopen();
      reference = committed;
    }
  }
  EXPECT_EQ(PopAll(*store_, kNever), PopAll(reference, kNever));
}

}  // namespace
}  // namespace callflow::state::testing
