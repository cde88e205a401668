#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "processor/sim/random.h"

namespace callflow::sim {

// The customers who call: a fixed pool of numbers drawn with a
// Zipf-Mandelbrot weight 1 / (rank + offset)^exponent (regulars call often,
// most call once or twice), each written in one of the mixed formats PBXs
// send.
//
// Lifecycle: built once from a seed; Pick() draws with the caller's Rng.
// Not thread-safe (read-only after construction, but Pick uses `rng`).
class CallerPool {
 public:
  // `size` callers; `offset` flattens the head (0 is classic Zipf).
  CallerPool(uint64_t seed, size_t size, double exponent, double offset);

  // Index of a caller, weighted by popularity.
  size_t Pick(Rng& rng) const;

  // The caller's national significant number ("4951234567").
  const std::string& National(size_t index) const { return national_[index]; }

  // The number as a PBX might send it: "8 (495) 123-45-67", "+7 495 123-45-67",
  // "74951234567", ... chosen with `rng`.
  std::string Format(size_t index, Rng& rng) const;

  size_t size() const { return national_.size(); }

 private:
  std::vector<std::string> national_;
  std::vector<double> cumulative_;  // normalized CDF over the pool
};

}  // namespace callflow::sim
