// `callflow inspect` as a user runs it: on the state dir a replay kept, one
// caller's record as JSON with readable times and enum names, and clear
// errors for a caller without state or a missing dir.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "state/partition_store.h"
#include "state/state_env.h"
#include "tests/processor/pipeline/pipeline_test_util.h"

namespace callflow::app {
namespace {

using pipeline::testing::Contains;
using pipeline::testing::RunCallflow;
using pipeline::testing::TempDir;

class InspectCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(input)
        << R"({"event_id":"s","occurred_at":"2024-05-01T09:00:00Z","call_id":"c1","caller":"+74951230001","line":"l","direction":"INBOUND","started":{}})"
           "\n"
           R"({"event_id":"e","occurred_at":"2024-05-01T09:00:30Z","call_id":"c1","caller":"+74951230001","line":"l","direction":"INBOUND","ended":{"reason":"ABANDONED"}})"
           "\n";
    auto r = RunCallflow({"replay", "--input", input, "--out",
                          dir.path() + "/out", "--state-dir", state});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  TempDir dir;
  const std::string input = dir.path() + "/events.jsonl";
  const std::string state = dir.path() + "/state";
};

TEST_F(InspectCommandTest, PrintsTheRecordWithTimesAndEnumsByName) {
  // The number as a person types it; the record is keyed by its E.164 form.
  auto r = RunCallflow(
      {"inspect", "--state", state, "--caller", "8 (495) 123-00-01"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, R"("caller": "+74951230001")")) << r.out;
  EXPECT_TRUE(Contains(r.out, R"("started_at": "2024-05-01T09:00:00)"))
      << r.out;
  // Kept as numbers in the state, named as on the output topics.
  EXPECT_TRUE(Contains(r.out, R"("direction": "INBOUND")")) << r.out;
  EXPECT_TRUE(Contains(r.out, R"("end_reason": "ABANDONED")")) << r.out;
  EXPECT_FALSE(Contains(r.out, "[info]")) << "a log line in the JSON";
}

// A store written before titles were capped can hold a string of hundreds
// of kilobytes: inspect prints it (std::regex over it overflowed the stack).
TEST_F(InspectCommandTest, PrintsARecordWithAVeryLongString) {
  {
    auto env = state::StateEnv::Create(pipeline::testing::StateAt(state));
    ASSERT_TRUE(env.ok()) << env.status();
    auto store = state::PartitionStore::Open(**env, 0);
    ASSERT_TRUE(store.ok()) << store.status();
    v1::CallerState& caller = (*store)->MutableCaller("+74951230001");
    ASSERT_EQ(caller.caller(), "+74951230001");
    v1::CustomerEventState* ce = caller.add_customer_events();
    ce->set_customer_event_id("ce1");
    ce->set_title(std::string(200000, 'a'));
    ce->set_starts_at(1714982400000000000);  // 2024-05-06T08:00:00Z
    ASSERT_TRUE((*store)->Commit(std::nullopt).ok());
  }
  auto r =
      RunCallflow({"inspect", "--state", state, "--caller", "+74951230001"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, std::string(200000, 'a')));
  EXPECT_TRUE(Contains(r.out, R"("starts_at": "2024-05-06T08:00:00)"))
      << r.out.substr(0, 2000);
}

TEST_F(InspectCommandTest, MistakesSayWhatIsWrong) {
  auto r =
      RunCallflow({"inspect", "--state", state, "--caller", "+74951239999"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "no state for caller +74951239999")) << r.err;
  r = RunCallflow({"inspect", "--state", dir.path() + "/nowhere", "--caller",
                   "+74951230001"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "does not exist")) << r.err;
  r = RunCallflow({"inspect", "--state", state, "--caller", "anonymous"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "anonymous or not a phone number")) << r.err;
}

}  // namespace
}  // namespace callflow::app
