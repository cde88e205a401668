// Fuzzes the decoders and the engine behind them with deterministic random
// inputs: random bytes, bit-flipped and truncated protobuf, mutated JSON.
// Whatever comes in, nothing crashes, and every input is either applied or
// rejected with a reason (the DLQ path) — never silently lost.
#include <random>
#include <string>
#include <vector>

#include "google/protobuf/stubs/logging.h"
#include "gtest/gtest.h"
#include "processor/codec/codec.h"
#include "processor/rules/engine.h"
#include "processor/rules/testing/counting_sink.h"
#include "processor/rules/testing/in_memory_state.h"
#include "tests/support/status_matchers.h"

namespace callflow::codec {
namespace {

using ::callflow_testing::IsOk;

constexpr int kIterations = 20000;

const std::vector<std::string>& Seeds() {
  static const std::vector<std::string> kSeeds = {
      R"({"event_id":"e1","occurred_at":"2024-05-01T10:00:00Z","call_id":"c1","caller":"8 (495) 123-45-67","line":"sales","direction":"INBOUND","started":{"via_access_number":true}})",
      R"({"event_id":"e2","occurred_at":"2024-05-01T10:00:30Z","call_id":"c1","caller":"+74951234567","line":"sales","direction":"INBOUND","ended":{"reason":"ABANDONED","talk_seconds":0}})",
      R"({"eventId":"e3","occurredAt":"2024-05-01T10:10:00Z","caller":"+74951234567","callbackAttempt":{"taskId":"cb:+74951234567:e2","result":"NO_ANSWER"}})",
      R"({"event_id":"e4","occurred_at":"2024-05-01T10:11:00Z","caller":"+74951234567","customer_event":{"customer_event_id":"x","starts_at":"2024-05-04T10:00:00Z","title":"t"}})",
      R"({"event_id":"e5","occurred_at":"2024-05-01T10:12:00Z","alarm":{"zone":"A","kind":"FIRE","message":"m"}})",
      R"({"event_id":"e6","occurred_at":"2024-05-01T10:13:00Z","caller":"anonymous","call_id":"c9","direction":"INBOUND","answered":{"agent_id":"a","queue":"q","wait_seconds":12}})",
      R"({"event_id":"e7","occurred_at":"2024-05-01T10:14:00Z","caller":"+74951234567","disposition":{"outcome":"CONTRACT_SIGNED","case_id":"k"}})",
  };
  return kSeeds;
}

// Feeds one decoded event to the engine; returns whether it was accepted.
bool Feed(rules::Engine& engine, rules::InMemoryState& state,
          rules::CountingSink& sink, const v1::CallEvent& event) {
  return engine.Process(event, state, sink).ok();
}

class DecoderFuzzTest : public ::testing::Test {
 protected:
  // Invalid UTF-8 in string fields makes protobuf log a line per input.
  google::protobuf::LogSilencer quiet_;
  rules::EngineOptions options_;
  rules::Engine engine_{options_};
  rules::InMemoryState state_;
  rules::CountingSink sink_;
  std::mt19937_64 rng_{20241127};
  int decoded_ = 0;
  int accepted_ = 0;
  int rejected_ = 0;

  void Decoded(const v1::CallEvent& event) {
    ++decoded_;
    if (Feed(engine_, state_, sink_, event)) {
      ++accepted_;
    } else {
      ++rejected_;
    }
  }
};

TEST_F(DecoderFuzzTest, RandomBytesAsProtobuf) {
  std::uniform_int_distribution<int> len(0, 200), byte(0, 255);
  for (int i = 0; i < kIterations; ++i) {
    std::string bytes(len(rng_), '\0');
    for (char& c : bytes) c = static_cast<char>(byte(rng_));
    v1::CallEvent event;
    if (ParseEventProto(bytes, &event).ok()) Decoded(event);
  }
  // Every decoded event was either applied or rejected with a reason.
  EXPECT_EQ(accepted_ + rejected_, decoded_);
  EXPECT_EQ(sink_.count(rules::FactKind::kApplied) +
                sink_.count(rules::FactKind::kDuplicate),
            static_cast<uint64_t>(accepted_));
}

TEST_F(DecoderFuzzTest, MutatedAndTruncatedProtobuf) {
  std::vector<std::string> wire;
  for (const std::string& json : Seeds()) {
    v1::CallEvent event;
    ASSERT_THAT(ParseEventJson(json, &event), IsOk()) << json;
    wire.push_back(event.SerializeAsString());
  }
  std::uniform_int_distribution<size_t> pick(0, wire.size() - 1);
  for (int i = 0; i < kIterations; ++i) {
    std::string bytes = wire[pick(rng_)];
    std::uniform_int_distribution<size_t> pos(0, bytes.size() - 1);
    switch (i % 3) {
      case 0:  // flip a few bits
        for (int k = 0; k < 3; ++k) bytes[pos(rng_)] ^= 1 << (rng_() % 8);
        break;
      case 1:  // truncate
        bytes.resize(pos(rng_));
        break;
      default:  // overwrite a byte with a random one
        bytes[pos(rng_)] = static_cast<char>(rng_());
        break;
    }
    v1::CallEvent event;
    if (ParseEventProto(bytes, &event).ok()) Decoded(event);
  }
  EXPECT_GT(decoded_, 0);
  EXPECT_GT(rejected_, 0);  // mutations do reach the DLQ path
  EXPECT_EQ(accepted_ + rejected_, decoded_);
}

TEST_F(DecoderFuzzTest, MutatedJson) {
  const std::string alphabet = "{}[]\":,0123456789-TZ.abcdefnrstu \\";
  std::uniform_int_distribution<size_t> pick(0, Seeds().size() - 1);
  std::uniform_int_distribution<size_t> ch(0, alphabet.size() - 1);
  int malformed = 0;
  for (int i = 0; i < kIterations; ++i) {
    std::string line = Seeds()[pick(rng_)];
    std::uniform_int_distribution<size_t> pos(0, line.size() - 1);
    int edits = 1 + static_cast<int>(rng_() % 3);
    for (int k = 0; k < edits; ++k) {
      size_t p = pos(rng_);
      if (rng_() % 2) {
        line[p] = alphabet[ch(rng_)];
      } else {
        line.erase(p, 1);
        if (line.empty()) break;
        pos = std::uniform_int_distribution<size_t>(0, line.size() - 1);
      }
    }
    v1::CallEvent event;
    absl::Status s = ParseEventJson(line, &event);
    if (s.ok()) {
      Decoded(event);
    } else {
      ++malformed;
      EXPECT_FALSE(s.message().empty());  // a DLQ row needs a reason
    }
  }
  EXPECT_GT(malformed, 0);
  EXPECT_GT(decoded_, 0);
  EXPECT_EQ(accepted_ + rejected_, decoded_);
}

}  // namespace
}  // namespace callflow::codec
