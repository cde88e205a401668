// One memory budget for the whole state, divided over the stores open now:
// memtables and caller caches shrink as partitions open and grow back as
// they close, and many partitions do not turn every write into a flush.
// Options it cannot work with are refused.
#include "state/state_env.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "processor/util/temp_dir.h"
#include "state/partition_store.h"
#include "tests/support/status_matchers.h"

namespace callflow::state {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;
using ::testing::HasSubstr;

class StateEnvBudgetTest : public ::testing::Test {
 protected:
  void MakeEnv(size_t budget) {
    stores_.clear();
    env_.reset();
    StateOptions options;
    options.dir = dir_.path() + "/state";
    options.memory_budget_bytes = budget;
    CALLFLOW_ASSERT_OK_AND_ASSIGN(env_, StateEnv::Create(options));
  }

  void OpenStores(int count) {
    const int first = static_cast<int>(stores_.size());
    for (int p = first; p < first + count; ++p) {
      auto store = PartitionStore::Open(*env_, p);
      ASSERT_THAT(store, IsOk());
      stores_.push_back(*std::move(store));
    }
  }

  // `callers` new callers in store `i`, committed at `offset`.
  void WriteCallers(size_t i, int callers, int64_t offset) {
    PartitionStore& store = *stores_[i];
    for (int c = 0; c < callers; ++c) {
      const std::string key =
          "+7" + std::to_string(i) + "0" + std::to_string(offset * 1000000 + c);
      v1::CallerState& record = store.MutableCaller(key);
      record.set_caller(key);
      record.set_inbound_calls(1);
    }
    ASSERT_THAT(store.Commit(offset), IsOk());
  }

  util::TempDir dir_ = util::TempDir::CreateOrDie("callflow-budget-test");
  std::unique_ptr<StateEnv> env_;
  std::vector<std::unique_ptr<PartitionStore>> stores_;
};

TEST_F(StateEnvBudgetTest, SharesFollowTheStoresOpenNow) {
  constexpr size_t kBudget = 64u << 20;
  MakeEnv(kBudget);
  // A quarter for memtables, a quarter for blocks, half for callers.
  EXPECT_EQ(env_->write_buffer_bytes(), kBudget / 4);
  EXPECT_EQ(env_->caller_cache_bytes(), kBudget / 2);
  EXPECT_EQ(env_->write_buffer_size_per_store(), kBudget / 4);
  const size_t all_callers = kBudget / 2 / StateEnv::kCachedCallerBytes;
  EXPECT_EQ(env_->cached_callers_per_store(), all_callers);

  OpenStores(4);
  EXPECT_EQ(env_->open_stores(), 4u);
  EXPECT_EQ(env_->write_buffer_size_per_store(), kBudget / 4 / 4);
  EXPECT_EQ(env_->cached_callers_per_store(), all_callers / 4);

  // A store holds no more callers than its share once committed.
  const size_t share = env_->cached_callers_per_store();
  WriteCallers(0, static_cast<int>(share + 500), 1);
  EXPECT_EQ(stores_[0]->Stats().cached_callers, share);

  // Two partitions close: the others' shares grow back.
  stores_.resize(2);
  EXPECT_EQ(env_->open_stores(), 2u);
  EXPECT_EQ(env_->write_buffer_size_per_store(), kBudget / 4 / 2);
  EXPECT_EQ(env_->cached_callers_per_store(), all_callers / 2);
  WriteCallers(0, static_cast<int>(share), 2);
  EXPECT_EQ(stores_[0]->Stats().cached_callers, 2 * share);
}

// Records of callers with long histories are larger than the typical
// record the count assumes: the cache holds fewer of them, by the bytes
// they cost, so a partition of such callers stays within its share.
TEST_F(StateEnvBudgetTest, LargeRecordsAreCachedByTheirSize) {
  MakeEnv(StateEnv::kMinBudgetBytes);
  OpenStores(1);
  const size_t share = env_->cached_callers_per_store();
  PartitionStore& store = *stores_[0];
  constexpr int kCallers = 1000;
  ASSERT_LT(static_cast<size_t>(kCallers), share);
  for (int c = 0; c < kCallers; ++c) {
    v1::CallerState& record = store.MutableCaller("+7495" + std::to_string(c));
    record.set_name(std::string(16 << 10, 'n'));
  }
  ASSERT_THAT(store.Commit(1), IsOk());
  // About 33 KiB each (16 KiB serialized): a 4 MiB share holds ~120.
  const uint64_t cached = store.Stats().cached_callers;
  EXPECT_GT(cached, 0u);
  EXPECT_LE(cached, env_->caller_cache_bytes() / (32u << 10));
  // Small records again: the count bound applies.
  WriteCallers(0, static_cast<int>(share + 10), 2);
  EXPECT_EQ(store.Stats().cached_callers, share);
}

// The issue this guards: every store's memtable (and its bloom) is charged
// to the shared memtable budget; sized per store regardless of how many are
// open, ~200 stores' empty memtables alone exceeded it and every write
// forced a flush. Divided, a few small writes to each of 300 stores fit.
TEST_F(StateEnvBudgetTest, ManyPartitionsDoNotFlushOnEveryWrite) {
  constexpr int kStores = 300;
  constexpr int kRounds = 3;
  MakeEnv(StateOptions().memory_budget_bytes);
  OpenStores(kStores);
  for (int round = 1; round <= kRounds; ++round) {
    for (size_t i = 0; i < stores_.size(); ++i) WriteCallers(i, 5, round);
  }
  // 900 small commits, ~150 KB of data against 64 MiB of memtables.
  EXPECT_EQ(env_->flushes(), 0u);
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
