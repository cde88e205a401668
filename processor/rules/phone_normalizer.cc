#include "processor/rules/phone_normalizer.h"

#include <algorithm>
#include <cctype>

#include "phonenumbers/phonenumberutil.h"

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

}  // namespace

PhoneNormalizer::PhoneNormalizer(std::string default_region,
                                 size_t max_cache_entries)
    : region_(std::move(default_region)), max_entries_(max_cache_entries) {}

const std::string& PhoneNormalizer::Normalize(std::string_view raw) {
  auto it = cache_.find(absl::string_view(raw.data(), raw.size()));
  if (it != cache_.end()) return it->second;
  if (cache_.size() >= max_entries_) cache_.clear();
  return cache_.emplace(std::string(raw), Compute(raw)).first->second;
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
