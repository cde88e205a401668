#include "processor/sim/caller_pool.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace callflow::sim {
namespace {

// Moscow landline codes and mobile operator codes.
constexpr const char* kAreaCodes[] = {"495", "499", "903", "905", "909", "915",
                                      "916", "925", "926", "977", "985"};

}  // namespace

CallerPool::CallerPool(uint64_t seed, size_t size, double exponent,
                       double offset) {
  Rng rng(seed ^ 0x6361'6c6c'6572'73ULL);
  national_.reserve(size);
  cumulative_.reserve(size);
  double total = 0;
  for (size_t i = 0; i < size; ++i) {
    const char* code = kAreaCodes[rng.UniformInt(0, std::size(kAreaCodes) - 1)];
    // Subscriber numbers start with 2-9 so every number is a valid RU number.
    national_.push_back(
        absl::StrFormat("%s%07d", code, rng.UniformInt(2000000, 9999999)));
    total += 1.0 / std::pow(static_cast<double>(i + 1) + offset, exponent);
    cumulative_.push_back(total);
  }
  for (double& c : cumulative_) c /= total;
}

size_t CallerPool::Pick(Rng& rng) const {
  const double x = rng.Uniform();
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), x);
  return std::min<size_t>(it - cumulative_.begin(), cumulative_.size() - 1);
}

std::string CallerPool::Format(size_t index, Rng& rng) const {
  const std::string& n = national_[index];
  const std::string code = n.substr(0, 3), a = n.substr(3, 3),
                    b = n.substr(6, 2), c = n.substr(8, 2);
  switch (rng.Pick(std::initializer_list<double>{3, 3, 3, 2, 2, 1})) {
    case 0:
      return absl::StrCat("8 (", code, ") ", a, "-", b, "-", c);
    case 1:
      return absl::StrCat("+7 ", code, " ", a, "-", b, "-", c);
    case 2:
      return absl::StrCat("7", n);
    case 3:
      return absl::StrCat("+7", n);
    case 4:
      return absl::StrCat("8", n);
    default:
      return absl::StrCat("8-", code, "-", a, "-", b, c);
  }
}

}  // namespace callflow::sim
