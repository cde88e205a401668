#include "processor/rules/validation.h"

#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "processor/rules/state_limits.h"
#include "processor/rules/time.h"

namespace callflow::rules {
namespace {

using v1::CallEvent;

// Event times outside [2000-01-01, 2100-01-01) are never genuine.
constexpr int64_t kMinSeconds = 946684800;
constexpr int64_t kMaxSeconds = 4102444800;

Verdict Missing(std::string what) {
  return Verdict::Reject(v1::DeadLetter::MISSING_FIELD, std::move(what));
}

template <typename IsValid>
Verdict CheckEnum(int value, IsValid is_valid, const char* field,
                  bool zero_allowed) {
  if (!is_valid(value)) {
    return Verdict::Reject(
        v1::DeadLetter::UNKNOWN_ENUM,
        absl::StrCat("unknown enum value ", value, " in ", field));
  }
  if (value == 0 && !zero_allowed) {
    return Missing(absl::StrCat("missing ", field));
  }
  return Verdict::Accept();
}

// A time in [2000, 2100) with valid nanos: one the engine's int64
// nanoseconds hold, and that no genuine event or appointment is outside of.
bool InRange(const google::protobuf::Timestamp& ts) {
  return ts.seconds() >= kMinSeconds && ts.seconds() < kMaxSeconds &&
         ts.nanos() >= 0 && ts.nanos() < 1000000000;
}

Verdict OutOfRange(const char* field, const google::protobuf::Timestamp& ts) {
  const bool bad_nanos = ts.nanos() < 0 || ts.nanos() >= 1000000000;
  return Verdict::Reject(
      v1::DeadLetter::OUT_OF_RANGE,
      // About the year, not the seconds: a field shifted by a connector may
      // hold a phone number (the message is logged).
      absl::StrCat(field, " out of range (about year ",
                   1970 + ts.seconds() / 31556952,
                   bad_nanos ? ", invalid nanos)" : ")"));
}

Verdict ValidateBody(const CallEvent& e) {
  switch (e.body_case()) {
    case CallEvent::kEnded:
      return CheckEnum(e.ended().reason(), v1::CallEnded::EndReason_IsValid,
                       "ended.reason", false);
    case CallEvent::kCallbackAttempt:
      if (e.callback_attempt().task_id().empty()) {
        return Missing("missing callback_attempt.task_id");
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
        return Missing("missing customer_event.customer_event_id");
      }
      if (!ce.cancelled() && !ce.has_starts_at()) {
        return Missing("missing customer_event.starts_at");
      }
      if (ce.has_starts_at() && !InRange(ce.starts_at())) {
        return OutOfRange("customer_event.starts_at", ce.starts_at());
      }
      return Verdict::Accept();
    }
    case CallEvent::kAlarm:
      return CheckEnum(e.alarm().kind(), v1::Alarm::AlarmKind_IsValid,
                       "alarm.kind", true);
    default:
      return Verdict::Accept();
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

Verdict CheckFuture(TimeNs occurred_at, TimeNs reference,
                    DurationNs max_future_skew,
                    absl::string_view reference_name) {
  if (reference == 0 || occurred_at <= reference + max_future_skew) {
    return Verdict::Accept();
  }
  return Verdict::Reject(
      v1::DeadLetter::FUTURE,
      absl::StrCat("occurred_at ", FormatTime(occurred_at), " is more than ",
                   FormatDuration(max_future_skew), " ahead of ",
                   reference_name, " ", FormatTime(reference),
                   " (max_future_skew): the sender's clock is wrong"));
}

Verdict ValidateEvent(const CallEvent& e, const v1::PartitionState& partition,
                      const EngineOptions& options, TimeNs reference,
                      absl::string_view reference_name, TimeNs vouch) {
  if (e.event_id().empty()) return Missing("missing event_id");
  if (!e.has_occurred_at()) return Missing("missing occurred_at");
  if (e.body_case() == CallEvent::BODY_NOT_SET) {
    return Missing("missing body (e.g. started, ended)");
  }
  if (Verdict length = CheckFieldLengths(e); !length.ok()) return length;
  const auto& ts = e.occurred_at();
  if (!InRange(ts)) return OutOfRange("occurred_at", ts);
  const TimeNs t = FromProto(ts);
  // Before the watermark check: a clock far ahead must not pass as skew
  // (nor, as the partition's first event, set an absurd watermark).
  if (Verdict future =
          CheckFuture(t, reference, options.max_future_skew, reference_name);
      !future.ok()) {
    return future;
  }
  if (partition.max_event_time() != 0) {
    const TimeNs wm = partition.watermark();
    // Far ahead of the watermark, an event is still taken when a clock the
    // sender does not control vouches for it (`vouch`, see the header): then
    // the watermark is what is wrong, e.g. set by a first event from a PBX
    // whose clock had reset to 2000.
    const bool vouched = vouch != 0 && t >= vouch - options.max_event_skew &&
                         t <= vouch + options.max_future_skew;
    if ((t > wm + options.max_event_skew && !vouched) ||
        t < wm - options.max_event_skew) {
      return Verdict::Reject(
          v1::DeadLetter::TIMESTAMP_SKEW,
          absl::StrCat("occurred_at ", FormatTime(t), " is more than ",
                       FormatDuration(options.max_event_skew),
                       " from the watermark ", FormatTime(wm)));
    }
  }
  Verdict direction = CheckEnum(e.direction(), CallEvent::Direction_IsValid,
                                "direction", !IsLegEvent(e));
  if (!direction.ok()) return direction;
  if (IsLegEvent(e) && e.call_id().empty()) return Missing("missing call_id");
  return ValidateBody(e);
}

Verdict UnknownEnumVerdict(const CallEvent& event, absl::string_view fields) {
  // No watermark, no reference: only the options' defaults could matter.
  Verdict v = ValidateEvent(event, v1::PartitionState(), EngineOptions());
  if (!v.ok() && v.reason() != v1::DeadLetter::UNKNOWN_ENUM) return v;
  return Verdict::Reject(v1::DeadLetter::UNKNOWN_ENUM,
                         absl::StrCat("unknown enum name in ", fields));
}

}  // namespace callflow::rules
