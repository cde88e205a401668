#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace callflow::sim {

// SplitMix64 step: a good 64-bit mixer, used to seed Rng and to hash keys.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A stable 64-bit hash of `seed` and `text` (FNV-1a, then mixed). Used to
// derive independent, order-free random streams per task or per day.
inline uint64_t HashKey(uint64_t seed, std::string_view text) {
  uint64_t h = 0xCBF29CE484222325ULL ^ seed;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  return SplitMix64(h);
}

// xoshiro256** with the distributions the simulator needs, written out here
// so the output does not depend on the standard library's distributions.
//
// Lifecycle: seeded once; a plain value type. Not thread-safe.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& s : s_) s = SplitMix64(seed);
  }

  uint64_t NextU64() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

  // Uniform integer in [lo, hi] (inclusive). Requires lo <= hi.
  int64_t UniformInt(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>(span == 0 ? NextU64() : NextU64() % span);
  }

  bool Bernoulli(double p) { return Uniform() < p; }

  // Exponential with the given mean.
  double Exponential(double mean) { return -mean * std::log1p(-Uniform()); }

  // Erlang-k with the given mean: a right-skewed positive duration (talk
  // times, patience) without trigonometry.
  double Erlang(int k, double mean) {
    double sum = 0;
    for (int i = 0; i < k; ++i) sum += Exponential(mean / k);
    return sum;
  }

  // Index drawn from `weights` (non-negative, not all zero).
  template <typename Container>
  size_t Pick(const Container& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = Uniform() * total;
    size_t i = 0;
    for (double w : weights) {
      if (x < w) return i;
      x -= w;
      ++i;
    }
    return i - 1;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t s_[4];
};

}  // namespace callflow::sim
