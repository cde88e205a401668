// PartitionStore's two-phase commit (Seal, WriteSealed) with timers and
// callers, and the changelog: what a sealed batch writes rebuilds an equal
// store (ApplyRestored), Wipe.
#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "state/partition_store.h"
#include "tests/state/partition_store_fixture.h"
#include "tests/support/status_matchers.h"

namespace callflow::state::testing {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;

// The pipeline's two-phase commit: changes made after Seal() are not in the
// sealed batch, reads see both, and a crash before WriteSealed() loses both.
TEST_F(PartitionStoreTest, SealedTimersMatchReferenceThroughWritesAndCrashes) {
  Reopen();
  RandomPick pick(11);
  ReferenceTimers reference;
  ReferenceTimers sealed;
  ReferenceTimers committed;
  bool pending = false;
  rules::TimeNs watermark = 0;
  for (int step = 0; step < 4000; ++step) {
    const int op = pick(100);
    if (op < 45) {
      AddRandomTimer(pick, watermark, *store_, reference);
    } else if (op < 75) {
      ASSERT_TRUE(PopsAlike(pick, watermark, *store_, reference))
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

// The changelog sees exactly what a sealed batch writes, and a second store
// rebuilt from those changes (as a restore does) holds the same state.
TEST_F(PartitionStoreTest, SealedChangesRebuildAnEqualStore) {
  store_ = OpenStore(0);
  FillCaller(store_->MutableCaller("+74951112233"), "+74951112233", 3);
  FillCaller(store_->MutableCaller("+74951112244"), "+74951112244", 1);
  store_->MutablePartition().set_watermark(5000);
  store_->AddTimer(rules::Timer{7000, rules::TimerKind::kCallbackSla,
                                "+74951112233", "r", 0});
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
  std::optional<rules::Timer> timer = copy->PopDueTimer(kNever);
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
}  // namespace callflow::state::testing
