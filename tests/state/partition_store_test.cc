#include "state/partition_store.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "processor/util/temp_dir.h"
#include "state/state_env.h"
#include "tests/support/status_matchers.h"

namespace callflow::state {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;
using rules::Timer;
using rules::TimerKind;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

bool SameRecord(const google::protobuf::Message& a,
                const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

// A timer near the watermark with a few distinct keys and refs, so equal
// due times and tie-breaks occur (randomized tests).
template <typename Pick>
Timer RandomTimer(Pick& pick, rules::TimeNs watermark) {
  return Timer{watermark + pick(40) - 5, static_cast<TimerKind>(1 + pick(5)),
               "+7" + std::to_string(pick(3)), std::string(1 + pick(2), 'r'),
               static_cast<uint32_t>(pick(3))};
}

class PartitionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_.emplace(util::TempDir::CreateOrDie("callflow-state-test"));
    dir_ = tmp_->path();
    MakeEnv(/*cached_callers=*/1000);
  }

  void TearDown() override {
    store_.reset();
    env_.reset();
    tmp_.reset();
  }

  void MakeEnv(size_t cached_callers) {
    store_.reset();
    StateOptions options;
    options.dir = dir_ + "/state";
    options.memory_budget_bytes = StateEnv::kMinBudgetBytes;
    options.cached_callers_per_partition = cached_callers;
    absl::StatusOr<std::unique_ptr<StateEnv>> env = StateEnv::Create(options);
    ASSERT_THAT(env, IsOk());
    env_ = std::move(*env);
  }

  std::unique_ptr<PartitionStore> OpenStore(int32_t partition) {
    absl::StatusOr<std::unique_ptr<PartitionStore>> store =
        PartitionStore::Open(*env_, partition);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Closes the current store (dropping anything uncommitted) and reopens it.
  void Reopen(int32_t partition = 0) {
    store_.reset();
    store_ = OpenStore(partition);
    ASSERT_NE(store_, nullptr);
  }

  std::string state_dir() const { return env_->options().dir; }

  std::optional<util::TempDir> tmp_;
  std::string dir_;
  std::unique_ptr<StateEnv> env_;
  std::unique_ptr<PartitionStore> store_;
};

void FillCaller(v1::CallerState& c, const std::string& key, uint32_t calls) {
  c.set_caller(key);
  c.set_first_seen_at(1000 + calls);
  c.set_inbound_calls(calls);
  c.add_open_case_ids("case-" + key);
  c.mutable_callback()->set_task_id("cb:" + key);
}

// The timer semantics every StateView must have (as ReferenceTimers).
class ReferenceTimers {
 public:
  void AddTimer(const Timer& timer) { timers_.insert(timer); }
  std::optional<Timer> PopDueTimer(rules::TimeNs watermark) {
    if (timers_.empty() || timers_.begin()->due > watermark)
      return std::nullopt;
    return timers_.extract(timers_.begin()).value();
  }

 private:
  std::set<Timer> timers_;
};

template <typename Timers>
std::vector<Timer> PopAll(Timers& state, rules::TimeNs watermark) {
  std::vector<Timer> out;
  while (std::optional<Timer> t = state.PopDueTimer(watermark)) {
    out.push_back(std::move(*t));
  }
  return out;
}

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

// Random adds, pops, commits and crashes against the reference, which is
// rolled back to its last committed copy on a crash.
TEST_F(PartitionStoreTest, TimersMatchReferenceThroughCommitsAndCrashes) {
  Reopen();
  std::mt19937 rng(7);
  auto pick = [&rng](int n) {
    return static_cast<int>(std::uniform_int_distribution<int>(0, n - 1)(rng));
  };
  ReferenceTimers reference;
  ReferenceTimers committed;
  rules::TimeNs watermark = 0;
  for (int step = 0; step < 3000; ++step) {
    const int op = pick(100);
    if (op < 45) {
      Timer t = RandomTimer(pick, watermark);
      store_->AddTimer(t);
      reference.AddTimer(t);
    } else if (op < 75) {
      if (pick(3) == 0) watermark += pick(10);
      ASSERT_EQ(store_->PopDueTimer(watermark),
                reference.PopDueTimer(watermark))
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

// The pipeline's two-phase commit: changes made after Seal() are not in the
// sealed batch, reads see both, and a crash before WriteSealed() loses both.
TEST_F(PartitionStoreTest, SealedTimersMatchReferenceThroughWritesAndCrashes) {
  Reopen();
  std::mt19937 rng(11);
  auto pick = [&rng](int n) {
    return static_cast<int>(std::uniform_int_distribution<int>(0, n - 1)(rng));
  };
  ReferenceTimers reference;
  ReferenceTimers sealed;
  ReferenceTimers committed;
  bool pending = false;
  rules::TimeNs watermark = 0;
  for (int step = 0; step < 4000; ++step) {
    const int op = pick(100);
    if (op < 45) {
      Timer t = RandomTimer(pick, watermark);
      store_->AddTimer(t);
      reference.AddTimer(t);
    } else if (op < 75) {
      if (pick(3) == 0) watermark += pick(10);
      ASSERT_EQ(store_->PopDueTimer(watermark),
                reference.PopDueTimer(watermark))
          << "step " << step;
    } else if (op < 85) {
      if (pending) {
        EXPECT_THAT(store_->Seal(step),
                    StatusIs(absl::StatusCode::kFailedPrecondition));
        continue;
      }
      ASSERT_THAT(store_->Seal(step), IsOk());
      sealed = reference;
      pending = store_->sealed();
    } else if (op < 93) {
      ASSERT_THAT(store_->WriteSealed(), IsOk());
      if (pending) committed = sealed;
      pending = false;
    } else if (op < 99) {
      ASSERT_EQ(PopAll(*store_, watermark), PopAll(reference, watermark))
          << "step " << step;
    } else {
      Reopen();
      reference = committed;
      pending = false;
    }
  }
  EXPECT_EQ(PopAll(*store_, kNever), PopAll(reference, kNever));
}

TEST_F(PartitionStoreTest, SealedCallersStayReadableUntilWritten) {
  MakeEnv(/*cached_callers=*/2);
  Reopen();
  for (int i = 0; i < 20; ++i) {
    FillCaller(store_->MutableCaller("+7" + std::to_string(i)),
               "+7" + std::to_string(i), i);
  }
  ASSERT_THAT(store_->Commit(1), IsOk());

  // Cycle A: every caller +100, caller 3 erased.
  for (int i = 0; i < 20; ++i) {
    v1::CallerState& c = store_->MutableCaller("+7" + std::to_string(i));
    c.set_inbound_calls(c.inbound_calls() + 100);
  }
  store_->EraseCaller("+73");
  ASSERT_THAT(store_->Seal(2), IsOk());
  EXPECT_TRUE(store_->sealed());
  EXPECT_FALSE(store_->dirty());
  EXPECT_EQ(store_->next_offset(), 1);
  // Cycle B reads A's values (not the disk's) although the cache is tiny.
  for (int i = 0; i < 20; ++i) {
    v1::CallerState& c = store_->MutableCaller("+7" + std::to_string(i));
    ASSERT_EQ(c.inbound_calls(), i == 3 ? 0u : static_cast<uint32_t>(i + 100))
        << i;
    c.set_inbound_calls(c.inbound_calls() + 1000);
  }
  ASSERT_THAT(store_->WriteSealed(), IsOk());
  EXPECT_EQ(store_->next_offset(), 2);
  EXPECT_FALSE(store_->sealed());
  EXPECT_TRUE(store_->dirty());  // cycle B, dirty callers kept cached
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(store_->MutableCaller("+7" + std::to_string(i)).inbound_calls(),
              i == 3 ? 1000u : static_cast<uint32_t>(i + 1100))
        << i;
  }
  ASSERT_THAT(store_->Seal(3), IsOk());

  // A crash before B is written: A is on disk, B left no trace.
  Reopen();
  EXPECT_EQ(store_->next_offset(), 2);
  EXPECT_THAT(InspectCaller(state_dir(), "+73"),
              StatusIs(absl::StatusCode::kNotFound));
  for (int i = 0; i < 20; ++i) {
    if (i == 3) continue;
    EXPECT_EQ(store_->MutableCaller("+7" + std::to_string(i)).inbound_calls(),
              static_cast<uint32_t>(i + 100))
        << i;
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

TEST(StateEnvTest, RejectsUnusableOptions) {
  StateOptions options;
  options.dir = "";
  EXPECT_THAT(StateEnv::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  options.dir = "/tmp/callflow-unused";
  options.memory_budget_bytes = StateEnv::kMinBudgetBytes - 1;
  EXPECT_THAT(StateEnv::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("memory_budget_mb")));
  options.dir = "/proc/callflow-cannot-create";
  options.memory_budget_bytes = StateEnv::kMinBudgetBytes;
  EXPECT_THAT(StateEnv::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("/proc/callflow-cannot-create")));
}

}  // namespace
}  // namespace callflow::state

namespace callflow::state {
namespace {

// The changelog sees exactly what a sealed batch writes, and a second store
// rebuilt from those changes (as a restore does) holds the same state.
TEST_F(PartitionStoreTest, SealedChangesRebuildAnEqualStore) {
  store_ = OpenStore(0);
  FillCaller(store_->MutableCaller("+74951112233"), "+74951112233", 3);
  FillCaller(store_->MutableCaller("+74951112244"), "+74951112244", 1);
  store_->MutablePartition().set_watermark(5000);
  store_->AddTimer(
      Timer{7000, TimerKind::kCallbackSla, "+74951112233", "r", 0});
  ASSERT_THAT(store_->Seal(41), IsOk());
  std::vector<PartitionStore::Change> changes;
  const size_t n = store_->ForEachSealedChange(
      [&](std::string_view key, const std::string* value) {
        changes.push_back(
            {std::string(key),
             value ? std::optional<std::string>(*value) : std::nullopt});
      });
  EXPECT_EQ(n, changes.size());
  EXPECT_EQ(n, 5u);  // two callers, the timer, the partition, the offset
  v1::ChangelogPosition pos;
  pos.set_owner(7);
  pos.set_next(12);
  ASSERT_THAT(store_->SetSealedChangelogPosition(pos), IsOk());
  ASSERT_THAT(store_->WriteSealed(), IsOk());
  ASSERT_TRUE(store_->changelog_position().has_value());
  EXPECT_EQ(store_->changelog_position()->next(), 12);

  // A deletion reaches the changelog as a tombstone.
  store_->EraseCaller("+74951112244");
  ASSERT_THAT(store_->Seal(42), IsOk());
  store_->ForEachSealedChange(
      [&](std::string_view key, const std::string* value) {
        changes.push_back(
            {std::string(key),
             value ? std::optional<std::string>(*value) : std::nullopt});
      });
  ASSERT_THAT(store_->WriteSealed(), IsOk());
  EXPECT_TRUE(std::any_of(changes.begin(), changes.end(),
                          [](const auto& c) { return !c.value.has_value(); }));

  auto copy = OpenStore(1);
  ASSERT_NE(copy, nullptr);
  EXPECT_TRUE(copy->empty());
  v1::ChangelogPosition restored;
  restored.set_owner(9);
  restored.set_next(99);
  ASSERT_THAT(copy->ApplyRestored(changes, restored), IsOk());
  EXPECT_EQ(copy->next_offset(), std::optional<int64_t>(42));
  EXPECT_EQ(copy->partition_record().watermark(), 5000);
  EXPECT_EQ(copy->changelog_position()->owner(), 9u);
  EXPECT_TRUE(SameRecord(copy->MutableCaller("+74951112233"),
                         store_->MutableCaller("+74951112233")));
  EXPECT_EQ(copy->MutableCaller("+74951112244").first_seen_at(), 0);
  std::optional<Timer> timer = copy->PopDueTimer(kNever);
  ASSERT_TRUE(timer.has_value());
  EXPECT_EQ(timer->due, 7000);

  // Wipe forgets everything, on disk and in memory.
  copy.reset();
  copy = OpenStore(1);
  ASSERT_THAT(copy->Wipe(), IsOk());
  EXPECT_TRUE(copy->empty());
  EXPECT_FALSE(copy->next_offset().has_value());
  EXPECT_FALSE(copy->changelog_position().has_value());
  EXPECT_FALSE(copy->PopDueTimer(kNever).has_value());
}

TEST_F(PartitionStoreTest, RestoreRefusesBufferedChanges) {
  store_ = OpenStore(0);
  store_->MutableCaller("+74951112233").set_inbound_calls(1);
  v1::ChangelogPosition pos;
  EXPECT_THAT(store_->ApplyRestored({}, pos),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->Wipe(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace callflow::state
