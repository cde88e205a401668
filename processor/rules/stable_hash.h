#pragma once

#include <cstdint>
#include <string_view>

namespace callflow::rules {

inline constexpr uint64_t kStableHashBasis = 14695981039346656037ULL;

// 64-bit FNV-1a. Persisted (de-duplication ids) and part of contact ids:
// never change it. Pure and thread-safe. Streams: StableHash(b,
// StableHash(a)) is StableHash(a + b).
inline uint64_t StableHash(std::string_view text,
                           uint64_t h = kStableHashBasis) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace callflow::rules
