#include "processor/sim/traffic_simulator.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "processor/sim/callback_predictor.h"
#include "processor/sim/internal/simulated_lines.h"

namespace callflow::sim {
namespace {

using rules::kDay;
using rules::kHour;
using rules::kMinute;
using rules::kSecond;
using v1::Answered;
using v1::CallEnded;
using v1::CallEvent;
using v1::Disposition;

constexpr TimeNs kNever = std::numeric_limits<TimeNs>::max();
constexpr double kWrapUpMeanSeconds = 35;
constexpr double kAlarmPerCall = 0.0012;

constexpr const char* kAnonymous[] = {"anonymous", "", "unknown", "Anonymous",
                                      "restricted"};
constexpr const char* kNames[] = {
    "Иван Петров",    "Мария Иванова",   "Алексей Смирнов", "Ольга Кузнецова",
    "Дмитрий Попов",  "Елена Соколова",  "Сергей Лебедев",  "Анна Козлова",
    "Андрей Новиков", "Наталья Морозова"};
constexpr const char* kDomains[] = {"mail.ru", "yandex.ru", "gmail.com",
                                    "example.com", "inbox.ru"};
constexpr const char* kEventTitles[] = {
    "Семинар для клиентов", "Визит инженера", "Доставка оборудования",
    "Презентация продукта", "Подписание договора"};
constexpr const char* kZones[] = {"floor-1",     "floor-2",   "floor-3",
                                  "server-room", "warehouse", "parking"};

TimeNs Seconds(double s) {
  return static_cast<TimeNs>(std::llround(s * 1000)) * (kSecond / 1000);
}

}  // namespace

struct TrafficSimulator::LineState {
  std::vector<TimeNs> agent_free;  // when each agent is next available
};

struct TrafficSimulator::CallerState {
  bool seen = false;
  bool contact_sent = false;
  std::vector<std::string> open_cases;
};

std::vector<std::string> TrafficSimulator::LineNames() {
  std::vector<std::string> names;
  for (const LineProfile& p : kLines) names.emplace_back(p.name);
  return names;
}

TrafficSimulator::TrafficSimulator(const SimulatorOptions& options)
    : options_(options),
      rng_(options.seed),
      pool_(options.seed, std::max<size_t>(options.caller_pool, 1),
            options.zipf_exponent, options.zipf_offset),
      dialer_([&] {
        DialerOptions d = options.dialer;
        d.seed = HashKey(options.seed, "dialer");
        return d;
      }()),
      lines_(kLineCount),
      callers_(pool_.size()),
      arrival_cursor_(options.start),
      now_(options.start) {
  if (options_.predict_callbacks) {
    predictor_ = std::make_unique<CallbackPredictor>("RU", 3, &dialer_);
  }
  ScheduleNextArrival();
}

TrafficSimulator::~TrafficSimulator() = default;

double TrafficSimulator::LineRatePerHour(size_t line, TimeNs t) const {
  const LineProfile& p = kLines[line];
  const MoscowTime lt = ToMoscowTime(t);
  if (p.name == std::string_view(kDidLine)) {
    // The DID's trunk goes down for one business hour on about a third of
    // the days (LINE_SILENT for a line with max_silence).
    Rng day(HashKey(options_.seed, absl::StrCat("outage/", lt.day)));
    if (day.Bernoulli(0.35) && lt.hour == day.UniformInt(10, 16)) return 0;
  }
  return BaseRate(p, lt, options_.traffic_scale);
}

int TrafficSimulator::AgentsOnDuty(size_t line, TimeNs t) const {
  const LineProfile& p = kLines[line];
  const MoscowTime lt = ToMoscowTime(t);
  if (!IsOpen(p, lt)) return 0;
  const double load = BaseRate(p, lt, options_.traffic_scale) *
                      (p.talk_mean_seconds + kWrapUpMeanSeconds) / 3600;
  // Planned at 10 % over the load, short-handed at the 10:00 rush and lunch.
  const bool short_handed = lt.weekday < 5 && (lt.hour == 10 || lt.hour == 13);
  const int minimum = p.flat_floor > 0 ? 2 : 1;
  return std::max(
      minimum, static_cast<int>(std::ceil(load * (short_handed ? 0.85 : 1.1))));
}

void TrafficSimulator::ScheduleNextArrival() {
  if (options_.max_calls != 0 && stats_.calls >= options_.max_calls) {
    next_arrival_ = kNever;
    return;
  }
  TimeNs t = arrival_cursor_;
  while (true) {
    double per_hour = 0;
    for (size_t i = 0; i < kLineCount; ++i) per_hour += LineRatePerHour(i, t);
    const TimeNs hour_end = NextMoscowHour(t);
    if (per_hour > 0) {
      // Exponential gaps; memoryless, so restarting at the hour is exact.
      const TimeNs gap = Seconds(rng_.Exponential(3600 / per_hour));
      if (t + gap < hour_end) {
        next_arrival_ = arrival_cursor_ = t + gap;
        return;
      }
    }
    t = hour_end;
  }
}

CallEvent& TrafficSimulator::Push(TimeNs at, const std::string& call_id,
                                  const std::string& caller,
                                  const std::string& line,
                                  CallEvent::Direction direction) {
  Pending p{at, seq_++, CallEvent(), false};
  p.event.set_call_id(call_id);
  p.event.set_caller(caller);
  p.event.set_line(line);
  p.event.set_direction(direction);
  rules::ToProto(at, p.event.mutable_occurred_at());
  // Joins the heap in Next(), once the caller has filled in the body; the
  // reference is valid until the next Push().
  heap_.push_back(std::move(p));
  return heap_.back().event;
}

std::string TrafficSimulator::NewCallId() {
  return absl::StrCat("c", options_.seed, "-", ++call_counter_);
}

std::string TrafficSimulator::NewCaseId() {
  return absl::StrCat("case-", options_.seed, "-", ++case_counter_);
}

void TrafficSimulator::GenerateCall(TimeNs t0) {
  ++stats_.calls;
  double rates[kLineCount];
  for (size_t i = 0; i < kLineCount; ++i) rates[i] = LineRatePerHour(i, t0);
  const size_t line = rng_.Pick(rates);
  const LineProfile& p = kLines[line];
  const std::string line_name = p.name;

  if (rng_.Bernoulli(kAlarmPerCall)) GenerateAlarm(t0);

  std::optional<size_t> who;
  std::string caller;
  if (rng_.Bernoulli(options_.anonymous_share)) {
    caller = kAnonymous[rng_.UniformInt(0, std::size(kAnonymous) - 1)];
  } else {
    who = pool_.Pick(rng_);
    caller = pool_.Format(*who, rng_);
    CallerState& cs = callers_[*who];
    if (!cs.seen) {
      cs.seen = true;
      // A CRM import knows a share of new callers before they first call.
      if (rng_.Bernoulli(0.2)) EmitContact(line, *who, "", caller, t0);
    }
  }

  const std::string call_id = NewCallId();
  auto emit = [&](TimeNs at) -> CallEvent& {
    return Push(at, call_id, caller, line_name, CallEvent::INBOUND);
  };
  auto end = [&](TimeNs at, CallEnded::EndReason reason, uint32_t talk) {
    CallEnded* e = emit(at).mutable_ended();
    e->set_reason(reason);
    e->set_talk_seconds(talk);
  };

  emit(t0).mutable_started()->set_via_access_number(p.access_number);
  if (rng_.Bernoulli(0.004)) {
    end(t0 + Seconds(rng_.Uniform(0.5, 3)), CallEnded::FAILED, 0);
    return;
  }
  const int agents = AgentsOnDuty(line, t0);
  LineState& ls = lines_[line];
  if (ls.agent_free.size() < static_cast<size_t>(agents)) {
    ls.agent_free.resize(agents, 0);
  }
  auto earliest =
      std::min_element(ls.agent_free.begin(), ls.agent_free.begin() + agents);
  if (agents > 0 && *earliest - t0 > 180 * kSecond && rng_.Bernoulli(0.5)) {
    end(t0 + Seconds(rng_.Uniform(1, 3)), CallEnded::BUSY, 0);  // trunk full
    return;
  }

  TimeNs t = t0;
  std::string queue = p.queue;
  if (p.departments.size() > 0) {
    t += Seconds(rng_.Uniform(8, 25));
    queue = p.departments.begin()[rng_.UniformInt(0, p.departments.size() - 1)];
    emit(t).mutable_ivr()->set_department(queue);
    if (rng_.Bernoulli(0.03)) {  // hung up in the voice menu
      end(t + Seconds(rng_.Uniform(1, 5)), CallEnded::ABANDONED, 0);
      return;
    }
  }
  if (agents == 0) {  // closed: the out-of-hours message plays, nobody answers
    end(t + Seconds(rng_.Uniform(15, 30)), CallEnded::NO_ANSWER, 0);
    return;
  }

  const TimeNs queued_at = t + kSecond;
  emit(queued_at).mutable_queued()->set_queue(queue);
  const TimeNs free_at = std::max(queued_at, *earliest);
  const double wait = static_cast<double>(free_at - queued_at) / kSecond;
  const double patience = rng_.Exponential(p.patience_mean_seconds *
                                           (rng_.Bernoulli(0.25) ? 3 : 1));
  const double limit = std::min(patience, p.queue_timeout_seconds);
  if (wait > limit) {
    end(queued_at + Seconds(limit),
        patience < p.queue_timeout_seconds ? CallEnded::ABANDONED
                                           : CallEnded::TIMEOUT,
        0);
    return;
  }
  if (rng_.Bernoulli(0.015)) {  // the agent's phone rang out
    end(free_at + Seconds(rng_.Uniform(15, 25)), CallEnded::NO_ANSWER, 0);
    return;
  }

  const size_t agent_index = earliest - ls.agent_free.begin();
  const std::string agent =
      absl::StrFormat("%s-%02d", line_name, agent_index + 1);
  Answered* a = emit(free_at).mutable_answered();
  a->set_agent_id(agent);
  a->set_queue(queue);
  a->set_wait_seconds(static_cast<uint32_t>(wait));
  const uint32_t talk =
      rng_.Bernoulli(0.02)
          ? static_cast<uint32_t>(rng_.UniformInt(0, 2))  // dropped at once
          : static_cast<uint32_t>(
                rng_.Erlang(p.talk_shape, p.talk_mean_seconds) + 5);
  const TimeNs ended_at =
      free_at + talk * kSecond + Seconds(rng_.Uniform(0, 1));
  *earliest = ended_at + Seconds(rng_.Exponential(kWrapUpMeanSeconds));
  end(ended_at, CallEnded::COMPLETED, talk);
  if (talk >= 3) AfterAnsweredCall(line, who, call_id, caller, agent, ended_at);
}

Disposition::Outcome TrafficSimulator::PickOutcome(size_t line,
                                                   std::optional<size_t> who,
                                                   std::string* case_id) {
  if (!who) {  // no caller to attach a case to
    return rng_.Bernoulli(0.85) ? Disposition::CONSULTED : Disposition::REFUSED;
  }
  std::vector<std::string>& cases = callers_[*who].open_cases;
  const bool has_case = !cases.empty();
  auto open_new = [&] {
    *case_id = NewCaseId();
    if (cases.size() >= 3) cases.erase(cases.begin());
    cases.push_back(*case_id);
  };
  auto take_open = [&] {
    if (has_case) {
      *case_id = cases.back();
      cases.pop_back();
    } else {
      *case_id = NewCaseId();
    }
  };
  if (kLines[line].sales) {
    switch (rng_.Pick(std::initializer_list<double>{0.21, 0.12, 0.25, 0.42})) {
      case 0:
        take_open();  // one contract per case
        return Disposition::CONTRACT_SIGNED;
      case 1:
        take_open();
        return Disposition::REFUSED;
      case 2:
        if (has_case) {
          *case_id = cases.back();
        } else {
          open_new();
        }
        return Disposition::QUOTE_REQUESTED;
      default:
        break;
    }
  } else if (has_case) {
    switch (rng_.Pick(std::initializer_list<double>{0.45, 0.40, 0.15})) {
      case 0:
        *case_id = cases.back();
        return Disposition::CONSULTED;
      case 1:
        take_open();
        return Disposition::CASE_RESOLVED;
      default:
        open_new();
        return Disposition::NEW_CASE;
    }
  } else if (rng_.Bernoulli(0.35)) {
    return Disposition::CONSULTED;
  }
  if (has_case) {
    *case_id = cases.back();
    return Disposition::CONSULTED;
  }
  open_new();
  return Disposition::NEW_CASE;
}

void TrafficSimulator::AfterAnsweredCall(size_t line, std::optional<size_t> who,
                                         const std::string& call_id,
                                         const std::string& caller_text,
                                         const std::string& agent, TimeNs end) {
  const TimeNs at = end + Seconds(rng_.Uniform(5, 90));
  std::string case_id;
  const Disposition::Outcome outcome = PickOutcome(line, who, &case_id);
  Disposition* d =
      Push(at, call_id, caller_text, kLines[line].name, CallEvent::INBOUND)
          .mutable_disposition();
  d->set_outcome(outcome);
  d->set_case_id(case_id);
  if (!who) return;
  CallerState& cs = callers_[*who];
  if (rng_.Bernoulli(cs.contact_sent ? 0.03 : 0.3)) {
    EmitContact(line, *who, call_id, caller_text, at + kSecond);
  }
  if (rng_.Bernoulli(0.07) &&
      kLines[line].name != std::string_view("hotline")) {
    ScheduleCustomerEvent(line, *who, at + Seconds(rng_.Uniform(30, 300)));
  }
  if (outcome == Disposition::QUOTE_REQUESTED && rng_.Bernoulli(0.5)) {
    ScheduleQuoteFollowUp(line, *who, agent, case_id,
                          at + Seconds(rng_.Uniform(3600, 26 * 3600)));
  }
}

void TrafficSimulator::EmitContact(size_t line, size_t who,
                                   const std::string& call_id,
                                   const std::string& caller_text, TimeNs at) {
  callers_[who].contact_sent = true;
  v1::ContactUpdated* c =
      Push(at, call_id, caller_text, kLines[line].name,
           call_id.empty() ? CallEvent::DIRECTION_UNSPECIFIED
                           : CallEvent::INBOUND)
          .mutable_contact();
  c->set_name(kNames[rng_.UniformInt(0, std::size(kNames) - 1)]);
  if (rng_.Bernoulli(0.75)) {
    c->set_email(
        absl::StrCat("client", who + 1, "@",
                     kDomains[rng_.UniformInt(0, std::size(kDomains) - 1)]));
  }
  if (rng_.Bernoulli(0.5))
    c->set_crm_contact_id(absl::StrCat("crm-", who + 100001));
}

void TrafficSimulator::ScheduleCustomerEvent(size_t line, size_t who,
                                             TimeNs at) {
  const std::string id =
      absl::StrCat("ce-", options_.seed, "-", ++customer_event_counter_);
  const std::string title =
      kEventTitles[rng_.UniformInt(0, std::size(kEventTitles) - 1)];
  const std::string caller = pool_.Format(who, rng_);
  auto on_day = [&](TimeNs base, int64_t days) {
    // 10:00-17:30 Moscow, on the half hour.
    const int64_t day = ToMoscowTime(base).day + days;
    return day * kDay - kMoscowOffset + 10 * kHour +
           rng_.UniformInt(0, 15) * 30 * kMinute;
  };
  auto emit = [&](TimeNs when, TimeNs starts, bool cancelled,
                  CallEvent::Direction direction) {
    v1::CustomerEventScheduled* ce =
        Push(when, "", caller, kLines[line].name, direction)
            .mutable_customer_event();
    ce->set_customer_event_id(id);
    rules::ToProto(starts, ce->mutable_starts_at());
    ce->set_title(title);
    ce->set_cancelled(cancelled);
  };
  const TimeNs starts = on_day(at, rng_.UniformInt(2, 9));
  emit(at, starts, false, CallEvent::INBOUND);
  const double change = rng_.Uniform();
  const TimeNs window = starts - 12 * kHour - (at + kHour);
  if (change >= 0.25 || window <= 0) return;
  const TimeNs when =
      at + kHour + Seconds(rng_.Uniform(0, 1) * window / kSecond);
  if (change < 0.15) {  // moved to a later day
    emit(when, on_day(starts, rng_.UniformInt(1, 5)), false,
         CallEvent::DIRECTION_UNSPECIFIED);
  } else {
    emit(when, starts, true, CallEvent::DIRECTION_UNSPECIFIED);
  }
}

void TrafficSimulator::ScheduleQuoteFollowUp(size_t line, size_t who,
                                             const std::string& agent,
                                             const std::string& case_id,
                                             TimeNs at) {
  ++stats_.outbound_legs;
  const std::string call_id = NewCallId();
  const std::string caller = pool_.Format(who, rng_);
  const std::string line_name = kLines[line].name;
  auto emit = [&](TimeNs when) -> CallEvent& {
    return Push(when, call_id, caller, line_name, CallEvent::OUTBOUND);
  };
  emit(at).mutable_started();
  if (!rng_.Bernoulli(0.65)) {
    CallEnded* e = emit(at + Seconds(rng_.Uniform(30, 45))).mutable_ended();
    e->set_reason(CallEnded::NO_ANSWER);
    return;
  }
  const TimeNs answered_at = at + Seconds(rng_.Uniform(5, 20));
  Answered* a = emit(answered_at).mutable_answered();
  a->set_agent_id(agent);
  a->set_queue("outbound");
  const uint32_t talk = static_cast<uint32_t>(rng_.Erlang(2, 200) + 10);
  const TimeNs end = answered_at + talk * kSecond;
  CallEnded* e = emit(end).mutable_ended();
  e->set_reason(CallEnded::COMPLETED);
  e->set_talk_seconds(talk);
  Disposition* d =
      emit(end + Seconds(rng_.Uniform(5, 60))).mutable_disposition();
  d->set_outcome(rng_.Bernoulli(0.75) ? Disposition::CONSULTED
                                      : Disposition::REFUSED);
  d->set_case_id(case_id);
}

void TrafficSimulator::GenerateAlarm(TimeNs t) {
  v1::Alarm* a =
      Push(t, absl::StrCat("alarm-", options_.seed, "-", ++alarm_counter_), "",
           "", CallEvent::DIRECTION_UNSPECIFIED)
          .mutable_alarm();
  a->set_zone(kZones[rng_.UniformInt(0, std::size(kZones) - 1)]);
  switch (rng_.Pick(std::initializer_list<double>{0.2, 0.5, 0.3})) {
    case 0:
      a->set_kind(v1::Alarm::FIRE);
      a->set_message("Сработал датчик дыма");
      break;
    case 1:
      a->set_kind(v1::Alarm::INTRUSION);
      a->set_message("Открыта дверь в нерабочее время");
      break;
    default:
      a->set_kind(v1::Alarm::OTHER);
      a->set_message("Отказ питания щита");
      break;
  }
}

void TrafficSimulator::PlayAttempt(const DialAttempt& attempt) {
  ++stats_.dial_attempts;
  ++stats_.outbound_legs;
  const std::string call_id = NewCallId();
  auto emit = [&](TimeNs when) -> CallEvent& {
    return Push(when, call_id, attempt.caller, attempt.line,
                CallEvent::OUTBOUND);
  };
  emit(attempt.at).mutable_started();
  TimeNs end = attempt.at + attempt.ring_seconds * kSecond;
  CallEnded::EndReason reason = CallEnded::FAILED;
  switch (attempt.result) {
    case v1::CallbackAttempt::REACHED: {
      Answered* a = emit(end).mutable_answered();
      a->set_agent_id(absl::StrCat(attempt.line, "-dialer"));
      a->set_queue("callback");
      end += attempt.talk_seconds * kSecond;
      reason = CallEnded::COMPLETED;
      break;
    }
    case v1::CallbackAttempt::NO_ANSWER:
      reason = CallEnded::NO_ANSWER;
      break;
    case v1::CallbackAttempt::BUSY:
      reason = CallEnded::BUSY;
      break;
    default:
      break;
  }
  CallEnded* e = emit(end).mutable_ended();
  e->set_reason(reason);
  e->set_talk_seconds(attempt.talk_seconds);
  v1::CallbackAttempt* cb = emit(end + kSecond).mutable_callback_attempt();
  cb->set_task_id(attempt.task_id);
  cb->set_result(attempt.result);
}

void TrafficSimulator::OnTask(const v1::Task& task) {
  dialer_.OnTask(task, now_);
}

bool TrafficSimulator::Next(CallEvent* event) {
  while (true) {
    for (; heaped_ < heap_.size(); ++heaped_) {
      std::push_heap(heap_.begin(), heap_.begin() + heaped_ + 1, Later());
    }
    const TimeNs queued = heap_.empty() ? kNever : heap_.front().at;
    const TimeNs dial = dialer_.NextAt().value_or(kNever);
    if (next_arrival_ <= queued && next_arrival_ <= dial) {
      if (next_arrival_ == kNever) return false;
      GenerateCall(next_arrival_);
      ScheduleNextArrival();
      continue;
    }
    if (dial < queued) {
      DialAttempt attempt;
      dialer_.PopDue(dial, &attempt);
      PlayAttempt(attempt);
      continue;
    }
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    Pending top = std::move(heap_.back());
    heap_.pop_back();
    --heaped_;
    now_ = top.at;
    ++stats_.events;
    if (top.duplicate) {
      ++stats_.duplicates;
    } else {
      top.event.set_event_id(
          absl::StrCat("s", options_.seed, "-", stats_.events));
      if (predictor_) predictor_->Observe(top.event);
      if (rng_.Bernoulli(options_.duplicate_rate)) {
        // A connector re-sends the event a moment later (same event_id).
        heap_.push_back(Pending{top.at, seq_++, top.event, true});
      }
    }
    *event = std::move(top.event);
    return true;
  }
}

}  // namespace callflow::sim
