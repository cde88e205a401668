#include "processor/rules/engine.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "processor/rules/callback_policy.h"
#include "processor/rules/customer_events.h"
#include "processor/rules/legs.h"
#include "processor/rules/rule_context.h"
#include "processor/rules/task_builder.h"
#include "processor/rules/validation.h"

namespace callflow::rules {
namespace {

using v1::CallEvent;

constexpr int kMaxSeenPerCaller = 256;
constexpr int kMaxSeenPerPartition = 4096;

// A record's de-duplication window: parallel packed arrays of id hashes and
// event times, oldest first.
struct SeenList {
  google::protobuf::RepeatedField<uint64_t>* ids;
  google::protobuf::RepeatedField<int64_t>* at;

  bool Contains(uint64_t id_hash) const {
    return std::find(ids->begin(), ids->end(), id_hash) != ids->end();
  }
  // Remembers an id, forgetting those older than `cutoff` and the oldest
  // beyond `max_entries`.
  void Remember(uint64_t id_hash, TimeNs t, TimeNs cutoff, int max_entries) {
    int drop = 0;
    while (drop < at->size() &&
           (at->Get(drop) < cutoff || at->size() - drop >= max_entries)) {
      ++drop;
    }
    if (drop > 0) {
      ids->erase(ids->begin(), ids->begin() + drop);
      at->erase(at->begin(), at->begin() + drop);
    }
    ids->Add(id_hash);
    at->Add(t);
  }
};

template <typename Record>
SeenList SeenOf(Record& record) {
  return SeenList{record.mutable_seen_ids(), record.mutable_seen_at()};
}

bool IsAnonymousKey(std::string_view key) {
  return !key.empty() && key.front() == '~';
}

void EmitScreenPop(RuleContext& ctx, const v1::CallerState& caller,
                   const CallEvent& e, TimeNs now) {
  v1::ContactContext& c = ctx.contact;
  c.Clear();
  c.set_call_id(e.call_id());
  c.set_caller(caller.caller());
  c.set_contact_id(ContactIdFor(caller));
  c.set_is_new(caller.first_seen_at() == 0);
  c.set_inbound_calls(caller.inbound_calls());
  c.set_missed_calls(caller.missed_calls());
  if (caller.last_call_at() != 0) {
    ToProto(caller.last_call_at(), c.mutable_last_call_at());
  }
  *c.mutable_open_case_ids() = caller.open_case_ids();
  if (caller.has_callback()) c.set_pending_task_id(caller.callback().task_id());
  c.set_converted(caller.conversions() > 0);
  c.set_email_known(!caller.email().empty());
  c.set_suggested_action(caller.open_case_ids().empty()
                             ? v1::ContactContext::NEW_CASE
                             : v1::ContactContext::CONSULT_EXISTING);
  ToProto(now, c.mutable_occurred_at());
  ctx.sink.EmitContact(c);
}

// Appends `id` to a list of case ids holding at most `max`, forgetting (and
// counting) the oldest when it is full.
void AddBounded(RuleContext& ctx,
                google::protobuf::RepeatedPtrField<std::string>& ids,
                const std::string& id, int max, TrimmedList list,
                std::string_view line, TimeNs now) {
  if (ids.size() >= max) {
    ids.erase(ids.begin());
    ctx.RecordTrim(list, line, now);
  }
  ids.Add()->assign(id);
}

void ApplyDisposition(RuleContext& ctx, v1::CallerState& caller,
                      const v1::Disposition& d, std::string_view event_line,
                      TimeNs now) {
  const std::string& case_id = d.case_id();
  std::string_view line = caller.last_inbound_line().empty()
                              ? event_line
                              : std::string_view(caller.last_inbound_line());
  auto* open = caller.mutable_open_case_ids();
  switch (d.outcome()) {
    case v1::Disposition::NEW_CASE:
      if (!case_id.empty() &&
          std::find(open->begin(), open->end(), case_id) == open->end()) {
        AddBounded(ctx, *open, case_id, kMaxOpenCases, TrimmedList::kOpenCases,
                   line, now);
      }
      break;
    case v1::Disposition::CASE_RESOLVED:
      open->erase(std::remove(open->begin(), open->end(), case_id),
                  open->end());
      break;
    case v1::Disposition::CONTRACT_SIGNED: {
      auto* converted = caller.mutable_converted_case_ids();
      if (!case_id.empty() && std::find(converted->begin(), converted->end(),
                                        case_id) != converted->end()) {
        break;  // one conversion per case
      }
      if (!case_id.empty()) {
        AddBounded(ctx, *converted, case_id, kMaxConvertedCases,
                   TrimmedList::kConvertedCases, line, now);
      }
      caller.set_conversions(caller.conversions() + 1);
      ctx.Record(FactKind::kConversion, line, 1, 0, now);
      break;
    }
    case v1::Disposition::REFUSED:
      caller.set_refusals(caller.refusals() + 1);
      ctx.Record(FactKind::kRefusal, line, 1, 0, now);
      break;
    default:  // CONSULTED, QUOTE_REQUESTED: no state change
      break;
  }
}

void ApplyContact(v1::CallerState& caller, const v1::ContactUpdated& c) {
  if (!c.email().empty()) caller.set_email(c.email());
  if (!c.name().empty()) {
    caller.set_name(c.name());
    CapText(*caller.mutable_name(), kMaxStoredText);
  }
  if (!c.crm_contact_id().empty())
    caller.set_crm_contact_id(c.crm_contact_id());
}

void EmitEmergency(RuleContext& ctx, const CallEvent& e,
                   std::string_view caller, TimeNs now) {
  v1::Alert& a =
      StartAlert(ctx.alert, absl::StrCat("emg:", e.event_id()),
                 v1::Alert::EMERGENCY, v1::Alert::CRITICAL, e.line(), now);
  a.set_caller(std::string(caller));
  a.set_zone(e.alarm().zone());
  a.set_message(e.alarm().message().empty()
                    ? absl::StrCat(v1::Alarm::AlarmKind_Name(e.alarm().kind()),
                                   " alarm in zone ", e.alarm().zone())
                    : e.alarm().message());
  a.set_broadcast(true);
  ctx.sink.EmitAlert(a);
}

}  // namespace

std::string ContactIdFor(const v1::CallerState& caller) {
  if (!caller.crm_contact_id().empty()) return caller.crm_contact_id();
  return absl::StrFormat("c-%016x", StableHash(caller.caller()));
}

Engine::Engine(const EngineOptions& options)
    : options_(options), normalizer_(options.default_region) {}

std::string Engine::KeyFor(const CallEvent& event) {
  const std::string& caller = normalizer_.Normalize(event.caller());
  if (!caller.empty()) return caller;
  return absl::StrCat("~", event.call_id());
}

Verdict Engine::Process(const CallEvent& e, StateView& state, OutputSink& sink,
                        TimeNs reference, absl::string_view reference_name,
                        TimeNs vouch) {
  v1::PartitionState& part = state.MutablePartition();
  if (Verdict v =
          ValidateEvent(e, part, options_, reference, reference_name, vouch);
      !v.ok()) {
    return v;
  }
  const TimeNs now = FromProto(e.occurred_at());
  const std::string key = KeyFor(e);
  const bool anonymous = IsAnonymousKey(key);
  const bool has_record = !anonymous || IsLegEvent(e);
  RuleContext ctx{options_, state, sink, task_, alert_, contact_};

  // R7: de-duplication by event_id, in the record the event belongs to.
  const uint64_t id_hash = StableHash(e.event_id());
  v1::CallerState* record = has_record ? &state.MutableCaller(key) : nullptr;
  if ((record != nullptr ? SeenOf(*record) : SeenOf(part)).Contains(id_hash)) {
    ctx.Record(FactKind::kDuplicate, e.line(), 1, 0, now);
    return Verdict::Accept();
  }
  ctx.Record(FactKind::kApplied, e.line(), 1, 0, now);
  if (anonymous && !e.has_alarm()) {
    ctx.Record(FactKind::kAnonymous, e.line(), 1, 0, now);
  }

  // R7: the watermark moves first; what fell due strictly before this event
  // fires before it is applied.
  part.set_max_event_time(std::max(part.max_event_time(), now));
  const TimeNs watermark = std::max(
      part.watermark(), part.max_event_time() - options_.allowed_lateness);
  part.set_watermark(watermark);
  if (part.first_watermark() == 0) part.set_first_watermark(watermark);
  // A fired timer may have erased or moved the record: look it up again.
  if (FireTimers(ctx, std::min(watermark, now - 1)) > 0 && has_record) {
    record = &state.MutableCaller(key);
  }

  const TimeNs cutoff = watermark - options_.dedup_window;
  if (!has_record) {
    SeenOf(part).Remember(id_hash, now, cutoff, kMaxSeenPerPartition);
    if (e.has_alarm()) EmitEmergency(ctx, e, "", now);
    FireDue(ctx, watermark);
    return Verdict::Accept();
  }
  SeenOf(*record).Remember(id_hash, now, cutoff, kMaxSeenPerCaller);
  if (!anonymous && record->caller().empty()) record->set_caller(key);
  ApplyToRecord(ctx, e, key, *record, anonymous, now);
  if (!anonymous && record->first_seen_at() == 0) {
    record->set_first_seen_at(now);
  }
  FireDue(ctx, watermark);
  return Verdict::Accept();
}

void Engine::ApplyToRecord(RuleContext& ctx, const CallEvent& e,
                           std::string_view key, v1::CallerState& record,
                           bool anonymous, TimeNs now) {
  if (IsLegEvent(e)) {
    v1::LegState* leg = FindLeg(record, e.call_id());
    if (leg != nullptr && leg->closed()) {
      ctx.Record(FactKind::kLateEvent, e.line(), 1, 0, now);
      return;
    }
    if (e.has_started() && e.direction() == CallEvent::INBOUND) {
      ctx.Record(FactKind::kInboundStarted, e.line(), 1, 0, now);
      // line_last_inbound was written here and never read (line silence
      // is the aggregator's): it only grew with every line name seen.
      if (!ctx.state.MutablePartition().line_last_inbound().empty()) {
        ctx.state.MutablePartition().clear_line_last_inbound();
      }
      if (!anonymous) {
        EmitScreenPop(ctx, record, e, now);  // R1: state before this call
        record.set_inbound_calls(record.inbound_calls() + 1);
        record.set_last_call_at(now);
        record.set_last_inbound_line(e.line());
      }
    }
    ApplyLegEvent(ctx, key, record, anonymous, leg, e, now);
    return;
  }
  switch (e.body_case()) {
    case CallEvent::kCallbackAttempt: {
      const auto& a = e.callback_attempt();
      if (!OnCallbackAttempt(ctx, record, a.task_id(), a.result(), now) &&
          !OnReminderAttempt(ctx, record, a.task_id(), a.result())) {
        ctx.Record(FactKind::kIgnoredAttempt, e.line(), 1, a.result(), now);
      }
      break;
    }
    case CallEvent::kDisposition:
      ApplyDisposition(ctx, record, e.disposition(), e.line(), now);
      break;
    case CallEvent::kContact:
      ApplyContact(record, e.contact());
      break;
    case CallEvent::kCustomerEvent:
      OnCustomerEvent(ctx, record, e.customer_event(),
                      e.line().empty()
                          ? std::string_view(record.last_inbound_line())
                          : std::string_view(e.line()),
                      now);
      break;
    case CallEvent::kAlarm:
      EmitEmergency(ctx, e, record.caller(), now);
      break;
    default:
      break;
  }
}

void Engine::AdvanceWatermark(TimeNs watermark, StateView& state,
                              OutputSink& sink) {
  v1::PartitionState& part = state.MutablePartition();
  if (watermark > part.watermark()) part.set_watermark(watermark);
  RuleContext ctx{options_, state, sink, task_, alert_, contact_};
  FireDue(ctx, part.watermark());
}

void Engine::FireDue(RuleContext& ctx, TimeNs watermark) {
  FireTimers(ctx, watermark);
  CloseWindows(ctx, watermark);
}

int Engine::FireTimers(RuleContext& ctx, TimeNs limit) {
  int fired = 0;
  while (std::optional<Timer> timer = ctx.state.PopDueTimer(limit)) {
    ++fired;
    v1::CallerState& record = ctx.state.MutableCaller(timer->key);
    switch (timer->kind) {
      case TimerKind::kLegClose:
      case TimerKind::kLegStale:
      case TimerKind::kPurgeRecord:
        OnLegTimer(ctx, record, IsAnonymousKey(timer->key), *timer);
        break;
      case TimerKind::kCallbackSla:
      case TimerKind::kCallbackOverdue:
        OnCallbackTimer(ctx, record, *timer);
        break;
      case TimerKind::kReminderOverdue:
      case TimerKind::kFollowUpOverdue:
        OnCustomerEventTimer(ctx, record, *timer);
        break;
    }
  }
  return fired;
}

void Engine::CloseWindows(RuleContext& ctx, TimeNs watermark) {
  auto* windows = ctx.state.MutablePartition().mutable_windows();
  const DurationNs width = options_.alerts.window;
  auto closed = [&](const v1::LineWindowState& w) {
    return w.window_start() + width <= watermark;
  };
  if (std::none_of(windows->begin(), windows->end(), closed)) return;
  std::sort(windows->begin(), windows->end(),
            [](const v1::LineWindowState& a, const v1::LineWindowState& b) {
              if (a.window_start() != b.window_start()) {
                return a.window_start() < b.window_start();
              }
              return a.line() < b.line();
            });
  for (const auto& w : *windows) {
    if (!closed(w)) continue;
    ctx.sink.EmitWindow(WindowPartial{w.line(), w.window_start(),
                                      w.window_start() + width, w.inbound(),
                                      w.missed()});
  }
  windows->erase(std::remove_if(windows->begin(), windows->end(), closed),
                 windows->end());
}

}  // namespace callflow::rules
