// CommitCycle on its own: a real PartitionStore in a temp dir, a fake
// producer that acknowledges only when the test says so, and a fake group.
// The invariant under test: RocksDB never holds state, an offset or a
// changelog position past a record the broker has not acknowledged.

#include "processor/pipeline/internal/commit_cycle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "callflow/v1/state.pb.h"
#include "processor/pipeline/internal/changelog_records.h"
#include "processor/util/temp_dir.h"
#include "state/partition_store.h"
#include "state/state_env.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;
using ::testing::HasSubstr;

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr char kChangelog[] = "changelog";
constexpr uint64_t kOwner = 42;

// Keeps what the cycle produced; acknowledges on request with increasing
// offsets per partition, like a broker.
class FakeProducer : public PartitionProducer {
 public:
  struct Record {
    std::string topic;
    int32_t partition;
    std::string key;
    std::optional<std::string> payload;
    uint64_t owner;
    DeliveryTracker* tracker;
    bool reported = false;
  };

  absl::Status ProduceTo(const std::string& topic, int32_t partition,
                         std::string_view key, const std::string* payload,
                         uint64_t owner, DeliveryTracker* tracker) override {
    tracker->OnProduced();
    records.push_back(Record{topic, partition, std::string(key),
                             payload ? std::optional(*payload) : std::nullopt,
                             owner, tracker});
    return absl::OkStatus();
  }

  // Reports every record not reported yet: acknowledged, or failed.
  void ReportAll(bool ok = true) {
    for (Record& r : records) {
      if (r.reported) continue;
      r.reported = true;
      if (ok && r.tracker->records_offsets()) {
        r.tracker->OnOffset(r.partition, next_offset[r.partition]++);
      }
      r.tracker->OnDelivered(ok, ok ? "" : "broker said no");
    }
  }

  size_t CycleEnds() const {
    size_t n = 0;
    // Under the writer's own key, so that compaction keeps every owner's
    // last one.
    for (const Record& r : records) n += r.key == CycleKey(r.owner);
    return n;
  }

  std::vector<Record> records;
  std::map<int32_t, int64_t> next_offset;
};

class FakeGroup : public OffsetPublisher {
 public:
  void Publish(
      const std::vector<std::pair<int32_t, int64_t>>& offsets) override {
    for (const auto& o : offsets) published.push_back(o);
  }
  std::vector<std::pair<int32_t, int64_t>> published;
};

class CommitCycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state::StateOptions options;
    options.dir = tmp_.path() + "/state";
    options.memory_budget_bytes = state::StateEnv::kMinBudgetBytes;
    absl::StatusOr<std::unique_ptr<state::StateEnv>> env =
        state::StateEnv::Create(options);
    ASSERT_THAT(env, IsOk());
    env_ = std::move(*env);
    absl::StatusOr<std::unique_ptr<state::PartitionStore>> store =
        state::PartitionStore::Open(*env_, 3);
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
    CALLFLOW_ASSERT_OK_AND_ASSIGN(other_,
                                  state::PartitionStore::Open(*env_, 5));
  }

  CommitCycle::Context MakeContext() {
    return CommitCycle::Context{.shard = 0,

                                .changelog_topic = kChangelog,
                                .producer = producer_,
                                .offsets = group_,
                                .stats = stats_,
                                .observer = nullptr,
                                .abort = abort_,
                                .delivery_errors = &delivery_errors_,
                                .on_all_reported = {}};
  }

  // One processed event of partition 3: a changed caller, an output
  // produced into the open cycle, and the next offset.
  void ProcessOne(CommitCycle& cycle, const std::string& caller) {
    store_->MutableCaller(caller).set_missed_calls(1);
    cycle.outputs().OnProduced();
  }

  // A cycle whose non-blocking Finish writes one partition per call.
  CommitCycle::Context OnePartitionPerSlice() {
    CommitCycle::Context context = MakeContext();
    context.write_slice = std::chrono::microseconds(0);
    return context;
  }

  // Seals partition 3 (a changed caller and an output, up to 10) and
  // partition 5 (other_: a changed caller, up to 20) as one cycle.
  void SealTwo(CommitCycle& cycle, uint64_t owner) {
    ProcessOne(cycle, "+71");
    other_->MutableCaller("+72").set_missed_calls(2);
    ASSERT_THAT(cycle.SealPartition(3, *store_, owner, 10), IsOk());
    ASSERT_THAT(cycle.SealPartition(5, *other_, owner, 20), IsOk());
    cycle.Close({}, std::chrono::microseconds(0));
  }

  // Seals partition 3 up to `next`, with the changelog on or off.
  void Seal(CommitCycle& cycle, int64_t next, uint64_t owner) {
    ASSERT_THAT(cycle.SealPartition(3, *store_, owner, next), IsOk());
    cycle.Close({}, std::chrono::microseconds(0));
  }

  util::TempDir tmp_ = util::TempDir::CreateOrDie("callflow-commit-cycle");
  std::unique_ptr<state::StateEnv> env_;
  std::unique_ptr<state::PartitionStore> store_;  // partition 3
  std::unique_ptr<state::PartitionStore> other_;  // partition 5
  FakeProducer producer_;
  FakeGroup group_;
  PipelineStats stats_{1};
  std::atomic<bool> abort_{false};
  std::atomic<uint64_t> delivery_errors_{0};
};

TEST_F(CommitCycleTest, WritesNothingUntilTheOutputsAreAcknowledged) {
  CommitCycle cycle(MakeContext());
  DeliveryTracker& outputs = cycle.outputs();
  ProcessOne(cycle, "+71");
  Seal(cycle, 10, /*owner=*/0);
  ASSERT_TRUE(cycle.pending());

  ASSERT_THAT(cycle.Finish(/*block=*/false), IsOk());
  EXPECT_TRUE(cycle.pending());
  EXPECT_EQ(store_->next_offset(), std::nullopt);
  EXPECT_THAT(group_.published, IsEmpty());
  EXPECT_EQ(stats_.partitions[3].committed_offset.load(), -1);

  outputs.OnDelivered(true);
  ASSERT_THAT(cycle.Finish(/*block=*/false), IsOk());
  EXPECT_FALSE(cycle.pending());
  EXPECT_EQ(store_->next_offset(), 10);
  EXPECT_THAT(group_.published, ElementsAre(Pair(3, 10)));
  EXPECT_EQ(stats_.partitions[3].committed_offset.load(), 10);
  EXPECT_EQ(stats_.shards[0].commits.load(), 1u);
}

TEST_F(CommitCycleTest, TheNextCycleCountsInTheOtherTracker) {
  CommitCycle cycle(MakeContext());
  DeliveryTracker& sealed_outputs = cycle.outputs();
  ProcessOne(cycle, "+71");
  Seal(cycle, 10, /*owner=*/0);
  // Outputs of the open cycle, not acknowledged, do not hold the sealed one.
  ASSERT_NE(&cycle.outputs(), &sealed_outputs);
  ProcessOne(cycle, "+72");
  sealed_outputs.OnDelivered(true);
  ASSERT_THAT(cycle.Finish(/*block=*/false), IsOk());
  EXPECT_FALSE(cycle.pending());
  EXPECT_EQ(store_->next_offset(), 10);
  EXPECT_EQ(cycle.outputs().outstanding(), 1u);
}

TEST_F(CommitCycleTest, ANonBlockingFinishWritesASliceOfPartitionsPerCall) {
  CommitCycle cycle(OnePartitionPerSlice());
  DeliveryTracker& outputs = cycle.outputs();
  SealTwo(cycle, /*owner=*/0);
  outputs.OnDelivered(true);

  // The first call writes partition 3 and counts it as committed; 5 waits.
  ASSERT_THAT(cycle.Finish(/*block=*/false), IsOk());
  EXPECT_TRUE(cycle.pending());
  EXPECT_TRUE(cycle.writing());
  EXPECT_EQ(store_->next_offset(), 10);
  EXPECT_EQ(other_->next_offset(), std::nullopt);
  EXPECT_THAT(group_.published, ElementsAre(Pair(3, 10)));
  EXPECT_EQ(stats_.partitions[3].committed_offset.load(), 10);
  EXPECT_EQ(stats_.partitions[5].committed_offset.load(), -1);
  EXPECT_EQ(stats_.shards[0].commits.load(), 0u);

  // The next call writes the rest: the cycle is committed.
  ASSERT_THAT(cycle.Finish(/*block=*/false), IsOk());
  EXPECT_FALSE(cycle.pending());
  EXPECT_FALSE(cycle.writing());
  EXPECT_EQ(other_->next_offset(), 20);
  EXPECT_THAT(group_.published, ElementsAre(Pair(3, 10), Pair(5, 20)));
  EXPECT_EQ(stats_.shards[0].commits.load(), 1u);
}

TEST_F(CommitCycleTest, ABlockingFinishWritesEveryPartition) {
  CommitCycle cycle(OnePartitionPerSlice());
  DeliveryTracker& outputs = cycle.outputs();
  SealTwo(cycle, /*owner=*/0);
  outputs.OnDelivered(true);
  ASSERT_THAT(cycle.Finish(/*block=*/true), IsOk());
  EXPECT_FALSE(cycle.pending());
  EXPECT_EQ(store_->next_offset(), 10);
  EXPECT_EQ(other_->next_offset(), 20);
  EXPECT_EQ(stats_.shards[0].commits.load(), 1u);
}

TEST_F(CommitCycleTest, SlicedWritesKeepEachPartitionsChangelogPosition) {
  CommitCycle cycle(OnePartitionPerSlice());
  DeliveryTracker& outputs = cycle.outputs();
  SealTwo(cycle, kOwner);
  auto changes_of = [&](int32_t partition) {
    int64_t n = 0;
    for (const FakeProducer::Record& r : producer_.records) {
      n += r.partition == partition && !IsCycleKey(r.key);
    }
    return n;
  };
  const int64_t changes3 = changes_of(3);
  const int64_t changes5 = changes_of(5);
  ASSERT_GT(changes3, 0);
  ASSERT_GT(changes5, 0);

  outputs.OnDelivered(true);
  producer_.ReportAll();
  ASSERT_THAT(cycle.Finish(/*block=*/false), IsOk());
  EXPECT_EQ(producer_.CycleEnds(), 2u);  // both partitions' ends, once
  EXPECT_FALSE(cycle.writing());         // waiting for the ends
  producer_.ReportAll();

  // One partition written, each with its own changelog position.
  ASSERT_THAT(cycle.Finish(/*block=*/false), IsOk());
  EXPECT_TRUE(cycle.writing());
  ASSERT_TRUE(store_->changelog_position().has_value());
  EXPECT_EQ(store_->changelog_position()->next(), changes3 + 1);
  EXPECT_FALSE(other_->changelog_position().has_value());
  EXPECT_EQ(producer_.CycleEnds(), 2u);

  // A blocking Finish writes the rest at once.
  ASSERT_THAT(cycle.Finish(/*block=*/true), IsOk());
  EXPECT_FALSE(cycle.pending());
  ASSERT_TRUE(other_->changelog_position().has_value());
  EXPECT_EQ(other_->changelog_position()->next(), changes5 + 1);
  EXPECT_EQ(other_->next_offset(), 20);

  // The next cycle starts out waiting, not writing.
  ProcessOne(cycle, "+73");
  ASSERT_THAT(cycle.SealPartition(3, *store_, kOwner, 11), IsOk());
  cycle.Close({}, std::chrono::microseconds(0));
  EXPECT_TRUE(cycle.pending());
  EXPECT_FALSE(cycle.writing());
}

TEST_F(CommitCycleTest, AFailedDeliveryFailsTheCycleAndWritesNothing) {
  CommitCycle cycle(MakeContext());
  DeliveryTracker& outputs = cycle.outputs();
  ProcessOne(cycle, "+71");
  Seal(cycle, 10, /*owner=*/0);
  outputs.OnDelivered(false, "message timed out");

  EXPECT_THAT(
      cycle.Finish(/*block=*/false),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("message timed out")));
  EXPECT_EQ(store_->next_offset(), std::nullopt);
  EXPECT_THAT(group_.published, IsEmpty());
  EXPECT_EQ(delivery_errors_.load(), 1u);
}

TEST_F(CommitCycleTest, AnAbortedStopDoesNotWaitAndWritesNothing) {
  CommitCycle cycle(MakeContext());
  ProcessOne(cycle, "+71");
  Seal(cycle, 10, /*owner=*/0);
  abort_ = true;
  EXPECT_THAT(cycle.Finish(/*block=*/true),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(store_->next_offset(), std::nullopt);
  EXPECT_THAT(group_.published, IsEmpty());
}

TEST_F(CommitCycleTest, ABlockingFinishWaitsForTheAcknowledgements) {
  CommitCycle cycle(MakeContext());
  DeliveryTracker& outputs = cycle.outputs();
  ProcessOne(cycle, "+71");
  Seal(cycle, 10, /*owner=*/0);
  std::thread broker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    outputs.OnDelivered(true);
  });
  EXPECT_THAT(cycle.Finish(/*block=*/true), IsOk());
  broker.join();
  EXPECT_FALSE(cycle.pending());
  EXPECT_EQ(store_->next_offset(), 10);
}

TEST_F(CommitCycleTest, TheChangelogCycleEndsOnlyAfterItsRecordsAndOutputs) {
  CommitCycle cycle(MakeContext());
  DeliveryTracker& outputs = cycle.outputs();
  ProcessOne(cycle, "+71");
  Seal(cycle, 10, kOwner);
  // The sealed changes went to the changelog partition with the owner.
  ASSERT_FALSE(producer_.records.empty());
  for (const FakeProducer::Record& r : producer_.records) {
    EXPECT_EQ(r.topic, kChangelog);
    EXPECT_EQ(r.partition, 3);
    EXPECT_EQ(r.owner, kOwner);
  }
  const size_t changes = producer_.records.size();

  // Changelog records acknowledged, the output not: no cycle end yet.
  producer_.ReportAll();
  ASSERT_THAT(cycle.Finish(/*block=*/false), IsOk());
  EXPECT_EQ(producer_.CycleEnds(), 0u);

  // The output too: the cycle end goes out, and is waited for in turn.
  outputs.OnDelivered(true);
  ASSERT_THAT(cycle.Finish(/*block=*/false), IsOk());
  ASSERT_EQ(producer_.CycleEnds(), 1u);
  EXPECT_TRUE(cycle.pending());
  EXPECT_EQ(store_->next_offset(), std::nullopt);

  v1::ChangelogCycle end;
  ASSERT_TRUE(end.ParseFromString(*producer_.records.back().payload));
  EXPECT_EQ(end.owner(), kOwner);
  EXPECT_EQ(end.records(), changes);

  producer_.ReportAll();
  ASSERT_THAT(cycle.Finish(/*block=*/false), IsOk());
  EXPECT_FALSE(cycle.pending());
  EXPECT_EQ(store_->next_offset(), 10);
  // The written state says where the changelog is: after the cycle end.
  ASSERT_TRUE(store_->changelog_position().has_value());
  EXPECT_EQ(store_->changelog_position()->owner(), kOwner);
  EXPECT_EQ(store_->changelog_position()->next(),
            static_cast<int64_t>(changes) + 1);
}

TEST_F(CommitCycleTest, AFailedChangelogRecordSendsNoCycleEnd) {
  CommitCycle cycle(MakeContext());
  DeliveryTracker& outputs = cycle.outputs();
  ProcessOne(cycle, "+71");
  Seal(cycle, 10, kOwner);
  outputs.OnDelivered(true);
  producer_.ReportAll(/*ok=*/false);
  EXPECT_THAT(cycle.Finish(/*block=*/false),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(producer_.CycleEnds(), 0u);
  EXPECT_EQ(store_->next_offset(), std::nullopt);
  EXPECT_FALSE(store_->changelog_position().has_value());
}

TEST_F(CommitCycleTest, AForgottenPartitionIsNotWritten) {
  CommitCycle cycle(MakeContext());
  DeliveryTracker& outputs = cycle.outputs();
  ProcessOne(cycle, "+71");
  Seal(cycle, 10, /*owner=*/0);
  cycle.Forget(3);
  store_.reset();  // closed: the cycle must not touch it
  outputs.OnDelivered(true);
  ASSERT_THAT(cycle.Finish(/*block=*/false), IsOk());
  EXPECT_FALSE(cycle.pending());
  EXPECT_THAT(group_.published, IsEmpty());
}

TEST_F(CommitCycleTest, NothingSealedIsNothingToFinish) {
  CommitCycle cycle(MakeContext());
  EXPECT_FALSE(cycle.pending());
  EXPECT_THAT(cycle.Finish(/*block=*/true), IsOk());
  EXPECT_EQ(stats_.shards[0].commits.load(), 0u);
}

}  // namespace
}  // namespace callflow::pipeline
