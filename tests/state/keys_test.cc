#include "state/keys.h"

#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace callflow::state::keys {
namespace {

using rules::Timer;
using rules::TimerKind;

std::vector<Timer> TrickyTimers() {
  const std::vector<int64_t> dues = {
      std::numeric_limits<int64_t>::min(), -1, 0, 1, int64_t{1} << 40,
      std::numeric_limits<int64_t>::max()};
  const std::vector<std::string> strings = {
      "",   "a",    std::string("a\0", 2),   std::string("a\0b", 3),
      "ab", "\xFF", std::string("\x01\0", 2)};
  const std::vector<uint32_t> seqs = {0, 1, 256, 0xFFFFFFFF};
  std::vector<Timer> timers;
  for (int64_t due : dues) {
    for (TimerKind kind : {TimerKind::kLegClose, TimerKind::kReminderOverdue}) {
      for (const std::string& key : strings) {
        for (const std::string& ref : {strings[0], strings[2], strings[4]}) {
          for (uint32_t seq : seqs) {
            timers.push_back(Timer{due, kind, key, ref, seq});
          }
        }
      }
    }
  }
  return timers;
}

TEST(TimerKeyTest, ByteOrderEqualsTimerOrder) {
  const std::vector<Timer> timers = TrickyTimers();
  std::vector<std::string> encoded;
  for (const Timer& t : timers) encoded.push_back(TimerKey(t));
  for (size_t i = 0; i < timers.size(); ++i) {
    for (size_t j = 0; j < timers.size(); ++j) {
      const auto want = timers[i] <=> timers[j];
      const int got = encoded[i].compare(encoded[j]);
      ASSERT_EQ(want < 0, got < 0) << i << " vs " << j;
      ASSERT_EQ(want == 0, got == 0) << i << " vs " << j;
    }
  }
}

TEST(TimerKeyTest, DecodesWhatItEncodes) {
  for (const Timer& t : TrickyTimers()) {
    std::optional<Timer> decoded = DecodeTimerKey(TimerKey(t));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, t);
  }
}

TEST(TimerKeyTest, TimerKeysLieInTheTimerRange) {
  for (const Timer& t : TrickyTimers()) {
    const std::string key = TimerKey(t);
    EXPECT_GE(key, kTimersBegin);
    EXPECT_LT(key, kTimersEnd);
  }
  EXPECT_LT(CallerKey("\xFF\xFF"), std::string(kTimersBegin));
  EXPECT_LT(std::string(kNextOffsetKey), std::string(kTimersBegin));
}

TEST(TimerKeyTest, RejectsMalformedKeys) {
  const std::string good =
      TimerKey(Timer{5, TimerKind::kCallbackSla, "k", "r", 2});
  EXPECT_FALSE(DecodeTimerKey("").has_value());
  EXPECT_FALSE(DecodeTimerKey(CallerKey("+7")).has_value());
  for (size_t len = 0; len < good.size(); ++len) {
    EXPECT_FALSE(DecodeTimerKey(good.substr(0, len)).has_value()) << len;
  }
  EXPECT_FALSE(DecodeTimerKey(good + "x").has_value());
  std::string bad_escape =
      TimerKey(Timer{5, TimerKind::kCallbackSla, "", "", 0});
  bad_escape[11] = '\x07';  // "t" due(8) kind(1), then the key's 0x00 0x01
  EXPECT_FALSE(DecodeTimerKey(bad_escape).has_value());
}

TEST(OffsetTest, RoundTrips) {
  for (int64_t offset : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{1} << 50,
                         std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(DecodeOffset(EncodeOffset(offset)), offset);
  }
  EXPECT_FALSE(DecodeOffset("1234567").has_value());
  EXPECT_FALSE(DecodeOffset("123456789").has_value());
}

TEST(CallerKeyTest, ReusesTheBuffer) {
  std::string buf = "stale contents";
  CallerKey("+74951234567", &buf);
  EXPECT_EQ(buf, "c+74951234567");
}

}  // namespace
}  // namespace callflow::state::keys
