#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "absl/types/span.h"
#include "callflow/v1/outputs.pb.h"

namespace callflow::rules {

// Why an event goes to the dead-letter queue (docs/RULES.md §6). One enum,
// shared by the DeadLetter record (its `reason` field), the dead-letter
// metric's `reason` label (ReasonLabel) and the tests; never parsed out of a
// message.
using RejectReason = v1::DeadLetter::Reason;

// The metric label of `reason`: its enum name in lower case
// ("missing_field"); "unspecified" for REASON_UNSPECIFIED.
std::string_view ReasonLabel(RejectReason reason);

// Every reason an event can be rejected for (all but REASON_UNSPECIFIED), in
// enum order.
absl::Span<const RejectReason> AllRejectReasons();

// The outcome of checking or applying one event: accepted, or rejected with
// a typed reason and a message for people (the DeadLetter's `error`).
//
// A plain value, thread-compatible; cheap to return when accepted (no
// allocation).
class Verdict {
 public:
  // Accepted.
  Verdict() = default;
  static Verdict Accept() { return Verdict(); }
  static Verdict Reject(RejectReason reason, std::string message) {
    return Verdict(reason, std::move(message));
  }

  bool ok() const { return reason_ == v1::DeadLetter::REASON_UNSPECIFIED; }
  RejectReason reason() const { return reason_; }
  const std::string& message() const { return message_; }

 private:
  Verdict(RejectReason reason, std::string message)
      : reason_(reason), message_(std::move(message)) {}

  RejectReason reason_ = v1::DeadLetter::REASON_UNSPECIFIED;
  std::string message_;
};

}  // namespace callflow::rules
