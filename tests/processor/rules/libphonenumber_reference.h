#pragma once

#include <string>

#include "phonenumbers/phonenumberutil.h"

namespace callflow::rules {

// libphonenumber straight on the raw text, no cache, no bare form, no
// digits rule: what PhoneNormalizer must answer.
inline std::string LibphonenumberE164(const std::string& raw,
                                      const std::string& region = "RU") {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util.Parse(raw, region, &number) != PhoneNumberUtil::NO_PARSING_ERROR ||
      !util.IsPossibleNumber(number)) {
    return "";
  }
  std::string out;
  util.Format(number, PhoneNumberUtil::E164, &out);
  return out;
}

}  // namespace callflow::rules
