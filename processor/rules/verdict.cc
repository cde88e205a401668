#include "processor/rules/verdict.h"

#include <array>
#include <vector>

#include "absl/strings/ascii.h"

namespace callflow::rules {
namespace {

constexpr int kReasons = v1::DeadLetter::Reason_ARRAYSIZE;

// Lower-case enum names, indexed by value (built once from the descriptor,
// so a new enum value gets its label without another list to update).
const std::array<std::string, kReasons>& Labels() {
  static const std::array<std::string, kReasons>* labels = [] {
    auto* out = new std::array<std::string, kReasons>();
    for (int v = 0; v < kReasons; ++v) {
      if (!v1::DeadLetter::Reason_IsValid(v)) continue;
      (*out)[v] = absl::AsciiStrToLower(
          v1::DeadLetter::Reason_Name(static_cast<RejectReason>(v)));
    }
    (*out)[v1::DeadLetter::REASON_UNSPECIFIED] = "unspecified";
    return out;
  }();
  return *labels;
}

}  // namespace

std::string_view ReasonLabel(RejectReason reason) {
  const int v = static_cast<int>(reason);
  if (v < 0 || v >= kReasons) return "unspecified";
  return Labels()[v];
}

absl::Span<const RejectReason> AllRejectReasons() {
  static const std::vector<RejectReason>* all = [] {
    auto* out = new std::vector<RejectReason>();
    for (int v = 1; v < kReasons; ++v) {
      if (v1::DeadLetter::Reason_IsValid(v)) {
        out->push_back(static_cast<RejectReason>(v));
      }
    }
    return out;
  }();
  return *all;
}

}  // namespace callflow::rules
