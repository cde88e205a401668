#include "processor/rules/phone_normalizer.h"

#include <algorithm>
#include <cctype>

#include "phonenumbers/phonenumberutil.h"
#include "processor/rules/digits_rule.h"

namespace callflow::rules {
namespace {

bool IsAnonymousWord(std::string_view raw) {
  std::string lower;
  for (char c : raw) {
    if (!std::isspace(static_cast<unsigned char>(c)))
      lower.push_back(
          static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return lower.empty() || lower == "anonymous" || lower == "unknown" ||
         lower == "restricted" || lower == "private";
}

// The bare form of a number written with digits, the separators PBXs put
// in ("8 (495) 123-45-67", "+7 495 123-45-67") and at most one '+' before
// the first digit: libphonenumber ignores those separators, so the number
// normalizes exactly like its bare form. False (and `out` unusable) for
// anything else: letters, extensions, other punctuation, no digit.
bool BareForm(std::string_view raw, std::string* out) {
  out->clear();
  bool digit = false;
  for (char c : raw) {
    if (c >= '0' && c <= '9') {
      out->push_back(c);
      digit = true;
    } else if (c == '+' && out->empty()) {
      out->push_back(c);
    } else if (c != ' ' && c != '-' && c != '(' && c != ')') {
      return false;
    }
  }
  return digit;
}

}  // namespace

PhoneNormalizer::PhoneNormalizer(std::string default_region,
                                 size_t max_cache_entries, bool digits_rule)
    : region_(std::move(default_region)),
      max_entries_(max_cache_entries),
      digits_rule_(digits_rule) {}

// The cache is keyed by the bare form when there is one, so the formats of
// one number share an entry, and every E.164 result is also cached as its
// own key (normalizing E.164 gives it back): a number costs one
// libphonenumber parse per distinct bare form, not per format. A bare form
// DigitsRule answers costs no parse and no cache entry at all.
const std::string& PhoneNormalizer::Normalize(std::string_view raw) {
  const bool bare = BareForm(raw, &bare_);
  if (bare && digits_rule_ && DigitsRule(bare_, region_, &ruled_)) {
    return ruled_;
  }
  const std::string_view key = bare ? std::string_view(bare_) : raw;
  auto it = cache_.find(absl::string_view(key.data(), key.size()));
  if (it != cache_.end()) return it->second;
  std::string e164 = Compute(key);
  if (cache_.size() + 2 > max_entries_) cache_.clear();
  if (!e164.empty() && e164 != key) cache_.try_emplace(e164, e164);
  return cache_.insert_or_assign(std::string(key), std::move(e164))
      .first->second;
}

bool PhoneNormalizer::IsKnownRegion(const std::string& region) {
  return i18n::phonenumbers::PhoneNumberUtil::GetInstance()
             ->GetCountryCodeForRegion(region) != 0;
}

std::string PhoneNormalizer::Compute(std::string_view raw) const {
  if (IsAnonymousWord(raw)) return "";
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  // The library's instance holds immutable metadata only.
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util.Parse(std::string(raw), region_, &number) !=
      PhoneNumberUtil::NO_PARSING_ERROR) {
    return "";
  }
  if (!util.IsPossibleNumber(number)) return "";
  std::string out;
  util.Format(number, PhoneNumberUtil::E164, &out);
  return out;
}

}  // namespace callflow::rules
