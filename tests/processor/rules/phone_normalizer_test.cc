#include "processor/rules/phone_normalizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "tests/processor/rules/libphonenumber_reference.h"

namespace callflow::rules {
namespace {

std::string Reference(const std::string& raw) {
  return LibphonenumberE164(raw);
}

std::vector<std::string> Formats(const std::string& code,
                                 const std::string& sub) {
  const std::string a = sub.substr(0, 3), b = sub.substr(3, 2),
                    c = sub.substr(5, 2);
  return {absl::StrFormat("8 (%s) %s-%s-%s", code, a, b, c),
          absl::StrFormat("+7 %s %s-%s-%s", code, a, b, c),
          absl::StrFormat("7%s%s", code, sub),
          absl::StrFormat("+7%s%s", code, sub),
          absl::StrFormat("8%s%s", code, sub),
          absl::StrFormat("8-%s-%s-%s%s", code, a, b, c),
          absl::StrFormat("(+7) %s %s", code, sub),
          absl::StrFormat("%s%s", code, sub)};
}

TEST(PhoneNormalizerTest, EveryFormatMatchesLibphonenumberInAnyOrder) {
  PhoneNormalizer cached("RU");
  PhoneNormalizer uncached("RU", /*max_cache_entries=*/0);
  const std::vector<std::string> codes = {"495", "499", "903", "916",
                                          "800", "812", "111", "999"};
  const std::vector<std::string> subs = {"1234567", "2000000", "9999999",
                                         "0000000", "5553535"};
  for (int round = 0; round < 2; ++round) {
    for (const auto& code : codes) {
      for (const auto& sub : subs) {
        std::vector<std::string> formats = Formats(code, sub);
        if (round == 1) std::reverse(formats.begin(), formats.end());
        for (const auto& raw : formats) {
          EXPECT_EQ(cached.Normalize(raw), Reference(raw)) << raw;
          EXPECT_EQ(uncached.Normalize(raw), Reference(raw)) << raw;
        }
      }
    }
  }
}

TEST(PhoneNormalizerTest, OddInputsMatchLibphonenumber) {
  PhoneNormalizer n("RU");
  const std::vector<std::string> inputs = {"",
                                           "  ",
                                           "anonymous",
                                           "Unknown",
                                           "private",
                                           "restricted",
                                           "12",
                                           "+",
                                           "++74951234567",
                                           "8 495 1234567 ext. 12",
                                           "+1 650 253 0000",
                                           "1-800-FLOWERS",
                                           "007 495 123 45 67",
                                           "810 1 650 253 0000",
                                           "+44 20 7946 0958",
                                           "8.495.123.45.67",
                                           "+7(495)1234567",
                                           "8 (495) 123-45-67#",
                                           "tel:+74951234567"};
  for (int round = 0; round < 2; ++round) {
    for (const auto& raw : inputs) {
      const std::string expected =
          raw.find_first_of("0123456789") == std::string::npos ? std::string()
                                                               : Reference(raw);
      EXPECT_EQ(n.Normalize(raw), expected) << "'" << raw << "'";
    }
  }
}

// Forms where a national or country-code reading could differ from the
// E.164 reading (Kazakhstan shares +7; 10-digit numbers starting with 7 or
// 8; toll-free 8-800): the E.164 forms are normalized first so the cache
// holds them when the ambiguous forms arrive.
TEST(PhoneNormalizerTest, AmbiguousFormsAfterTheirE164MatchLibphonenumber) {
  PhoneNormalizer n("RU");
  const std::vector<std::string> inputs = {
      "+77012345678",    "+7012345678",       "+78123456789",   "+7812345678",
      "+78005553535",    "+77272501234",      "+7727250123",    "77012345678",
      "7012345678",      "8123456789",        "88123456789",    "88005553535",
      "8005553535",      "7727250123",        "77272501234",    "87012345678",
      "7 701 234 56 78", "8 (800) 555-35-35", "8 812 345 67 89"};
  for (int round = 0; round < 2; ++round) {
    for (const auto& raw : inputs) {
      EXPECT_EQ(n.Normalize(raw), Reference(raw)) << "'" << raw << "'";
    }
  }
}

TEST(PhoneNormalizerTest, BoundedCacheStillAnswersCorrectly) {
  PhoneNormalizer n("RU", /*max_cache_entries=*/3);
  for (int i = 0; i < 50; ++i) {
    const std::string raw = absl::StrFormat("8 (495) 123-45-%02d", i);
    EXPECT_EQ(n.Normalize(raw), absl::StrFormat("+749512345%02d", i));
    EXPECT_EQ(n.Normalize(absl::StrFormat("+749512345%02d", i)),
              absl::StrFormat("+749512345%02d", i));
  }
}

}  // namespace
}  // namespace callflow::rules
