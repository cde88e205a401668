#include "processor/pipeline/output_limits.h"

#include "processor/rules/stable_hash.h"

namespace callflow::pipeline {

using rules::CapText;

void LimitDeadLetter(v1::DeadLetter& dead_letter) {
  const std::string& payload = dead_letter.payload();
  if (payload.size() > kMaxDeadLetterPayload) {
    dead_letter.set_payload_truncated(true);
    dead_letter.set_payload_size(payload.size());
    dead_letter.set_payload_fnv1a(rules::StableHash(payload));
    dead_letter.mutable_payload()->resize(kMaxDeadLetterPayload);
  }
  // Keys are bytes (any content): cut without a mark.
  if (dead_letter.key().size() > kMaxDeadLetterKey) {
    dead_letter.mutable_key()->resize(kMaxDeadLetterKey);
  }
  CapText(*dead_letter.mutable_error(), kMaxOutputText);
}

std::optional<v1::Alert> LimitAlert(const v1::Alert& alert) {
  if (alert.message().size() <= kMaxOutputText) return std::nullopt;
  v1::Alert capped = alert;
  CapText(*capped.mutable_message(), kMaxOutputText);
  return capped;
}

}  // namespace callflow::pipeline
