#include "processor/sim/jsonl_writer.h"

#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "processor/codec/codec.h"
#include "processor/rules/time.h"
#include "tests/support/status_matchers.h"

namespace callflow::sim {
namespace {

using ::callflow_testing::IsOk;
using ::testing::Not;

v1::CallEvent Started() {
  v1::CallEvent e;
  e.set_event_id("s1-1");
  rules::ToProto(rules::ParseTime("2024-06-03T05:00:00Z").value(),
                 e.mutable_occurred_at());
  e.set_call_id("c1-1");
  e.set_caller("8 (495) 123-45-67");
  e.set_line("sales");
  e.set_direction(v1::CallEvent::INBOUND);
  e.mutable_started();
  return e;
}

TEST(JsonlWriterTest, GoodLinesAreCodecJson) {
  std::ostringstream out;
  JsonlWriter writer(&out, {.seed = 1, .malformed_rate = 0});
  ASSERT_THAT(writer.Write(Started()), IsOk());
  EXPECT_EQ(out.str(), codec::ToJson(Started()) + "\n");
  EXPECT_EQ(writer.lines(), 1u);
  EXPECT_EQ(writer.malformed(), 0u);
  v1::CallEvent back;
  ASSERT_THAT(codec::ParseEventJson(out.str(), &back), IsOk());
  EXPECT_EQ(back.SerializeAsString(), Started().SerializeAsString());
}

TEST(JsonlWriterTest, MalformedLinesAreRejectedOrLackAnEventId) {
  using M = JsonlWriter::Malformation;
  v1::CallEvent e;
  EXPECT_THAT(codec::ParseEventJson(
                  JsonlWriter::Malformed(Started(), M::kTruncated), &e),
              Not(IsOk()));
  EXPECT_THAT(codec::ParseEventJson(
                  JsonlWriter::Malformed(Started(), M::kUnknownEnum), &e),
              Not(IsOk()));
  const std::string no_id =
      JsonlWriter::Malformed(Started(), M::kMissingEventId);
  EXPECT_EQ(no_id.find("event_id"), std::string::npos) << no_id;
  ASSERT_THAT(codec::ParseEventJson(no_id, &e), IsOk()) << no_id;
  EXPECT_TRUE(e.event_id().empty());
  EXPECT_TRUE(e.has_started());
}

TEST(JsonlWriterTest, MalformedRateAddsLines) {
  std::ostringstream out;
  JsonlWriter writer(&out, {.seed = 2, .malformed_rate = 0.5});
  for (int i = 0; i < 200; ++i) ASSERT_THAT(writer.Write(Started()), IsOk());
  EXPECT_GT(writer.malformed(), 60u);
  EXPECT_LT(writer.malformed(), 140u);
  EXPECT_EQ(writer.lines(), 200 + writer.malformed());
}

}  // namespace
}  // namespace callflow::sim
