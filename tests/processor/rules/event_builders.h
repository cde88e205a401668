// Builders of the v1::CallEvent inputs the engine tests feed in, field by
// field instead of concatenated JSON:
//
//   h.Apply(Leg("s1", "2024-05-01T10:00:00Z", "c1", kCaller).Started());
//   h.Apply(Leg("b3", at, "c1", kCaller).Outbound().Ended(CallEnded::COMPLETED,
//                                                         61));
//   h.Apply(CallEventBuilder().Id("d1").At(at).Caller(kCaller).Line("sales")
//               .Disposition(Disposition::NEW_CASE, "case-1"));
//
// The envelope setters (Id, At, CallId, ...) may come in any order and any
// may be left out (the dead-letter tests build incomplete events); the body
// comes last and returns the finished event, as the body is a oneof.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "callflow/v1/events.pb.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace callflow::rules::testing {

// Builds one v1::CallEvent: envelope setters, then a body (see above).
// A plain value; thread-compatible.
class CallEventBuilder {
 public:
  CallEventBuilder& Id(std::string_view event_id) {
    event_.set_event_id(std::string(event_id));
    return *this;
  }
  // `rfc3339` as in the JSON input ("2024-05-01T10:00:00Z"), parsed the way
  // the JSON decoder parses a Timestamp (years past TimeNs's 2262 too).
  CallEventBuilder& At(std::string_view rfc3339) {
    SetTimestamp(rfc3339, event_.mutable_occurred_at());
    return *this;
  }
  CallEventBuilder& CallId(std::string_view call_id) {
    event_.set_call_id(std::string(call_id));
    return *this;
  }
  CallEventBuilder& Caller(std::string_view caller) {
    event_.set_caller(std::string(caller));
    return *this;
  }
  CallEventBuilder& Line(std::string_view line) {
    event_.set_line(std::string(line));
    return *this;
  }
  CallEventBuilder& Direction(v1::CallEvent::Direction direction) {
    event_.set_direction(direction);
    return *this;
  }
  CallEventBuilder& Inbound() { return Direction(v1::CallEvent::INBOUND); }
  CallEventBuilder& Outbound() { return Direction(v1::CallEvent::OUTBOUND); }

  // The body; each returns the finished event.
  v1::CallEvent Started(bool via_access_number = false) const {
    v1::CallEvent e = event_;
    e.mutable_started()->set_via_access_number(via_access_number);
    return e;
  }
  v1::CallEvent Answered(std::string_view agent_id = "",
                         uint32_t wait_seconds = 0) const {
    v1::CallEvent e = event_;
    e.mutable_answered()->set_agent_id(std::string(agent_id));
    e.mutable_answered()->set_wait_seconds(wait_seconds);
    return e;
  }
  v1::CallEvent Ended(v1::CallEnded::EndReason reason,
                      uint32_t talk_seconds = 0) const {
    v1::CallEvent e = event_;
    e.mutable_ended()->set_reason(reason);
    e.mutable_ended()->set_talk_seconds(talk_seconds);
    return e;
  }
  v1::CallEvent CallbackAttempt(
      std::string_view task_id,
      v1::CallbackAttempt::AttemptResult result) const {
    v1::CallEvent e = event_;
    e.mutable_callback_attempt()->set_task_id(std::string(task_id));
    e.mutable_callback_attempt()->set_result(result);
    return e;
  }
  v1::CallEvent Disposition(v1::Disposition::Outcome outcome,
                            std::string_view case_id) const {
    v1::CallEvent e = event_;
    e.mutable_disposition()->set_outcome(outcome);
    e.mutable_disposition()->set_case_id(std::string(case_id));
    return e;
  }
  v1::CallEvent Contact(std::string_view email,
                        std::string_view crm_contact_id = "") const {
    v1::CallEvent e = event_;
    e.mutable_contact()->set_email(std::string(email));
    e.mutable_contact()->set_crm_contact_id(std::string(crm_contact_id));
    return e;
  }
  // A customer event starting at `starts_at` (RFC 3339, as At()).
  v1::CallEvent CustomerEvent(std::string_view customer_event_id,
                              std::string_view starts_at,
                              std::string_view title = "",
                              bool cancelled = false) const {
    v1::CallEvent e = event_;
    v1::CustomerEventScheduled* c = e.mutable_customer_event();
    c->set_customer_event_id(std::string(customer_event_id));
    SetTimestamp(starts_at, c->mutable_starts_at());
    c->set_title(std::string(title));
    c->set_cancelled(cancelled);
    return e;
  }
  v1::CallEvent Alarm(std::string_view zone, v1::Alarm::AlarmKind kind,
                      std::string_view message = "") const {
    v1::CallEvent e = event_;
    e.mutable_alarm()->set_zone(std::string(zone));
    e.mutable_alarm()->set_kind(kind);
    e.mutable_alarm()->set_message(std::string(message));
    return e;
  }
  // The event without a body (an invalid one).
  v1::CallEvent WithoutBody() const { return event_; }

 private:
  static void SetTimestamp(std::string_view rfc3339,
                           google::protobuf::Timestamp* out) {
    EXPECT_TRUE(
        google::protobuf::util::TimeUtil::FromString(std::string(rfc3339), out))
        << "not an RFC 3339 time: " << rfc3339;
  }

  v1::CallEvent event_;
};

// A leg of call `call_id` from `caller`: inbound, on line "sales" (change
// either with Outbound() / Line()).
inline CallEventBuilder Leg(std::string_view event_id, std::string_view at,
                            std::string_view call_id, std::string_view caller) {
  CallEventBuilder leg;
  leg.Id(event_id)
      .At(at)
      .CallId(call_id)
      .Caller(caller)
      .Line("sales")
      .Inbound();
  return leg;
}

}  // namespace callflow::rules::testing
