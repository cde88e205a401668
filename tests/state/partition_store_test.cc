// PartitionStore: callers and the partition record through commits, restarts
// and crashes; prefetch, erase, InspectCaller, errors and stats.
#include "state/partition_store.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/state/partition_store_fixture.h"
#include "tests/support/status_matchers.h"

namespace callflow::state::testing {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;
using rules::Timer;
using rules::TimerKind;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST_F(PartitionStoreTest, RoundTripAndRestart) {
  Reopen();
  EXPECT_EQ(store_->partition(), 0);
  EXPECT_FALSE(store_->next_offset().has_value());
  EXPECT_FALSE(store_->dirty());

  v1::CallerState& c = store_->MutableCaller("+74951234567");
  EXPECT_EQ(c.first_seen_at(), 0);
  FillCaller(c, "+74951234567", 3);
  v1::CallerState expected = c;
  store_->MutablePartition().set_watermark(777);
  store_->AddTimer(Timer{50, TimerKind::kCallbackSla, "+74951234567", "t1", 1});
  EXPECT_TRUE(store_->dirty());
  ASSERT_THAT(store_->Commit(41), IsOk());
  EXPECT_FALSE(store_->dirty());
  EXPECT_EQ(store_->next_offset(), 41);
  EXPECT_TRUE(SameRecord(store_->MutableCaller("+74951234567"), expected));

  Reopen();
  EXPECT_EQ(store_->next_offset(), 41);
  EXPECT_EQ(store_->MutablePartition().watermark(), 777);
  EXPECT_TRUE(SameRecord(store_->MutableCaller("+74951234567"), expected));
  EXPECT_THAT(PopAll(*store_, 100),
              ::testing::ElementsAre(
                  Timer{50, TimerKind::kCallbackSla, "+74951234567", "t1", 1}));
  EXPECT_THAT(store_->status(), IsOk());
}

TEST_F(PartitionStoreTest, CommitWithoutOffsetKeepsTheOldOne) {
  Reopen();
  ASSERT_THAT(store_->Commit(5), IsOk());
  store_->MutableCaller("+7").set_inbound_calls(1);
  ASSERT_THAT(store_->Commit(std::nullopt), IsOk());
  EXPECT_EQ(store_->next_offset(), 5);
  Reopen();
  EXPECT_EQ(store_->next_offset(), 5);
  EXPECT_EQ(store_->MutableCaller("+7").inbound_calls(), 1u);
}

TEST_F(PartitionStoreTest, PartitionsAreSeparateDatabases) {
  Reopen(0);
  store_->MutableCaller("+7").set_inbound_calls(1);
  ASSERT_THAT(store_->Commit(9), IsOk());
  std::unique_ptr<PartitionStore> other = OpenStore(3);
  ASSERT_NE(other, nullptr);
  EXPECT_FALSE(other->next_offset().has_value());
  EXPECT_EQ(other->MutableCaller("+7").inbound_calls(), 0u);
  EXPECT_TRUE(std::filesystem::is_directory(state_dir() + "/p-0"));
  EXPECT_TRUE(std::filesystem::is_directory(state_dir() + "/p-3"));
}

// Files of `suffix` ("sst", "log") in partition 0's database.
int FilesOf(const std::string& dir, const std::string& suffix) {
  int n = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir + "/p-0")) {
    n += f.path().extension() == "." + suffix;
  }
  return n;
}

// Reopening replays the write-ahead log of what was committed since the
// last flush into the memtable. Replayed into the 64 KiB memtable a store
// first opens with, it used to be flushed in 64 KiB pieces (an SST file,
// its fsync and a MANIFEST update each): tens of milliseconds per
// partition, one partition after the other, on every restart.
TEST_F(PartitionStoreTest, ReopenReplaysTheLogWithoutFlushingIt) {
  MakeEnv(/*cached_callers=*/1000, /*flush_on_close=*/false);
  Reopen();
  constexpr int kCallers = 5000;  // ~400 KB of records, far over 64 KiB
  auto key = [](int i) { return absl::StrCat("+7495", 1000000 + i); };
  for (int i = 0; i < kCallers; ++i) {
    FillCaller(store_->MutableCaller(key(i)), key(i), i + 1);
  }
  ASSERT_THAT(store_->Commit(kCallers), IsOk());
  ASSERT_EQ(FilesOf(state_dir(), "sst"), 0) << "committed to the log only";
  ASSERT_GE(FilesOf(state_dir(), "log"), 1);

  Reopen();
  EXPECT_EQ(FilesOf(state_dir(), "sst"), 0);
  EXPECT_EQ(store_->next_offset(), kCallers);
  for (int i = 0; i < kCallers; i += 499) {
    EXPECT_EQ(store_->MutableCaller(key(i)).inbound_calls(),
              static_cast<uint32_t>(i + 1))
        << key(i);
  }
  // The replayed log is still what keeps those records: a second restart
  // finds them too.
  Reopen();
  EXPECT_EQ(store_->MutableCaller(key(kCallers - 1)).inbound_calls(),
            static_cast<uint32_t>(kCallers));
}

// A clean close flushes, so the next open has no log to replay.
TEST_F(PartitionStoreTest, FlushToDiskLeavesNoLogToReplay) {
  Reopen();
  constexpr int kCallers = 2000;
  auto key = [](int i) { return absl::StrCat("+7495", 1000000 + i); };
  for (int i = 0; i < kCallers; ++i) {
    FillCaller(store_->MutableCaller(key(i)), key(i), i + 1);
  }
  store_->AddTimer(Timer{50, TimerKind::kCallbackSla, key(7), "t1", 1});
  ASSERT_THAT(store_->Commit(kCallers), IsOk());
  ASSERT_GT(WalBytes(state_dir(), 0), 0u);
  ASSERT_EQ(FilesOf(state_dir(), "sst"), 0);

  ASSERT_THAT(store_->FlushToDisk(), IsOk());
  EXPECT_EQ(WalBytes(state_dir(), 0), 0u);
  EXPECT_GE(FilesOf(state_dir(), "sst"), 1);
  // Buffered changes are not flushed: they were never written.
  store_->MutableCaller(key(0)).set_inbound_calls(999);

  Reopen();
  EXPECT_EQ(store_->next_offset(), kCallers);
  EXPECT_EQ(store_->MutableCaller(key(0)).inbound_calls(), 1u);
  for (int i = 0; i < kCallers; i += 199) {
    EXPECT_EQ(store_->MutableCaller(key(i)).inbound_calls(),
              static_cast<uint32_t>(i + 1))
        << key(i);
  }
  EXPECT_THAT(PopAll(*store_, 100),
              ::testing::ElementsAre(
                  Timer{50, TimerKind::kCallbackSla, key(7), "t1", 1}));
  // Writes after a flush go to the log again and survive a restart.
  store_->MutableCaller(key(1)).set_inbound_calls(42);
  ASSERT_THAT(store_->Commit(kCallers + 1), IsOk());
  EXPECT_GT(WalBytes(state_dir(), 0), 0u);
  Reopen();
  EXPECT_EQ(store_->MutableCaller(key(1)).inbound_calls(), 42u);
  EXPECT_EQ(store_->next_offset(), kCallers + 1);
}

// Whatever closes a store flushes it: one that replayed a killed process's
// log and is dropped again before anything is written to it (a partition
// still loading when the process stops) leaves no log either.
TEST_F(PartitionStoreTest, ClosingFlushesEvenAStoreThatOnlyReplayedALog) {
  MakeEnv(/*cached_callers=*/1000, /*flush_on_close=*/false);
  Reopen();
  constexpr int kCallers = 500;
  auto key = [](int i) { return absl::StrCat("+7495", 1000000 + i); };
  for (int i = 0; i < kCallers; ++i) {
    FillCaller(store_->MutableCaller(key(i)), key(i), i + 1);
  }
  ASSERT_THAT(store_->Commit(kCallers), IsOk());
  Reopen();  // the killed process
  ASSERT_GT(WalBytes(state_dir(), 0), 0u);

  MakeEnv(/*cached_callers=*/1000);
  Reopen();  // replays the log
  store_.reset();
  EXPECT_EQ(WalBytes(state_dir(), 0), 0u);
  EXPECT_GE(FilesOf(state_dir(), "sst"), 1);

  // A store with nothing in its memtable closes without writing a file.
  const int ssts = FilesOf(state_dir(), "sst");
  Reopen();
  store_.reset();
  EXPECT_EQ(FilesOf(state_dir(), "sst"), ssts);
  EXPECT_EQ(WalBytes(state_dir(), 0), 0u);

  Reopen();
  EXPECT_EQ(store_->next_offset(), kCallers);
  EXPECT_EQ(store_->MutableCaller(key(kCallers - 1)).inbound_calls(),
            static_cast<uint32_t>(kCallers));
}

TEST_F(PartitionStoreTest, UncommittedChangesLeaveNoTrace) {
  Reopen();
  FillCaller(store_->MutableCaller("+71"), "+71", 1);
  FillCaller(store_->MutableCaller("+72"), "+72", 2);
  store_->MutablePartition().set_watermark(10);
  const Timer early{20, TimerKind::kLegClose, "+71", "call", 0};
  const Timer late{30, TimerKind::kLegClose, "+72", "call", 0};
  store_->AddTimer(early);
  store_->AddTimer(late);
  ASSERT_THAT(store_->Commit(100), IsOk());
  const v1::CallerState c1 = store_->MutableCaller("+71");
  const v1::CallerState c2 = store_->MutableCaller("+72");
  ASSERT_THAT(store_->Commit(std::nullopt), IsOk());

  store_->MutableCaller("+71").set_inbound_calls(99);
  store_->EraseCaller("+72");
  store_->MutableCaller("+73").set_inbound_calls(1);
  store_->MutablePartition().set_watermark(25);
  store_->AddTimer(Timer{5, TimerKind::kLegClose, "+73", "call", 0});
  EXPECT_EQ(store_->PopDueTimer(25),
            (Timer{5, TimerKind::kLegClose, "+73", "call", 0}));
  EXPECT_EQ(store_->PopDueTimer(25), early);
  EXPECT_TRUE(store_->dirty());

  Reopen();
  EXPECT_EQ(store_->next_offset(), 100);
  EXPECT_EQ(store_->MutablePartition().watermark(), 10);
  EXPECT_TRUE(SameRecord(store_->MutableCaller("+71"), c1));
  EXPECT_TRUE(SameRecord(store_->MutableCaller("+72"), c2));
  EXPECT_EQ(store_->MutableCaller("+73").first_seen_at(), 0);
  EXPECT_THAT(PopAll(*store_, kNever), ::testing::ElementsAre(early, late));
}

TEST_F(PartitionStoreTest, TinyCallerCacheKeepsDataCorrect) {
  MakeEnv(/*cached_callers=*/2);
  Reopen();
  // Twenty callers in one cycle: references must survive until Commit().
  std::vector<v1::CallerState*> refs;
  for (int i = 0; i < 20; ++i) {
    refs.push_back(&store_->MutableCaller("+7" + std::to_string(i)));
  }
  for (int i = 0; i < 20; ++i) {
    FillCaller(*refs[i], "+7" + std::to_string(i), i);
  }
  ASSERT_THAT(store_->Commit(1), IsOk());
  EXPECT_LE(store_->Stats().cached_callers, 2u);

  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 20; ++i) {
      v1::CallerState& c = store_->MutableCaller("+7" + std::to_string(i));
      ASSERT_EQ(c.inbound_calls(), static_cast<uint32_t>(i + round)) << i;
      ASSERT_EQ(c.caller(), "+7" + std::to_string(i));
      c.set_inbound_calls(c.inbound_calls() + 1);
      if (i % 5 == 4) {
        ASSERT_THAT(store_->Commit(std::nullopt), IsOk());
      }
    }
    EXPECT_LE(store_->Stats().cached_callers, 2u);
  }
}

TEST_F(PartitionStoreTest, PrefetchLoadsMissingCallersOnce) {
  Reopen();
  for (int i = 0; i < 10; ++i) {
    FillCaller(store_->MutableCaller("+7" + std::to_string(i)),
               "+7" + std::to_string(i), i);
  }
  ASSERT_THAT(store_->Commit(1), IsOk());

  Reopen();
  EXPECT_EQ(store_->Stats().cached_callers, 0u);
  ASSERT_THAT(store_->Prefetch({"+73", "+71", "+73", "+7unknown"}), IsOk());
  EXPECT_EQ(store_->Stats().cached_callers, 3u);
  EXPECT_FALSE(store_->dirty());
  ASSERT_THAT(store_->Prefetch({"+71", "+75"}), IsOk());
  EXPECT_EQ(store_->Stats().cached_callers, 4u);
  ASSERT_THAT(store_->Prefetch({}), IsOk());

  EXPECT_EQ(store_->MutableCaller("+71").inbound_calls(), 1u);
  EXPECT_EQ(store_->MutableCaller("+73").inbound_calls(), 3u);
  EXPECT_EQ(store_->MutableCaller("+75").inbound_calls(), 5u);
  EXPECT_EQ(store_->MutableCaller("+7unknown").first_seen_at(), 0);
  EXPECT_EQ(store_->Stats().cached_callers, 4u);
  EXPECT_EQ(store_->MutableCaller("+79").inbound_calls(), 9u);
  EXPECT_EQ(store_->Stats().cached_callers, 5u);

  // A prefetched record that was changed before is not read again.
  store_->MutableCaller("+71").set_inbound_calls(50);
  ASSERT_THAT(store_->Prefetch({"+71"}), IsOk());
  EXPECT_EQ(store_->MutableCaller("+71").inbound_calls(), 50u);
}

TEST_F(PartitionStoreTest, EraseRemovesTheRecord) {
  Reopen();
  FillCaller(store_->MutableCaller("+71"), "+71", 1);
  FillCaller(store_->MutableCaller("+72"), "+72", 2);
  ASSERT_THAT(store_->Commit(1), IsOk());

  store_->EraseCaller("+71");
  store_->EraseCaller("+7never");
  store_->MutableCaller("+72");
  store_->EraseCaller("+72");
  // Used again after the erase in the same cycle: a fresh default record.
  EXPECT_EQ(store_->MutableCaller("+72").inbound_calls(), 0u);
  store_->MutableCaller("+72").set_inbound_calls(7);
  ASSERT_THAT(store_->Commit(2), IsOk());
  EXPECT_EQ(store_->Stats().cached_callers, 1u);  // +72; erased ones dropped

  Reopen();
  EXPECT_THAT(InspectCaller(state_dir(), "+71"),
              StatusIs(absl::StatusCode::kNotFound));
  absl::StatusOr<v1::CallerState> c2 = InspectCaller(state_dir(), "+72");
  ASSERT_THAT(c2, IsOk());
  EXPECT_EQ(c2->inbound_calls(), 7u);
  EXPECT_TRUE(c2->open_case_ids().empty());
  EXPECT_EQ(store_->MutableCaller("+71").first_seen_at(), 0);
}

TEST_F(PartitionStoreTest, InspectCallerOnOpenAndStoppedStores) {
  Reopen(0);
  std::unique_ptr<PartitionStore> p5 = OpenStore(5);
  ASSERT_NE(p5, nullptr);
  FillCaller(store_->MutableCaller("+71"), "+71", 1);
  FillCaller(p5->MutableCaller("+75"), "+75", 5);
  ASSERT_THAT(store_->Commit(1), IsOk());
  ASSERT_THAT(p5->Commit(1), IsOk());
  p5->MutableCaller("+76").set_inbound_calls(6);  // not committed

  absl::StatusOr<v1::CallerState> c1 = InspectCaller(state_dir(), "+71");
  ASSERT_THAT(c1, IsOk());
  EXPECT_EQ(c1->inbound_calls(), 1u);
  absl::StatusOr<v1::CallerState> c5 = InspectCaller(state_dir(), "+75");
  ASSERT_THAT(c5, IsOk());
  EXPECT_EQ(c5->inbound_calls(), 5u);
  EXPECT_THAT(InspectCaller(state_dir(), "+76"),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("'+76'"), HasSubstr("2 partition(s)"))));

  store_.reset();
  p5.reset();
  c5 = InspectCaller(state_dir(), "+75");
  ASSERT_THAT(c5, IsOk());
  EXPECT_EQ(c5->inbound_calls(), 5u);
  // The read-only opens left the stores usable.
  Reopen(5);
  EXPECT_EQ(store_->MutableCaller("+75").inbound_calls(), 5u);
}

TEST_F(PartitionStoreTest, InspectCallerExplainsAMissingDir) {
  EXPECT_THAT(
      InspectCaller(dir_ + "/nope", "+71"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr(dir_ + "/nope"), HasSubstr("--state-dir"))));
}

TEST_F(PartitionStoreTest, SecondOpenOfAPartitionFailsClearly) {
  Reopen(2);
  ASSERT_THAT(
      PartitionStore::Open(*env_, 2),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("in use")));
  EXPECT_THAT(PartitionStore::Open(*env_, -1),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(PartitionStoreTest, StatsReportSizes) {
  Reopen();
  for (int i = 0; i < 100; ++i) {
    FillCaller(store_->MutableCaller("+7" + std::to_string(i)),
               "+7" + std::to_string(i), i);
  }
  ASSERT_THAT(store_->Commit(1), IsOk());
  const PartitionStats stats = store_->Stats();
  EXPECT_GE(stats.estimated_keys, 100u);
  EXPECT_EQ(stats.cached_callers, 100u);
  EXPECT_GT(env_->block_cache_usage(), 0u);  // memtables are charged to it
}

}  // namespace
}  // namespace callflow::state::testing
