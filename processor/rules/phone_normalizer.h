#pragma once

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace callflow::rules {

// Turns a number as the PBX sent it into E.164 ("+74951234567") with
// libphonenumber, or "" for an anonymous / unparseable number. The
// commonest Russian forms are answered from their digits (DigitsRule, proven
// equal to the parse) without the library; other results are cached
// (numbers repeat); the cache is cleared when it reaches its bound.
//
// Not thread-safe: one per engine.
class PhoneNormalizer {
 public:
  // `digits_rule` false: every number goes through libphonenumber (the
  // reference the rule is tested and measured against).
  explicit PhoneNormalizer(std::string default_region,
                           size_t max_cache_entries = 1 << 20,
                           bool digits_rule = true);

  // Returns a reference valid until the next call.
  const std::string& Normalize(std::string_view raw);

  // Whether libphonenumber knows `region` (an upper-case ISO 3166 code such
  // as "RU"): national numbers are read as that region's. Thread-safe.
  static bool IsKnownRegion(const std::string& region);

 private:
  std::string Compute(std::string_view raw) const;

  std::string region_;
  size_t max_entries_;
  bool digits_rule_;
  absl::flat_hash_map<std::string, std::string> cache_;
  std::string bare_;   // scratch for the bare form of the number
  std::string ruled_;  // DigitsRule's answer
};

}  // namespace callflow::rules
