#include "processor/rules/legs.h"

#include <algorithm>
#include <string>

#include "processor/rules/callback_policy.h"

namespace callflow::rules {
namespace {

using v1::CallEnded;
using v1::CallEvent;
using v1::LegState;

// Closed legs are kept (to recognize late events of a finished call) for the
// de-duplication window, at most this many per record.
constexpr int kMaxClosedLegs = 8;

bool IsInbound(const LegState& leg) {
  return leg.direction() == CallEvent::INBOUND;
}

// Drops closed legs the de-duplication window no longer needs, and the
// oldest closed ones beyond kMaxClosedLegs.
void PruneLegs(v1::CallerState& record, TimeNs cutoff) {
  auto* legs = record.mutable_legs();
  int closed = 0;
  for (const LegState& l : *legs) closed += l.closed() ? 1 : 0;
  int excess = closed - (kMaxClosedLegs - 1);  // room for one more
  auto drop = [&](const LegState& l) {
    if (!l.closed()) return false;
    if (excess > 0) {
      --excess;
      return true;
    }
    return l.ended_at() < cutoff;
  };
  legs->erase(std::remove_if(legs->begin(), legs->end(), drop), legs->end());
}

void FinishLeg(RuleContext& ctx, std::string_view key, v1::CallerState& record,
               bool anonymous, LegState& leg, TimeNs at, bool stale);

// Makes room for one more open leg at kMaxOpenLegs: the oldest open leg is
// closed now, as stale if it never ended (as max_call_duration would, only
// sooner), or forgotten if it never started nor ended (only ivr, queued or
// answered seen: nothing to bill or count).
void MakeRoomForLeg(RuleContext& ctx, std::string_view key,
                    v1::CallerState& record, bool anonymous, TimeNs now) {
  auto* legs = record.mutable_legs();
  int open = 0;
  int oldest = -1;
  for (int i = 0; i < legs->size(); ++i) {
    if (legs->Get(i).closed()) continue;
    if (oldest < 0) oldest = i;
    ++open;
  }
  if (open < kMaxOpenLegs) return;
  LegState& leg = *legs->Mutable(oldest);
  ctx.RecordTrim(TrimmedList::kOpenLegs, leg.line(), now);
  if (leg.started_at() == 0 && leg.ended_at() == 0) {
    legs->DeleteSubrange(oldest, 1);
    return;
  }
  FinishLeg(ctx, key, record, anonymous, leg, now,
            /*stale=*/leg.ended_at() == 0);
}

LegState& AddLeg(RuleContext& ctx, std::string_view key,
                 v1::CallerState& record, bool anonymous, const CallEvent& e,
                 TimeNs now) {
  PruneLegs(record, ctx.state.MutablePartition().watermark() -
                        ctx.options.dedup_window);
  MakeRoomForLeg(ctx, key, record, anonymous, now);
  LegState& leg = *record.add_legs();
  leg.set_call_id(e.call_id());
  leg.set_direction(e.direction());
  leg.set_line(e.line());
  return leg;
}

void CountWindow(RuleContext& ctx, std::string_view line, TimeNs at,
                 bool missed) {
  DurationNs width = ctx.options.alerts.window;
  TimeNs start = at - ((at % width) + width) % width;
  v1::PartitionState& p = ctx.state.MutablePartition();
  v1::LineWindowState* w = nullptr;
  for (auto& candidate : *p.mutable_windows()) {
    if (candidate.window_start() == start && candidate.line() == line) {
      w = &candidate;
      break;
    }
  }
  if (w == nullptr) {
    if (p.windows_size() >= kMaxOpenLineWindows) {
      // The partition record is one changelog record: a feed with more
      // distinct lines than this in one window is not counted past it.
      ctx.RecordTrim(TrimmedList::kLineWindows, line, at);
      return;
    }
    w = p.add_windows();
    w->set_line(std::string(line));
    w->set_window_start(start);
  }
  w->set_inbound(w->inbound() + 1);
  if (missed) w->set_missed(w->missed() + 1);
}

void BillLeg(RuleContext& ctx, const LegState& leg, TimeNs at) {
  if (leg.talk_seconds() > 0) {
    ctx.Record(FactKind::kTalkTime, leg.line(), leg.talk_seconds(),
               leg.direction(), at);
  }
  int64_t minutes = BilledMinutes(ctx.options, leg.talk_seconds());
  if (minutes == 0) return;
  const LineOptions& line = ctx.options.Line(leg.line());
  int64_t per_minute = IsInbound(leg) ? line.tariff_inbound_kopecks
                                      : line.tariff_outbound_kopecks;
  if (leg.via_access_number()) {
    per_minute += ctx.options.billing.access_number_surcharge_kopecks;
  }
  ctx.Record(FactKind::kBilledMinutes, leg.line(), static_cast<double>(minutes),
             leg.direction(), at);
  ctx.Record(FactKind::kCostKopecks, leg.line(),
             static_cast<double>(minutes * per_minute), leg.direction(), at);
}

// The last of the legs an answer marked closes the callback task.
void CloseDeferredCallBack(RuleContext& ctx, v1::CallerState& record,
                           const LegState& leg, TimeNs at) {
  const TimeNs answer = leg.called_back_at();
  if (answer == 0) return;
  for (const LegState& other : record.legs()) {
    if (!other.closed() && other.called_back_at() == answer) return;
  }
  OnClientCalledBack(ctx, record, at);
}

// Finalizes a leg at `at`: bills it, counts it and drives the callback rules.
void CloseLeg(RuleContext& ctx, v1::CallerState& record, bool anonymous,
              LegState& leg, TimeNs at, bool stale) {
  leg.set_closed(true);
  if (leg.ended_at() == 0) leg.set_ended_at(at);
  BillLeg(ctx, leg, at);
  if (!IsInbound(leg)) return;
  bool missed =
      !leg.answered() && (stale || leg.end_reason() != CallEnded::COMPLETED);
  ctx.Record(FactKind::kInboundClosed, leg.line(), 1, 0, at);
  CountWindow(ctx, leg.line(), at, missed);
  if (!missed) {
    ctx.Record(FactKind::kAnswered, leg.line(), 1, 0, at);
  } else {
    ctx.Record(FactKind::kMissed, leg.line(), 1, stale ? 0 : leg.end_reason(),
               at);
    TimeNs call_start =
        leg.started_at() != 0 ? leg.started_at() : leg.ended_at();
    if (at - call_start < ctx.options.short_abandon) {
      ctx.Record(FactKind::kShortAbandon, leg.line(), 1, leg.end_reason(), at);
    }
    if (!anonymous) {
      OnMissedCall(ctx, record, leg,
                   stale ? leg.started_event_id() : leg.ended_event_id(),
                   call_start, at);
    }
  }
  if (!anonymous) CloseDeferredCallBack(ctx, record, leg, at);
}

// An inbound call of the caller answered at `now`, while some of the
// caller's inbound legs that ended before it still wait for the watermark
// to be judged (allowed_lateness): marks them, and returns whether there
// were any. The answer then closes the callback task only once they are
// judged (CloseDeferredCallBack), after their misses opened or updated it,
// as it would without lateness. Without lateness no leg ever waits.
bool MarkCalledBack(v1::CallerState& record, const LegState& answered,
                    TimeNs now) {
  bool any = false;
  for (LegState& leg : *record.mutable_legs()) {
    if (&leg != &answered && IsInbound(leg) && !leg.closed() &&
        !leg.answered() && leg.ended_at() != 0 && leg.ended_at() <= now) {
      leg.set_called_back_at(now);
      any = true;
    }
  }
  return any;
}

// Closes a leg and schedules the purge of an anonymous leg's record.
void FinishLeg(RuleContext& ctx, std::string_view key, v1::CallerState& record,
               bool anonymous, LegState& leg, TimeNs at, bool stale) {
  CloseLeg(ctx, record, anonymous, leg, at, stale);
  if (anonymous) {
    ctx.state.AddTimer(Timer{at + ctx.options.dedup_window,
                             TimerKind::kPurgeRecord, std::string(key), "", 0});
  }
}

}  // namespace

int64_t BilledMinutes(const EngineOptions& options, uint32_t talk_seconds) {
  if (talk_seconds < options.billing.free_under_seconds) return 0;
  return (static_cast<int64_t>(talk_seconds) + 59) / 60;
}

LegState* FindLeg(v1::CallerState& record, std::string_view call_id) {
  auto* legs = record.mutable_legs();
  for (int i = legs->size() - 1; i >= 0; --i) {  // newest first
    if (legs->Get(i).call_id() == call_id) return legs->Mutable(i);
  }
  return nullptr;
}

void ApplyLegEvent(RuleContext& ctx, std::string_view key,
                   v1::CallerState& record, bool anonymous, LegState* found,
                   const CallEvent& e, TimeNs now) {
  LegState& leg =
      found != nullptr ? *found : AddLeg(ctx, key, record, anonymous, e, now);
  if (leg.line().empty()) leg.set_line(e.line());
  switch (e.body_case()) {
    case CallEvent::kStarted:
      leg.set_started_at(now);
      leg.set_started_event_id(e.event_id());
      leg.set_via_access_number(e.started().via_access_number());
      leg.set_line(e.line());
      ctx.state.AddTimer(Timer{now + ctx.options.max_call_duration,
                               TimerKind::kLegStale, std::string(key),
                               e.call_id(), 0});
      break;
    case CallEvent::kAnswered:
      if (leg.answered()) break;
      leg.set_answered(true);
      leg.set_answered_at(now);
      leg.set_wait_seconds(e.answered().wait_seconds());
      if (IsInbound(leg)) {
        ctx.Record(FactKind::kQueueWait, leg.line(),
                   e.answered().wait_seconds(), 0, now);
        if (!anonymous && !MarkCalledBack(record, leg, now)) {
          OnClientCalledBack(ctx, record, now);
        }
      }
      break;
    case CallEvent::kEnded:
      if (leg.ended_at() != 0) break;
      leg.set_ended_at(now);
      leg.set_ended_event_id(e.event_id());
      leg.set_end_reason(e.ended().reason());
      leg.set_talk_seconds(e.ended().talk_seconds());
      if (now <= ctx.state.MutablePartition().watermark()) {
        // The watermark already covers the end: close now, exactly as the
        // close timer would right after this event.
        FinishLeg(ctx, key, record, anonymous, leg, now, /*stale=*/false);
      } else {
        ctx.state.AddTimer(
            Timer{now, TimerKind::kLegClose, std::string(key), e.call_id(), 0});
      }
      break;
    default:  // ivr / queued: nothing to keep
      break;
  }
}

void OnLegTimer(RuleContext& ctx, v1::CallerState& record, bool anonymous,
                const Timer& timer) {
  if (timer.kind == TimerKind::kPurgeRecord) {
    bool open = std::any_of(record.legs().begin(), record.legs().end(),
                            [](const LegState& l) { return !l.closed(); });
    if (!open) ctx.state.EraseCaller(timer.key);
    return;
  }
  LegState* leg = FindLeg(record, timer.ref);
  if (leg == nullptr || leg->closed()) return;
  bool stale = timer.kind == TimerKind::kLegStale;
  if (stale && leg->ended_at() != 0) return;  // ended: its close decides
  FinishLeg(ctx, timer.key, record, anonymous, *leg, timer.due, stale);
}

}  // namespace callflow::rules
