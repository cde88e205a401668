// `--format callevent`: JSON lines and protobuf/JSON payloads, validated.
#include "processor/ingest/callevent_adapter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace callflow::ingest {
namespace {

constexpr char kStarted[] =
    R"({"event_id":"e1","occurred_at":"2025-12-01T00:00:00Z","call_id":"c1",)"
    R"("caller":"+74951234567","line":"support","direction":"INBOUND",)"
    R"("started":{}})";

TEST(CallEventAdapterTest, JsonLineAndBothPayloadFormsGiveTheSameEvent) {
  CallEventAdapter adapter;
  std::vector<v1::CallEvent> out;
  ASSERT_EQ(adapter.Convert(kStarted, &out).outcome, LineOutcome::kEvents);
  ASSERT_EQ(adapter.ConvertPayload(kStarted, &out).outcome,
            LineOutcome::kEvents);
  std::string wire;
  ASSERT_TRUE(out[0].SerializeToString(&wire));
  ASSERT_EQ(adapter.ConvertPayload(wire, &out).outcome, LineOutcome::kEvents);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].SerializeAsString(), out[1].SerializeAsString());
  EXPECT_EQ(out[0].SerializeAsString(), out[2].SerializeAsString());
  EXPECT_EQ(out[0].caller(), "+74951234567");
}

TEST(CallEventAdapterTest, MissingFieldsAndUnknownEnumsAreMalformed) {
  CallEventAdapter adapter;
  struct Case {
    std::string json;
    std::string error;
    v1::DeadLetter::Reason reason;
  };
  const std::vector<Case> cases = {
      {R"({"occurred_at":"2025-12-01T00:00:00Z","call_id":"c","direction":"INBOUND","started":{}})",
       "event_id", v1::DeadLetter::MISSING_FIELD},
      {R"({"event_id":"e","call_id":"c","direction":"INBOUND","started":{}})",
       "occurred_at", v1::DeadLetter::MISSING_FIELD},
      {R"({"event_id":"e","occurred_at":"2025-12-01T00:00:00Z","call_id":"c","direction":"INBOUND"})",
       "body", v1::DeadLetter::MISSING_FIELD},
      {R"({"event_id":"e","occurred_at":"2025-12-01T00:00:00Z","call_id":"c","direction":"SIDEWAYS","started":{}})",
       "unknown enum name in direction", v1::DeadLetter::UNKNOWN_ENUM},
      {R"({"event_id":"e","occurred_at":"2025-12-01T00:00:00Z","call_id":"c","direction":"INBOUND","ended":{"reason":"EXPLODED"}})",
       "unknown enum name in ended.reason", v1::DeadLetter::UNKNOWN_ENUM},
      // An unknown name and another fault: that fault's reason.
      {R"({"occurred_at":"2025-12-01T00:00:00Z","call_id":"c","direction":"SIDEWAYS","started":{}})",
       "event_id", v1::DeadLetter::MISSING_FIELD},
      {R"(not json)", "not a CallEvent JSON", v1::DeadLetter::UNDECODABLE},
  };
  std::vector<v1::CallEvent> out;
  for (const Case& c : cases) {
    LineResult r = adapter.Convert(c.json, &out);
    EXPECT_EQ(r.outcome, LineOutcome::kMalformed) << c.json;
    EXPECT_NE(r.error.find(c.error), std::string::npos)
        << c.json << " -> " << r.error;
    EXPECT_EQ(r.reason, c.reason) << c.json;
  }
  EXPECT_EQ(adapter.ConvertPayload("\x0a\xff\xff", &out).outcome,
            LineOutcome::kMalformed);
  EXPECT_EQ(adapter.Convert("  ", &out).outcome, LineOutcome::kBlank);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace callflow::ingest
