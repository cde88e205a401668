// The PartitionStoreTest fixture (a StateEnv in a temporary directory and the
// store under test) and the helpers the partition_store_*_test.cc files
// share, the reference timer semantics among them.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "processor/util/temp_dir.h"
#include "state/partition_store.h"
#include "state/state_env.h"
#include "tests/support/status_matchers.h"

namespace callflow::state::testing {

inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

inline bool SameRecord(const google::protobuf::Message& a,
                       const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

// The fixture: a StateEnv in a temporary directory and `store_`, the store
// under test. Not thread-safe: used on the test's thread.
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

  // `flush_on_close` off: stores close as a killed process leaves them.
  void MakeEnv(size_t cached_callers, bool flush_on_close = true) {
    store_.reset();
    StateOptions options;
    options.dir = dir_ + "/state";
    options.memory_budget_bytes = StateEnv::kMinBudgetBytes;
    options.cached_callers_per_partition = cached_callers;
    options.flush_on_close = flush_on_close;
    CALLFLOW_ASSERT_OK_AND_ASSIGN(env_, StateEnv::Create(options));
  }

  std::unique_ptr<PartitionStore> OpenStore(int32_t partition) {
    absl::StatusOr<std::unique_ptr<PartitionStore>> store =
        PartitionStore::Open(*env_, partition);
    EXPECT_THAT(store, ::callflow_testing::IsOk());
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

inline void FillCaller(v1::CallerState& c, const std::string& key,
                       uint32_t calls) {
  c.set_caller(key);
  c.set_first_seen_at(1000 + calls);
  c.set_inbound_calls(calls);
  c.add_open_case_ids("case-" + key);
  c.mutable_callback()->set_task_id("cb:" + key);
}

// Uniform picks in [0, n) from a seeded generator (randomized tests).
// Not thread-safe: each pick advances the generator.
class RandomPick {
 public:
  explicit RandomPick(uint32_t seed) : rng_(seed) {}
  int operator()(int n) {
    return std::uniform_int_distribution<int>(0, n - 1)(rng_);
  }

 private:
  std::mt19937 rng_;
};

// A timer near the watermark with a few distinct keys and refs, so equal
// due times and tie-breaks occur (randomized tests).
template <typename Pick>
rules::Timer RandomTimer(Pick& pick, rules::TimeNs watermark) {
  return rules::Timer{
      watermark + pick(40) - 5, static_cast<rules::TimerKind>(1 + pick(5)),
      "+7" + std::to_string(pick(3)), std::string(1 + pick(2), 'r'),
      static_cast<uint32_t>(pick(3))};
}

// The timer semantics every StateView must have (as ReferenceTimers).
// A plain value; thread-compatible.
class ReferenceTimers {
 public:
  void AddTimer(const rules::Timer& timer) { timers_.insert(timer); }
  std::optional<rules::Timer> PopDueTimer(rules::TimeNs watermark) {
    if (timers_.empty() || timers_.begin()->due > watermark)
      return std::nullopt;
    return timers_.extract(timers_.begin()).value();
  }

 private:
  std::set<rules::Timer> timers_;
};

// Pops every timer due at `watermark` from a store or a ReferenceTimers.
template <typename Timers>
std::vector<rules::Timer> PopAll(Timers& state, rules::TimeNs watermark) {
  std::vector<rules::Timer> out;
  while (std::optional<rules::Timer> t = state.PopDueTimer(watermark)) {
    out.push_back(std::move(*t));
  }
  return out;
}

// The steps the randomized timer tests share. Adds the same random timer to
// `store` and `reference`.
inline void AddRandomTimer(RandomPick& pick, rules::TimeNs watermark,
                           PartitionStore& store, ReferenceTimers& reference) {
  const rules::Timer t = RandomTimer(pick, watermark);
  store.AddTimer(t);
  reference.AddTimer(t);
}

// Moves `watermark` on now and then, and pops the next due timer from both:
// they must agree.
inline ::testing::AssertionResult PopsAlike(RandomPick& pick,
                                            rules::TimeNs& watermark,
                                            PartitionStore& store,
                                            ReferenceTimers& reference) {
  if (pick(3) == 0) watermark += pick(10);
  const std::optional<rules::Timer> got = store.PopDueTimer(watermark);
  if (got == reference.PopDueTimer(watermark)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "the store and the reference pop different timers at watermark "
         << watermark;
}

}  // namespace callflow::state::testing
