// DeliveryTracker on its own: counts, waits, first error, offsets.

#include "processor/pipeline/internal/delivery_tracker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

namespace callflow::pipeline {
namespace {

using std::chrono::milliseconds;

TEST(DeliveryTrackerTest, CountsWhatIsOutstanding) {
  DeliveryTracker tracker;
  EXPECT_TRUE(tracker.WaitAll(milliseconds(0)));
  tracker.OnProduced();
  tracker.OnProduced();
  tracker.OnProduced();
  EXPECT_EQ(tracker.outstanding(), 3u);
  EXPECT_FALSE(tracker.WaitAll(milliseconds(1)));
  tracker.OnDelivered(true);
  tracker.OnUnproducible();  // done, not failed
  EXPECT_EQ(tracker.outstanding(), 1u);
  tracker.OnDelivered(true);
  EXPECT_TRUE(tracker.WaitAll(milliseconds(0)));
  EXPECT_EQ(tracker.acked(), 2u);
  EXPECT_EQ(tracker.unproducible(), 1u);
  EXPECT_EQ(tracker.failed(), 0u);
}

TEST(DeliveryTrackerTest, KeepsTheFirstErrorAndCountsEveryFailure) {
  std::atomic<uint64_t> errors{0};
  DeliveryTracker tracker(&errors);
  for (int i = 0; i < 3; ++i) tracker.OnProduced();
  EXPECT_TRUE(tracker.OnDelivered(false, "first"));
  EXPECT_FALSE(tracker.OnDelivered(false, "second"));
  EXPECT_FALSE(tracker.OnDelivered(true));
  EXPECT_EQ(tracker.failed(), 2u);
  EXPECT_EQ(tracker.first_error(), "first");
  EXPECT_EQ(errors.load(), 2u);
  EXPECT_EQ(tracker.outstanding(), 0u);
}

TEST(DeliveryTrackerTest, AFailureWithoutAReasonStillSaysSomething) {
  DeliveryTracker tracker;
  tracker.OnProduced();
  tracker.OnDelivered(false);
  EXPECT_EQ(tracker.first_error(), "unknown error");
}

TEST(DeliveryTrackerTest, WaitAllWakesOnTheLastReport) {
  DeliveryTracker tracker;
  tracker.OnProduced();
  std::thread reporter([&] {
    std::this_thread::sleep_for(milliseconds(20));
    tracker.OnDelivered(true);
  });
  EXPECT_TRUE(tracker.WaitAll(milliseconds(60000)));
  reporter.join();
}

TEST(DeliveryTrackerTest, RemembersTheHighestOffsetPerPartitionUntilCleared) {
  DeliveryTracker tracker(nullptr, /*record_offsets=*/true);
  EXPECT_TRUE(tracker.records_offsets());
  EXPECT_EQ(tracker.MaxOffset(0), -1);
  tracker.OnOffset(0, 7);
  tracker.OnOffset(0, 5);  // reports may come out of order
  tracker.OnOffset(1, 2);
  EXPECT_EQ(tracker.MaxOffset(0), 7);
  EXPECT_EQ(tracker.MaxOffset(1), 2);
  tracker.ClearOffsets();
  EXPECT_EQ(tracker.MaxOffset(0), -1);
}

// The owner may destroy a tracker as soon as WaitAll says everything is
// reported, while the reporting thread is still returning from OnDelivered
// (a test's local tracker, a finished cycle's): the report must not touch
// the tracker after the waiter can see it.
TEST(DeliveryTrackerTest, CanBeDestroyedAsSoonAsWaitAllReturns) {
  // The hook dawdles; if it ran after the report became visible, the
  // waiter would destroy the tracker meanwhile and the hook would see it.
  std::atomic<bool> destroyed{false};
  std::atomic<int> late{0};
  for (int i = 0; i < 200; ++i) {
    destroyed = false;
    auto tracker = std::make_unique<DeliveryTracker>();
    tracker->set_on_all_reported([&] {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      if (destroyed) late.fetch_add(1);
    });
    tracker->OnProduced();
    std::thread reporter([t = tracker.get()] { t->OnDelivered(true); });
    ASSERT_TRUE(tracker->WaitAll(milliseconds(60000)));
    tracker.reset();
    destroyed = true;
    reporter.join();
  }
  EXPECT_EQ(late.load(), 0);
}

}  // namespace
}  // namespace callflow::pipeline
