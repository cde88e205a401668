// The changelog's applying rule, on the mock cluster: owner markers, cycle
// ends, a zombie's late cycle, a torn cycle, and a local store whose history
// diverged from the log.
#include "processor/pipeline/internal/changelog_restore.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <map>
#include <optional>
#include <random>

#include "absl/strings/str_cat.h"
#include "callflow/v1/state.pb.h"
#include "processor/pipeline/internal/changelog_records.h"
#include "processor/pipeline/internal/output_producer.h"
#include "state/keys.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kTopic[] = "t.changelog";
constexpr char kCompactedTopic[] = "t.changelog.compacted";
constexpr uint64_t kA = 0xA, kB = 0xB, kC = 0xC, kD = 0xD;
constexpr char kZombieCaller[] = "+70000000009";

class ChangelogRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CALLFLOW_ASSERT_OK_AND_ASSIGN(cluster_, MockCluster::Start(1));
    ASSERT_THAT(cluster_->CreateTopic(kTopic, 1), IsOk());
    ASSERT_THAT(cluster_->CreateTopic(kCompactedTopic, 1), IsOk());
    kafka_ = MockKafka(*cluster_);
    CALLFLOW_ASSERT_OK_AND_ASSIGN(producer_, OutputProducer::Create(kafka_));
    CALLFLOW_ASSERT_OK_AND_ASSIGN(
        env_, state::StateEnv::Create(StateAt(dir_.path())));
  }

  // Produces one record and returns its offset.
  int64_t Put(uint64_t owner, const std::string& key, const std::string* value,
              const char* topic = kTopic) {
    if (topic == kTopic) {
      log_.push_back(
          {owner, key, value ? std::optional(*value) : std::nullopt});
    }
    DeliveryTracker tracker(nullptr, /*record_offsets=*/true);
    EXPECT_THAT(producer_->ProduceTo(topic, 0, key, value, owner, &tracker),
                IsOk());
    EXPECT_TRUE(tracker.WaitAll(std::chrono::seconds(30)));
    EXPECT_EQ(tracker.failed(), 0u);
    return tracker.MaxOffset(0);
  }
  int64_t Marker(uint64_t owner) {
    v1::ChangelogOwner m;
    m.set_owner(owner);
    const std::string value = m.SerializeAsString();
    return Put(owner, OwnerKey(owner), &value);
  }
  void Caller(uint64_t owner, const std::string& number, uint32_t calls) {
    v1::CallerState c;
    c.set_caller(number);
    c.set_first_seen_at(1);
    c.set_inbound_calls(calls);
    const std::string value = c.SerializeAsString();
    Put(owner, state::keys::CallerKey(number), &value);
  }
  int64_t CycleEnd(uint64_t owner) {
    const std::string value = v1::ChangelogCycle().SerializeAsString();
    return Put(owner, CycleKey(owner), &value);
  }

  // Writes what Kafka's log cleaner keeps of everything Put so far
  // (cleanup.policy=compact: the last record per key, in log order) to
  // kCompactedTopic, and returns its end offset.
  int64_t Compact() {
    std::map<std::string, size_t> last;
    for (size_t i = 0; i < log_.size(); ++i) last[log_[i].key] = i;
    int64_t end = 0;
    for (size_t i = 0; i < log_.size(); ++i) {
      if (last[log_[i].key] != i) continue;
      const std::optional<std::string>& value = log_[i].value;
      end = Put(log_[i].owner, log_[i].key, value ? &*value : nullptr,
                kCompactedTopic) +
            1;
    }
    return end;
  }

  std::unique_ptr<state::PartitionStore> Open(int32_t partition) {
    auto store = state::PartitionStore::Open(*env_, partition);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? *std::move(store) : nullptr;
  }

  absl::StatusOr<RestoreResult> Restore(state::PartitionStore& store,
                                        int64_t end, uint64_t owner,
                                        const char* topic = kTopic) {
    std::atomic<bool> cancel{false};
    return RestoreFromChangelog(kafka_, topic, 0, end, owner, store, cancel,
                                nullptr);
  }

  // B takes over from A and writes a cycle; A, a zombie now, writes one
  // more cycle (caller kZombieCaller) and keeps it in `store` too, its
  // position after it; then C takes over and restores `store` (A's).
  absl::StatusOr<RestoreResult> RestoreAfterAZombieCycle(
      state::PartitionStore& store) {
    Marker(kB);
    Caller(kB, "+70000000002", 1);  // B's first cycle
    Caller(kA, kZombieCaller, 1);
    const int64_t zombie_end = CycleEnd(kA);
    v1::CallerState z;
    z.set_caller(kZombieCaller);
    z.set_first_seen_at(1);
    v1::ChangelogPosition pos;
    pos.set_owner(kA);
    pos.set_next(zombie_end + 1);
    absl::Status kept = store.ApplyRestored(
        {{state::keys::CallerKey(kZombieCaller), z.SerializeAsString()}}, pos);
    if (!kept.ok()) return kept;
    CycleEnd(kB);
    return Restore(store, Marker(kC), kC);
  }

  struct LoggedRecord {
    uint64_t owner;
    std::string key;
    std::optional<std::string> value;
  };
  std::vector<LoggedRecord> log_;  // what Put wrote to kTopic, in order
  TempDir dir_;
  std::unique_ptr<MockCluster> cluster_;
  KafkaProperties kafka_;
  std::unique_ptr<OutputProducer> producer_;
  std::unique_ptr<state::StateEnv> env_;
};

// A cancelled restore (a revoke mid-load) leaves the reader, kept for the
// worker's next restore, with nothing assigned: still assigned, it would go
// on prefetching the partition into memory while nobody reads it.
TEST_F(ChangelogRestoreTest, ACancelledRestoreLeavesTheReaderUnassigned) {
  Marker(kA);
  Caller(kA, "+70000000001", 1);
  CycleEnd(kA);
  const int64_t end = Marker(kB);
  CALLFLOW_ASSERT_OK_AND_ASSIGN(auto reader, ChangelogReader::Create(kafka_));
  auto store = Open(0);
  std::atomic<bool> cancel{true};
  EXPECT_THAT(RestoreFromChangelog(*reader, kTopic, 0, end, kB, *store, cancel,
                                   nullptr),
              StatusIs(absl::StatusCode::kCancelled));
  std::vector<RdKafka::TopicPartition*> assigned;
  ASSERT_EQ(reader->consumer().assignment(assigned), RdKafka::ERR_NO_ERROR);
  EXPECT_TRUE(assigned.empty());
  RdKafka::TopicPartition::destroy(assigned);
}

TEST_F(ChangelogRestoreTest, ZombieWritesAndTornCyclesAreIgnored) {
  Marker(kA);
  Caller(kA, "+70000000001", 1);
  CycleEnd(kA);
  Caller(kA, "+70000000002", 1);  // torn: its cycle never ended
  Marker(kB);                     // B takes over while A is paused
  Caller(kB, "+70000000003", 1);
  Caller(kB, "+70000000001", 2);
  CycleEnd(kB);
  Caller(kA, "+70000000004", 1);  // A, a zombie now, writes late
  Caller(kA, "+70000000001", 99);
  CycleEnd(kA);
  Caller(kB, "+70000000005", 1);  // B's last cycle is torn (B died)
  const int64_t end = Marker(kC);

  auto store = Open(0);
  auto result = Restore(*store, end, kC);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->records_read, end);
  EXPECT_EQ(store->MutableCaller("+70000000001").inbound_calls(), 2u);
  EXPECT_EQ(store->MutableCaller("+70000000003").inbound_calls(), 1u);
  for (const char* absent : {"+70000000002", "+70000000004", "+70000000005"}) {
    EXPECT_EQ(store->MutableCaller(absent).first_seen_at(), 0) << absent;
  }
  EXPECT_EQ(store->changelog_position()->owner(), kC);
  EXPECT_EQ(store->changelog_position()->next(), end + 1);
}

// A changelog that Kafka compacted restores to the same state as the whole
// log. Owners A, B and C took the partition in turn, each wrote a few
// cycles; A's and B's last cycles are torn (they were killed). Compaction
// keeps the last record per key: were the cycle ends of all owners under
// one key, only C's would survive, and a restore from an empty store would
// take A's and B's records for cycles that never ended and lose them.
TEST_F(ChangelogRestoreTest, ACompactedLogRestoresTheSameState) {
  Marker(kA);
  Caller(kA, "+70000000001", 1);
  Caller(kA, "+70000000002", 1);
  CycleEnd(kA);
  Caller(kA, "+70000000001", 2);
  CycleEnd(kA);
  Caller(kA, "+70000000003", 1);  // torn
  Marker(kB);
  Caller(kB, "+70000000004", 1);
  CycleEnd(kB);
  Caller(kB, "+70000000004", 2);
  CycleEnd(kB);
  Caller(kB, "+70000000005", 1);  // torn
  Marker(kC);
  Caller(kC, "+70000000006", 1);
  CycleEnd(kC);
  const int64_t end = Marker(kD);
  const int64_t compacted_end = Compact();
  ASSERT_LT(compacted_end, end + 1);  // compaction dropped records

  auto whole = Open(0);
  ASSERT_THAT(Restore(*whole, end, kD), IsOk());
  auto compacted = Open(1);
  ASSERT_THAT(Restore(*compacted, compacted_end - 1, kD, kCompactedTopic),
              IsOk());
  const std::map<std::string, uint32_t> expected = {
      {"+70000000001", 2}, {"+70000000002", 1}, {"+70000000003", 0},
      {"+70000000004", 2}, {"+70000000005", 0}, {"+70000000006", 1}};
  for (const auto& [caller, calls] : expected) {
    EXPECT_EQ(whole->MutableCaller(caller).inbound_calls(), calls) << caller;
    EXPECT_EQ(compacted->MutableCaller(caller).inbound_calls(), calls)
        << caller << " after compaction";
  }
}

TEST_F(ChangelogRestoreTest, StoreBehindReadsOnlyTheDifference) {
  Marker(kA);
  Caller(kA, "+70000000001", 1);
  CycleEnd(kA);
  const int64_t b = Marker(kB);
  auto store = Open(0);
  ASSERT_THAT(Restore(*store, b, kB), IsOk());
  ASSERT_THAT(store->Commit(std::nullopt), IsOk());
  Caller(kB, "+70000000001", 2);
  CycleEnd(kB);
  const int64_t c = Marker(kC);
  auto result = Restore(*store, c, kC);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->start, b + 1);
  EXPECT_EQ(result->records_read, c - b - 1);
  EXPECT_FALSE(result->started_over);
  EXPECT_EQ(store->MutableCaller("+70000000001").inbound_calls(), 2u);
}

TEST_F(ChangelogRestoreTest, DivergedStoreStartsOver) {
  // A restores and writes on; B takes over; A (a zombie) writes one more
  // cycle into its own store past B's marker. When A gets the partition
  // back, its store must not be trusted.
  const int64_t a = Marker(kA);
  auto store = Open(0);
  ASSERT_THAT(Restore(*store, a, kA), IsOk());
  Caller(kA, "+70000000001", 1);
  CycleEnd(kA);
  auto result = RestoreAfterAZombieCycle(*store);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->started_over);
  EXPECT_EQ(store->MutableCaller(kZombieCaller).first_seen_at(), 0);
  EXPECT_EQ(store->MutableCaller("+70000000002").inbound_calls(), 1u);
  // A's cycle before B's marker was A's as the owner: it stays.
  EXPECT_EQ(store->MutableCaller("+70000000001").inbound_calls(), 1u);
}

// The same divergence on a changelog whose head is gone. Starting over from
// the log's first offset would drop what the lost head held and go on as if
// nothing happened: a user's restart came up with callers missing (two
// consumer groups writing one changelog topic on a full test broker). It
// must stop with an error instead, and leave the local state as it was.
TEST_F(ChangelogRestoreTest, DivergedStoreOnALogWithoutItsHeadIsAnError) {
  const int64_t a = Marker(kA);
  auto store = Open(0);
  ASSERT_THAT(Restore(*store, a, kA), IsOk());
  // A's cycles, over the mock broker's ~5 MiB per partition (bytes lz4
  // cannot shrink): it drops the oldest message sets, so the log no longer
  // starts at offset 0. A's store is at their end, as after its commits.
  std::mt19937_64 random(7);
  std::string big(256 * 1024, '\0');
  for (char& c : big) c = static_cast<char>(random());
  for (int i = 0; i < 28; ++i) {
    Put(kA, state::keys::CallerKey(absl::StrCat("+7000000010", i % 10)), &big);
  }
  const int64_t written = CycleEnd(kA);
  v1::ChangelogPosition pos;
  pos.set_owner(kA);
  pos.set_next(written + 1);
  ASSERT_THAT(store->ApplyRestored({}, pos), IsOk());
  auto result = RestoreAfterAZombieCycle(*store);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kFailedPrecondition,
                               HasSubstr("head is gone")));
  EXPECT_EQ(store->MutableCaller(kZombieCaller).first_seen_at(), 1)
      << "the local state was wiped";
}

}  // namespace
}  // namespace callflow::pipeline::testing
