#include "processor/rules/digits_rule.h"

#include <algorithm>

namespace callflow::rules {
namespace {

constexpr size_t kNationalDigits = 10;

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

// D is 10 digits starting with one of `first`.
bool National(std::string_view d, std::string_view first) {
  return d.size() == kNationalDigits && first.find(d[0]) != first.npos &&
         AllDigits(d);
}

bool Set(std::string_view national, std::string* e164) {
  e164->assign("+7");
  e164->append(national);
  return true;
}

}  // namespace

bool DigitsRule(std::string_view bare, std::string_view region,
                std::string* e164) {
  if (bare.size() == kNationalDigits + 2 && bare.substr(0, 2) == "+7" &&
      AllDigits(bare.substr(2))) {
    return Set(bare.substr(2), e164);
  }
  if (region != "RU") return false;
  if (bare.size() == kNationalDigits + 1 &&
      (bare[0] == '8' || bare[0] == '7') && National(bare.substr(1), "34789")) {
    return Set(bare.substr(1), e164);
  }
  if (National(bare, "3479")) return Set(bare, e164);
  return false;
}

}  // namespace callflow::rules
