// FreezeWatch: a process that keeps running is never taken for frozen; a
// tick older than the limit (as right after SIGCONT, before the ticking
// thread ran) is. The whole path, with a real SIGSTOP of a `callflow run`
// child, is ScaleOutTest.PausedOwnerComesBackThenNewHostJoins.
#include "processor/pipeline/internal/freeze_watch.h"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>
#include <vector>

namespace callflow::pipeline {
namespace {

using std::chrono::milliseconds;

// The limits are seconds, far above the 100 ms tick, so that a test run
// beside others on a busy machine (ctest runs 4 at a time) cannot starve the
// ticking thread past them.
TEST(FreezeWatchTest, RunningIsNotFrozen) {
  FreezeWatch watch(milliseconds(3000));
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    EXPECT_EQ(watch.FrozenFor(FreezeWatch::Clock::now()).count(), 0);
  }
  EXPECT_EQ(watch.limit(), milliseconds(3000));
}

TEST(FreezeWatchTest, AStaleTickPastTheLimitIsAFreeze) {
  FreezeWatch watch(milliseconds(3000));
  const auto later = FreezeWatch::Clock::now() + std::chrono::seconds(10);
  EXPECT_GE(watch.FrozenFor(later), milliseconds(9000));
  // Within the limit: still running.
  const auto soon = FreezeWatch::Clock::now() + milliseconds(200);
  EXPECT_EQ(watch.FrozenFor(soon).count(), 0);
}

TEST(FreezeWatchTest, TheTickingThreadReportsAFreezeOnce) {
  std::mutex mu;
  std::vector<absl::Status> reports;
  {
    // A limit below the tick: every gap between two ticks is a "freeze".
    FreezeWatch watch(milliseconds(1), [&](absl::Status s) {
      std::lock_guard lock(mu);
      reports.push_back(std::move(s));
    });
    std::this_thread::sleep_for(milliseconds(500));
  }
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].code(), absl::StatusCode::kAborted);
  EXPECT_NE(reports[0].message().find("stood still"), std::string::npos);
  EXPECT_NE(reports[0].message().find("session.timeout.ms 1)"),
            std::string::npos);
}

}  // namespace
}  // namespace callflow::pipeline
