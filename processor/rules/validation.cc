#include "processor/rules/validation.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "processor/rules/time.h"

namespace callflow::rules {
namespace {

using v1::CallEvent;

// Event times outside [2000-01-01, 2100-01-01) are never genuine.
constexpr int64_t kMinSeconds = 946684800;
constexpr int64_t kMaxSeconds = 4102444800;

template <typename IsValid>
absl::Status CheckEnum(int value, IsValid is_valid, const char* field,
                       bool zero_allowed) {
  if (!is_valid(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown enum value ", value, " in ", field));
  }
  if (value == 0 && !zero_allowed) {
    return absl::InvalidArgumentError(absl::StrCat("missing ", field));
  }
  return absl::OkStatus();
}

absl::Status ValidateBody(const CallEvent& e) {
  switch (e.body_case()) {
    case CallEvent::kEnded:
      return CheckEnum(e.ended().reason(), v1::CallEnded::EndReason_IsValid,
                       "ended.reason", false);
    case CallEvent::kCallbackAttempt:
      if (e.callback_attempt().task_id().empty()) {
        return absl::InvalidArgumentError("missing callback_attempt.task_id");
      }
      return CheckEnum(e.callback_attempt().result(),
                       v1::CallbackAttempt::AttemptResult_IsValid,
                       "callback_attempt.result", false);
    case CallEvent::kDisposition:
      return CheckEnum(e.disposition().outcome(),
                       v1::Disposition::Outcome_IsValid, "disposition.outcome",
                       false);
    case CallEvent::kCustomerEvent: {
      const auto& ce = e.customer_event();
      if (ce.customer_event_id().empty()) {
        return absl::InvalidArgumentError(
            "missing customer_event.customer_event_id");
      }
      if (!ce.cancelled() && !ce.has_starts_at()) {
        return absl::InvalidArgumentError("missing customer_event.starts_at");
      }
      return absl::OkStatus();
    }
    case CallEvent::kAlarm:
      return CheckEnum(e.alarm().kind(), v1::Alarm::AlarmKind_IsValid,
                       "alarm.kind", true);
    default:
      return absl::OkStatus();
  }
}

}  // namespace

bool IsLegEvent(const CallEvent& e) {
  switch (e.body_case()) {
    case CallEvent::kStarted:
    case CallEvent::kIvr:
    case CallEvent::kQueued:
    case CallEvent::kAnswered:
    case CallEvent::kEnded:
      return true;
    default:
      return false;
  }
}

absl::Status ValidateEvent(const CallEvent& e,
                           const v1::PartitionState& partition,
                           const EngineOptions& options) {
  if (e.event_id().empty())
    return absl::InvalidArgumentError("missing event_id");
  if (!e.has_occurred_at()) {
    return absl::InvalidArgumentError("missing occurred_at");
  }
  if (e.body_case() == CallEvent::BODY_NOT_SET) {
    return absl::InvalidArgumentError("missing body (e.g. started, ended)");
  }
  const auto& ts = e.occurred_at();
  if (ts.seconds() < kMinSeconds || ts.seconds() >= kMaxSeconds ||
      ts.nanos() < 0 || ts.nanos() >= 1000000000) {
    return absl::InvalidArgumentError(
        absl::StrCat("occurred_at out of range (", ts.seconds(), "s)"));
  }
  if (partition.max_event_time() != 0) {
    TimeNs t = FromProto(ts);
    TimeNs wm = partition.watermark();
    if (t > wm + options.max_event_skew || t < wm - options.max_event_skew) {
      return absl::InvalidArgumentError(
          absl::StrCat("occurred_at ", FormatTime(t), " is more than ",
                       FormatDuration(options.max_event_skew),
                       " from the watermark ", FormatTime(wm)));
    }
  }
  absl::Status direction = CheckEnum(
      e.direction(), CallEvent::Direction_IsValid, "direction", !IsLegEvent(e));
  if (!direction.ok()) return direction;
  if (IsLegEvent(e) && e.call_id().empty()) {
    return absl::InvalidArgumentError("missing call_id");
  }
  return ValidateBody(e);
}

}  // namespace callflow::rules
