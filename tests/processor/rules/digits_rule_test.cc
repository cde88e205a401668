// DigitsRule is proven equal to libphonenumber's parse where it answers:
// every 4-digit start of the national number in every form it reads (the
// RU metadata decides on the first three digits and the length), random
// strings around those forms, and other regions.
#include "processor/rules/digits_rule.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "processor/rules/phone_normalizer.h"
#include "tests/processor/rules/libphonenumber_reference.h"

namespace callflow::rules {
namespace {

// Digits and at most a leading '+', as PhoneNormalizer's bare form.
std::string Bare(const std::string& raw) {
  std::string out;
  for (char c : raw) {
    if ((c >= '0' && c <= '9') || (c == '+' && out.empty())) out.push_back(c);
  }
  return out;
}

// Compares the rule, and the normalizer that uses it, with the library.
class Prover {
 public:
  explicit Prover(std::string region)
      : region_(std::move(region)), normalizer_(region_, 0) {}

  void Check(const std::string& raw) {
    const std::string want = LibphonenumberE164(raw, region_);
    std::string got;
    if (DigitsRule(Bare(raw), region_, &got)) {
      ++answered_;
      if (got != want) Mismatch(raw, got, want);
    }
    const std::string& normalized = normalizer_.Normalize(raw);
    if (normalized != want) Mismatch(raw, normalized, want);
  }

  int answered() const { return answered_; }
  const std::vector<std::string>& mismatches() const { return mismatches_; }

 private:
  void Mismatch(const std::string& raw, const std::string& got,
                const std::string& want) {
    if (mismatches_.size() < 20) {
      mismatches_.push_back(absl::StrCat("'", raw, "' -> '", got,
                                         "', libphonenumber '", want, "'"));
    }
  }

  std::string region_;
  PhoneNormalizer normalizer_;
  int answered_ = 0;
  std::vector<std::string> mismatches_;
};

// All forms of one 10-digit national number D the rule may read.
std::vector<std::string> FormsOf(const std::string& d) {
  return {absl::StrCat("+7", d),
          absl::StrCat("8", d),
          absl::StrCat("7", d),
          d,
          absl::StrFormat("8 (%s) %s-%s-%s", d.substr(0, 3), d.substr(3, 3),
                          d.substr(6, 2), d.substr(8, 2)),
          absl::StrFormat("+7 %s %s-%s-%s", d.substr(0, 3), d.substr(3, 3),
                          d.substr(6, 2), d.substr(8, 2))};
}

TEST(DigitsRuleTest, EveryFourDigitStartInEveryFormEqualsLibphonenumber) {
  Prover prover("RU");
  std::mt19937_64 rng(7);
  for (int start = 0; start < 10000; ++start) {
    for (int round = 0; round < 2; ++round) {
      const std::string d =
          absl::StrFormat("%04d%06d", start, static_cast<int>(rng() % 1000000));
      for (const std::string& raw : FormsOf(d)) prover.Check(raw);
    }
  }
  EXPECT_TRUE(prover.mismatches().empty())
      << absl::StrJoin(prover.mismatches(), "\n");
  // The rule answers: "+7" forms always (2 of 6 forms), "8"/"7" forms
  // (3 of 6) for D starting 3,4,7,8,9, D alone for 3,4,7,9.
  EXPECT_EQ(prover.answered(), 20000 * 2 + 20000 * 3 / 2 + 20000 * 2 / 5);
}

TEST(DigitsRuleTest, RandomStringsAroundTheFormsNeverDisagree) {
  Prover prover("RU");
  std::mt19937_64 rng(11);
  const std::vector<std::string> heads = {"",    "+",   "+7", "7",  "8", "+8",
                                          "810", "+77", "87", "78", "0", "+70"};
  for (int i = 0; i < 40000; ++i) {
    std::string raw = heads[rng() % heads.size()];
    const int digits = 8 + static_cast<int>(rng() % 6);
    for (int k = 0; k < digits; ++k) raw.push_back('0' + rng() % 10);
    prover.Check(raw);
  }
  EXPECT_TRUE(prover.mismatches().empty())
      << absl::StrJoin(prover.mismatches(), "\n");
  EXPECT_GT(prover.answered(), 1000);
}

TEST(DigitsRuleTest, PlusSevenIsItselfInAnyRegionAndNationalFormsOnlyInRu) {
  std::mt19937_64 rng(3);
  for (const char* region : {"KZ", "US", "DE", "GB"}) {
    Prover prover(region);
    for (int start = 0; start < 1000; ++start) {
      const std::string d = absl::StrFormat("%03d%07d", start,
                                            static_cast<int>(rng() % 10000000));
      for (const std::string& raw : FormsOf(d)) prover.Check(raw);
    }
    EXPECT_TRUE(prover.mismatches().empty())
        << region << "\n"
        << absl::StrJoin(prover.mismatches(), "\n");
    EXPECT_EQ(prover.answered(), 2000) << region;  // the "+7" forms only
  }
}

TEST(DigitsRuleTest, AnythingElseIsLeftToTheLibrary) {
  std::string out;
  for (const char* bare :
       {"", "+7", "+749512345678", "+7495123456", "84951234567x", "81012345678",
        "8101234567", "8012345678", "76012345678", "+14155550000",
        "+8495123456"}) {
    EXPECT_FALSE(DigitsRule(bare, "RU", &out)) << bare;
  }
}

}  // namespace
}  // namespace callflow::rules
