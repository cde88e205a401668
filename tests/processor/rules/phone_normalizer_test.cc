#include "processor/rules/phone_normalizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "phonenumbers/phonenumberutil.h"

namespace callflow::rules {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// libphonenumber straight on the raw text, no cache, no bare form.
std::string Reference(const std::string& raw) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util.Parse(raw, "RU", &number) != PhoneNumberUtil::NO_PARSING_ERROR ||
      !util.IsPossibleNumber(number)) {
    return "";
  }
  std::string out;
  util.Format(number, PhoneNumberUtil::E164, &out);
  return out;
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
