#include "processor/ingest/future_check.h"

#include "absl/time/clock.h"
#include "processor/rules/validation.h"

namespace callflow::ingest {

FutureCheck FutureCheck::WallClock(rules::DurationNs max_future_skew) {
  FutureCheck check;
  check.reference_ = Reference::kWallClock;
  check.max_future_skew_ = max_future_skew;
  return check;
}

FutureCheck FutureCheck::At(rules::TimeNs now,
                            rules::DurationNs max_future_skew) {
  FutureCheck check;
  check.reference_ = Reference::kFixed;
  check.now_ = now;
  check.max_future_skew_ = max_future_skew;
  return check;
}

rules::Verdict FutureCheck::Check(const v1::CallEvent& event) const {
  switch (reference_) {
    case Reference::kNone:
      return rules::Verdict::Accept();
    case Reference::kWallClock:
      return rules::CheckFuture(rules::FromProto(event.occurred_at()),
                                absl::ToUnixNanos(absl::Now()),
                                max_future_skew_, "the wall clock");
    case Reference::kFixed:
      return rules::CheckFuture(rules::FromProto(event.occurred_at()), now_,
                                max_future_skew_, "--now");
  }
  return rules::Verdict::Accept();
}

}  // namespace callflow::ingest
