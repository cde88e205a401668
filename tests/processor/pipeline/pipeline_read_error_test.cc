// A state read error stops the pipeline before the event that hit it
// produces anything: no task, alert or screen-pop decided on a default
// record goes out, and nothing is committed past it. The corruption is
// real: caller records in the partition's RocksDB overwritten with bytes
// that do not parse.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "processor/pipeline/pipeline.h"
#include "processor/rules/engine.h"
#include "state/keys.h"
#include "state/partition_store.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

size_t OutputCount(const Outputs& o) {
  return o.tasks.size() + o.alerts.size() + o.contacts.size() +
         o.dead_letters.size();
}

// Overwrites every caller record of partition 0 with an unparseable value.
int CorruptCallers(const std::string& state_dir) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Options options;
  EXPECT_THAT(rocksdb::DB::Open(options, state_dir + "/p-0", &raw), IsOk());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::vector<std::string> keys;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}));
  const std::string prefix(1, state::keys::kCallerPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    keys.push_back(it->key().ToString());
  }
  for (const std::string& key : keys) {
    EXPECT_THAT(db->Put({}, key, std::string("\xff\xff\xff\xff", 4)), IsOk());
  }
  EXPECT_THAT(db->Flush({}), IsOk());
  return static_cast<int>(keys.size());
}

TEST(PipelineReadErrorTest, CorruptCallerStopsBeforeAnyOutputOfItsEvent) {
  TempDir dir;
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics = MakeTopics(**cluster, "", 1);
  const KafkaProperties kafka = MockKafka(**cluster);
  PipelineConfig config = TestConfig(topics, kafka);
  config.options.changelog = false;  // the local store is the only truth
  const std::string state_dir = dir.path() + "/state";
  const auto events = SimulatedEvents(1500, 31);
  const size_t half = events.size() / 2;

  // 1. The first half, committed.
  ProduceEvents(kafka, topics.events, {events.begin(), events.begin() + half});
  {
    PipelineThread pipeline(state_dir, config);
    ASSERT_TRUE(WaitCommitted(pipeline.stats(), half));
    ASSERT_THAT(pipeline.Stop(), IsOk());
  }
  const size_t before = OutputCount(ReadOutputs(kafka, topics));
  ASSERT_GT(CorruptCallers(state_dir), 0);

  // 2. The second half, led by an event of a caller the first half stored
  // (its record is now corrupt); every later event would produce outputs.
  rules::Engine engine(config.engine);
  std::set<std::string> stored;
  for (size_t i = 0; i < half; ++i) stored.insert(engine.KeyFor(events[i]));
  std::vector<v1::CallEvent> second(events.begin() + half, events.end());
  auto first = std::find_if(second.begin(), second.end(), [&](auto& e) {
    return stored.contains(engine.KeyFor(e));
  });
  ASSERT_NE(first, second.end());
  std::rotate(second.begin(), first, first + 1);
  ProduceEvents(kafka, topics.events, second);
  {
    PipelineThread pipeline(state_dir, config);
    EXPECT_THAT(pipeline.Join(),
                StatusIs(absl::StatusCode::kDataLoss,
                         AllOf(HasSubstr("does not parse"), HasSubstr("p-0"))));
  }
  // Nothing of the second half went out, and nothing was committed.
  EXPECT_EQ(OutputCount(ReadOutputs(kafka, topics)), before);
  auto env = state::StateEnv::Create(StateAt(state_dir));
  ASSERT_THAT(env, IsOk());
  auto store = state::PartitionStore::Open(**env, 0);
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ((*store)->next_offset(), static_cast<int64_t>(half));
}

}  // namespace
}  // namespace callflow::pipeline::testing
