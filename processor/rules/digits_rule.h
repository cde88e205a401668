#pragma once

#include <string>
#include <string_view>

namespace callflow::rules {

// libphonenumber's answer for the commonest Russian number forms, computed
// on the digits alone (no parse). It answers only where its result is
// proven equal to PhoneNormalizer's full parse (`Parse` with the default
// region, `IsPossibleNumber`, E.164 format) and says "don't know"
// otherwise:
//   "+7" + 10 digits D                      -> itself      (any region)
//   "8" + D or "7" + D, D starting [3-47-9] -> "+7" + D    (region "RU")
//   D alone, D starting [3479]              -> "+7" + D    (region "RU")
// Why these are exact, from libphonenumber's RU metadata (+7's main
// country): national numbers are 10 digits and valid ones match
// [347-9]\d{9}; a national number starting 8 cannot lose a national prefix
// "8" (9 digits are too short); "810" is the international prefix (so
// 8 + D with D starting 10 is excluded, and so is D alone starting 8);
// "7" + D is read as the country code only when D matches the pattern.
// tests/processor/rules/digits_rule_test.cc compares the rule with the
// library for every 4-digit start of D in every form, plus random strings.
//
// `bare` is PhoneNormalizer's bare form (digits, at most a leading '+').
// Pure and thread-safe.
bool DigitsRule(std::string_view bare, std::string_view region,
                std::string* e164);

}  // namespace callflow::rules
