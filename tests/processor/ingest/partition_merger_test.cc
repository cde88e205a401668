// The event-time merge of a raw topic's partitions (max_idle, end of
// partition, commit offsets).
#include "processor/ingest/partition_merger.h"

#include <gtest/gtest.h>

namespace callflow::ingest {
namespace {

using Clock = PartitionMerger::Clock;
using std::chrono::seconds;

PartitionMerger::Record At(int32_t partition, int64_t offset, int64_t time) {
  PartitionMerger::Record r;
  r.partition = partition;
  r.offset = offset;
  r.time_ns = time;
  return r;
}

class PartitionMergerTest : public ::testing::Test {
 protected:
  PartitionMergerTest() {
    merger_.Assign(0, t0_);
    merger_.Assign(1, t0_);
  }
  // (partition, offset) of the next record, or (-1, -1).
  std::pair<int32_t, int64_t> Next(Clock::time_point now) {
    auto r = merger_.Pop(now);
    return r ? std::make_pair(r->partition, r->offset)
             : std::make_pair(-1, int64_t{-1});
  }

  Clock::time_point t0_ = Clock::now();
  PartitionMerger merger_{seconds(2)};
};

TEST_F(PartitionMergerTest, SmallestEventTimeFirstAcrossPartitions) {
  merger_.Push(At(0, 0, 30));
  merger_.Push(At(0, 1, 40));
  merger_.Push(At(1, 0, 10));
  merger_.Push(At(1, 1, 35));
  merger_.MarkEnd(0);
  merger_.MarkEnd(1);
  EXPECT_EQ(Next(t0_), std::make_pair(1, int64_t{0}));
  EXPECT_EQ(Next(t0_), std::make_pair(0, int64_t{0}));
  EXPECT_EQ(Next(t0_), std::make_pair(1, int64_t{1}));
  EXPECT_EQ(Next(t0_), std::make_pair(0, int64_t{1}));
  EXPECT_EQ(Next(t0_), std::make_pair(-1, int64_t{-1}));
}

// A feed that is not in order within a partition either: what is buffered
// still leaves in event-time order, and the commit offset stays at the
// first offset not handed out.
TEST_F(PartitionMergerTest, SmallestEventTimeFirstWithinAPartition) {
  merger_.Push(At(0, 0, 60));  // ended
  merger_.Push(At(0, 1, 20));  // answered
  merger_.Push(At(0, 2, 0));   // started
  merger_.Push(At(0, 3, 20));  // same time as offset 1: after it
  merger_.MarkEnd(0);
  merger_.MarkEnd(1);
  EXPECT_EQ(Next(t0_), std::make_pair(0, int64_t{2}));
  EXPECT_EQ(merger_.CommitOffset(0), 0);
  EXPECT_EQ(Next(t0_), std::make_pair(0, int64_t{1}));
  EXPECT_EQ(Next(t0_), std::make_pair(0, int64_t{3}));
  EXPECT_EQ(merger_.CommitOffset(0), 0);
  EXPECT_EQ(Next(t0_), std::make_pair(0, int64_t{0}));
  EXPECT_EQ(merger_.CommitOffset(0), 4);
}

TEST_F(PartitionMergerTest, AnEmptyPartitionHoldsTheMergeBackForMaxIdle) {
  merger_.Push(At(0, 0, 30));
  // Partition 1 has nothing and is not at its end: wait.
  EXPECT_EQ(Next(t0_), std::make_pair(-1, int64_t{-1}));
  EXPECT_EQ(Next(t0_ + seconds(1)), std::make_pair(-1, int64_t{-1}));
  // Its earlier event arrives in time and goes first.
  merger_.Push(At(1, 0, 20));
  EXPECT_EQ(Next(t0_ + seconds(1)), std::make_pair(1, int64_t{0}));
  // Partition 1 is empty again (since now): max_idle counts from here.
  EXPECT_EQ(Next(t0_ + seconds(2)), std::make_pair(-1, int64_t{-1}));
  EXPECT_EQ(Next(t0_ + seconds(3)), std::make_pair(0, int64_t{0}));
}

TEST_F(PartitionMergerTest, APartitionAtItsEndDoesNotHoldItBack) {
  merger_.Push(At(0, 0, 30));
  merger_.MarkEnd(1);
  EXPECT_EQ(Next(t0_), std::make_pair(0, int64_t{0}));
  // New data ends "at end".
  merger_.Push(At(1, 0, 50));
  merger_.Push(At(0, 1, 60));
  EXPECT_EQ(Next(t0_), std::make_pair(1, int64_t{0}));
  EXPECT_EQ(Next(t0_), std::make_pair(-1, int64_t{-1}));  // 1 empty again
}

TEST_F(PartitionMergerTest, CommitOffsetsStopAtWhatIsStillBuffered) {
  EXPECT_EQ(merger_.CommitOffset(0), -1);
  merger_.Push(At(0, 5, 30));
  merger_.Skip(0, 6, t0_);  // a malformed record, done at once
  merger_.Push(At(0, 7, 40));
  EXPECT_EQ(merger_.CommitOffset(0), 5);
  merger_.MarkEnd(0);
  merger_.MarkEnd(1);
  EXPECT_EQ(Next(t0_), std::make_pair(0, int64_t{5}));
  EXPECT_EQ(merger_.CommitOffset(0), 7);
  EXPECT_EQ(merger_.TotalBuffered(), 1u);
  EXPECT_EQ(Next(t0_), std::make_pair(0, int64_t{7}));
  EXPECT_EQ(merger_.CommitOffset(0), 8);
  EXPECT_EQ(merger_.CommitOffsets(), (std::map<int32_t, int64_t>{{0, 8}}));
  merger_.Push(At(1, 0, 1));
  merger_.Revoke(1);
  EXPECT_EQ(merger_.TotalBuffered(), 0u);
}

}  // namespace
}  // namespace callflow::ingest
