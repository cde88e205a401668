#include "processor/metrics/call_center_metrics.h"

#include <algorithm>
#include <utility>

#include "callflow/v1/events.pb.h"
#include "google/protobuf/descriptor.h"

namespace callflow::metrics {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Histogram;
using prometheus::Labels;

// Service-level thresholds: service level = bucket{le="20"} / count is exact.
const Histogram::BucketBoundaries kQueueWaitBuckets = {5,  10, 15,  20,  30, 45,
                                                       60, 90, 120, 180, 300};
const Histogram::BucketBoundaries kTalkTimeBuckets = {
    10, 30, 60, 120, 180, 300, 600, 900, 1800, 3600};
// 5 min .. 3 days: first attempt is due 1 h after the miss by default.
const Histogram::BucketBoundaries kFirstAttemptDelayBuckets = {
    300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 259200};

// The counters of one family for one label set, one per value of an enum,
// labelled `label` = the value's name (value 0 is named `zero_name`). Values
// outside the enum count under value 0.
class EnumCounters {
 public:
  EnumCounters(Family<Counter>& family, const Labels& base,
               const std::string& label,
               const google::protobuf::EnumDescriptor* descriptor,
               const std::string& zero_name) {
    int max_number = 0;
    for (int i = 0; i < descriptor->value_count(); ++i) {
      max_number = std::max(max_number, descriptor->value(i)->number());
    }
    by_number_.assign(max_number + 1, nullptr);
    for (int i = 0; i < descriptor->value_count(); ++i) {
      const auto* value = descriptor->value(i);
      if (value->number() < 0) continue;
      Labels labels = base;
      labels[label] = value->number() == 0 ? zero_name : value->name();
      by_number_[value->number()] = &family.Add(labels);
    }
    for (Counter*& counter : by_number_) {
      if (counter == nullptr) counter = by_number_[0];
    }
  }

  Counter& At(int number) const {
    if (number < 0 || static_cast<size_t>(number) >= by_number_.size()) {
      number = 0;
    }
    return *by_number_[number];
  }

 private:
  std::vector<Counter*> by_number_;
};

Family<Counter>& CounterFamily(prometheus::Registry& registry,
                               const std::string& name,
                               const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

Family<Histogram>& HistogramFamily(prometheus::Registry& registry,
                                   const std::string& name,
                                   const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry);
}

}  // namespace

struct CallCenterMetrics::Families {
  explicit Families(prometheus::Registry& r)
      : inbound_started(
            CounterFamily(r, "callflow_inbound_started_total",
                          "Inbound call legs started (offered to the PBX).")),
        inbound_calls(CounterFamily(
            r, "callflow_inbound_calls_total",
            "Inbound call legs finalized: the denominator of conversion and "
            "missed-call rates.")),
        answered(CounterFamily(r, "callflow_answered_calls_total",
                               "Inbound call legs answered.")),
        missed(CounterFamily(
            r, "callflow_missed_calls_total",
            "Inbound call legs missed, by end reason (STALE: closed after "
            "max_call_duration without an end).")),
        short_abandons(CounterFamily(
            r, "callflow_short_abandons_total",
            "Missed inbound legs abandoned before short_abandon (a subset of "
            "callflow_missed_calls_total).")),
        conversions(CounterFamily(r, "callflow_conversions_total",
                                  "Contracts signed (one per case).")),
        refusals(CounterFamily(r, "callflow_refusals_total",
                               "REFUSED dispositions.")),
        billed_minutes(CounterFamily(r, "callflow_billed_minutes_total",
                                     "Billed minutes, by call direction.")),
        cost(CounterFamily(
            r, "callflow_cost_kopecks_total",
            "Billed cost in kopecks (VAT included), by call direction.")),
        attempts(CounterFamily(r, "callflow_callback_attempts_total",
                               "Callback attempts by the dialer, by result.")),
        reached(CounterFamily(
            r, "callflow_callbacks_reached_total",
            "Callback tasks closed DONE by reaching the caller within the "
            "policy.")),
        unreachable(CounterFamily(r, "callflow_callbacks_unreachable_total",
                                  "Callback tasks closed UNREACHABLE.")),
        emails(CounterFamily(r, "callflow_emails_total",
                             "E-mail tasks opened for unreachable callers.")),
        tasks(CounterFamily(r, "callflow_tasks_total",
                            "Task messages emitted, by kind and status.")),
        alerts(CounterFamily(r, "callflow_alerts_total",
                             "Alerts emitted, by kind.")),
        queue_wait(
            HistogramFamily(r, "callflow_queue_wait_seconds",
                            "Queue wait of answered inbound legs, seconds.")),
        talk_time(HistogramFamily(r, "callflow_talk_time_seconds",
                                  "Talk time of finished legs, seconds.")),
        first_attempt_delay(HistogramFamily(
            r, "callflow_callback_first_attempt_delay_seconds",
            "Time from a missed call to the first callback attempt, "
            "seconds.")),
        applied(CounterFamily(r, "callflow_events_applied_total",
                              "Events applied by the rules engine.")),
        duplicates(CounterFamily(r, "callflow_events_duplicate_total",
                                 "Events ignored as duplicates (event_id seen "
                                 "before).")),
        anonymous(CounterFamily(r, "callflow_events_anonymous_total",
                                "Applied events of anonymous callers.")),
        late_events(CounterFamily(
            r, "callflow_events_late_total",
            "Events for a call leg already finalized (ignored).")),
        ignored_attempts(CounterFamily(
            r, "callflow_callback_attempts_ignored_total",
            "Callback attempts for unknown or closed tasks (ignored).")),
        state_trimmed(CounterFamily(
            r, "callflow_state_trimmed_total",
            "Entries the bounded lists of caller and partition records "
            "forgot or did not take, by list (open_cases, converted_cases, "
            "customer_events, open_legs, line_windows).")),
        dead_letters(CounterFamily(r, "callflow_dead_letters_total",
                                   "Events sent to the dead-letter queue, by "
                                   "reason.")) {}

  Family<Counter>& inbound_started;
  Family<Counter>& inbound_calls;
  Family<Counter>& answered;
  Family<Counter>& missed;
  Family<Counter>& short_abandons;
  Family<Counter>& conversions;
  Family<Counter>& refusals;
  Family<Counter>& billed_minutes;
  Family<Counter>& cost;
  Family<Counter>& attempts;
  Family<Counter>& reached;
  Family<Counter>& unreachable;
  Family<Counter>& emails;
  Family<Counter>& tasks;
  Family<Counter>& alerts;
  Family<Histogram>& queue_wait;
  Family<Histogram>& talk_time;
  Family<Histogram>& first_attempt_delay;
  Family<Counter>& applied;
  Family<Counter>& duplicates;
  Family<Counter>& anonymous;
  Family<Counter>& late_events;
  Family<Counter>& ignored_attempts;
  Family<Counter>& state_trimmed;
  Family<Counter>& dead_letters;
};

// Every series of one `line` label value.
struct CallCenterMetrics::LineProbe {
  LineProbe(Families& f, const std::string& line)
      : base{{"line", line}},
        inbound_started(f.inbound_started.Add(base)),
        inbound_calls(f.inbound_calls.Add(base)),
        answered(f.answered.Add(base)),
        missed(f.missed, base, "reason", v1::CallEnded::EndReason_descriptor(),
               "STALE"),
        short_abandons(f.short_abandons.Add(base)),
        conversions(f.conversions.Add(base)),
        refusals(f.refusals.Add(base)),
        billed_minutes(f.billed_minutes, base, "direction",
                       v1::CallEvent::Direction_descriptor(), "UNSPECIFIED"),
        cost(f.cost, base, "direction", v1::CallEvent::Direction_descriptor(),
             "UNSPECIFIED"),
        attempts(f.attempts, base, "result",
                 v1::CallbackAttempt::AttemptResult_descriptor(),
                 "UNSPECIFIED"),
        reached(f.reached.Add(base)),
        unreachable(f.unreachable.Add(base)),
        emails(f.emails.Add(base)),
        alerts(f.alerts, base, "kind", v1::Alert::Kind_descriptor(),
               "UNSPECIFIED"),
        queue_wait(f.queue_wait.Add(base, kQueueWaitBuckets)),
        talk_time(f.talk_time.Add(base, kTalkTimeBuckets)),
        first_attempt_delay(
            f.first_attempt_delay.Add(base, kFirstAttemptDelayBuckets)) {
    const auto* kinds = v1::Task::Kind_descriptor();
    int max_kind = 0;
    for (int i = 0; i < kinds->value_count(); ++i) {
      max_kind = std::max(max_kind, kinds->value(i)->number());
    }
    tasks.resize(max_kind + 1);
    for (int i = 0; i < kinds->value_count(); ++i) {
      const auto* kind = kinds->value(i);
      Labels labels = base;
      labels["kind"] = kind->number() == 0 ? "UNSPECIFIED" : kind->name();
      tasks[kind->number()] = std::make_unique<EnumCounters>(
          f.tasks, labels, "status", v1::Task::Status_descriptor(),
          "UNSPECIFIED");
    }
  }

  const EnumCounters& Tasks(int kind) const {
    if (kind < 0 || static_cast<size_t>(kind) >= tasks.size() ||
        tasks[kind] == nullptr) {
      kind = 0;
    }
    return *tasks[kind];
  }

  const Labels base;
  Counter& inbound_started;
  Counter& inbound_calls;
  Counter& answered;
  const EnumCounters missed;  // by CallEnded.EndReason
  Counter& short_abandons;
  Counter& conversions;
  Counter& refusals;
  const EnumCounters billed_minutes;  // by CallEvent.Direction
  const EnumCounters cost;            // by CallEvent.Direction
  const EnumCounters attempts;        // by CallbackAttempt.AttemptResult
  Counter& reached;
  Counter& unreachable;
  Counter& emails;
  const EnumCounters alerts;  // by Alert.Kind
  Histogram& queue_wait;
  Histogram& talk_time;
  Histogram& first_attempt_delay;
  std::vector<std::unique_ptr<EnumCounters>> tasks;  // [Task.Kind] by status
};

CallCenterMetrics::CallCenterMetrics(prometheus::Registry& registry,
                                     const rules::EngineOptions& options)
    : families_(std::make_unique<Families>(registry)) {
  for (const auto& [name, line] : options.lines) {
    // [lines.default] configures unknown lines; it is not a line of its own.
    if (name == "default" || name == kOtherLine) continue;
    line_labels_.push_back(name);
  }
  line_labels_.emplace_back(kOtherLine);
  // Keys view line_labels_, which no longer changes.
  for (size_t i = 0; i + 1 < line_labels_.size(); ++i) {
    line_index_.emplace(line_labels_[i], i);
  }
  for (const std::string& label : line_labels_) {
    probes_.push_back(std::make_unique<LineProbe>(*families_, label));
  }
  applied_ = &families_->applied.Add({});
  duplicates_ = &families_->duplicates.Add({});
  anonymous_ = &families_->anonymous.Add({});
  late_events_ = &families_->late_events.Add({});
  ignored_attempts_ = &families_->ignored_attempts.Add({});
  for (int list = 0; list < rules::kNumTrimmedLists; ++list) {
    state_trimmed_[list] = &families_->state_trimmed.Add(
        {{"list", rules::TrimmedListLabel(list)}});
  }
  for (rules::RejectReason reason : rules::AllRejectReasons()) {
    dead_letters_[reason] = &families_->dead_letters.Add(
        {{"reason", std::string(rules::ReasonLabel(reason))}});
  }
}

CallCenterMetrics::~CallCenterMetrics() = default;

std::string_view CallCenterMetrics::LineLabel(std::string_view line) const {
  auto it = line_index_.find(line);
  return it == line_index_.end() ? kOtherLine : line_labels_[it->second];
}

const CallCenterMetrics::LineProbe& CallCenterMetrics::Probe(
    std::string_view line) const {
  auto it = line_index_.find(line);
  return *probes_[it == line_index_.end() ? probes_.size() - 1 : it->second];
}

void CallCenterMetrics::Record(const rules::Fact& fact) {
  using rules::FactKind;
  switch (fact.kind) {
    case FactKind::kApplied:
      applied_->Increment();
      return;
    case FactKind::kDuplicate:
      duplicates_->Increment();
      return;
    case FactKind::kAnonymous:
      anonymous_->Increment();
      return;
    case FactKind::kLateEvent:
      late_events_->Increment();
      return;
    case FactKind::kIgnoredAttempt:
      ignored_attempts_->Increment();
      return;
    case FactKind::kStateTrimmed:
      if (fact.detail >= 0 && fact.detail < rules::kNumTrimmedLists) {
        state_trimmed_[fact.detail]->Increment();
      }
      return;
    default:
      break;
  }
  const LineProbe& probe = Probe(fact.line);
  switch (fact.kind) {
    case FactKind::kInboundStarted:
      probe.inbound_started.Increment();
      break;
    case FactKind::kInboundClosed:
      probe.inbound_calls.Increment();
      break;
    case FactKind::kAnswered:
      probe.answered.Increment();
      break;
    case FactKind::kMissed:
      probe.missed.At(fact.detail).Increment(fact.value);
      break;
    case FactKind::kShortAbandon:
      probe.short_abandons.Increment();
      break;
    case FactKind::kQueueWait:
      probe.queue_wait.Observe(fact.value);
      break;
    case FactKind::kTalkTime:
      probe.talk_time.Observe(fact.value);
      break;
    case FactKind::kBilledMinutes:
      probe.billed_minutes.At(fact.detail).Increment(fact.value);
      break;
    case FactKind::kCostKopecks:
      probe.cost.At(fact.detail).Increment(fact.value);
      break;
    case FactKind::kConversion:
      probe.conversions.Increment();
      break;
    case FactKind::kRefusal:
      probe.refusals.Increment();
      break;
    case FactKind::kCallbackAttempt:
      probe.attempts.At(fact.detail).Increment();
      break;
    case FactKind::kCallbackReached:
      probe.reached.Increment();
      break;
    case FactKind::kCallbackUnreachable:
      probe.unreachable.Increment();
      break;
    case FactKind::kFirstAttemptDelay:
      probe.first_attempt_delay.Observe(fact.value);
      break;
    case FactKind::kApplied:
    case FactKind::kDuplicate:
    case FactKind::kAnonymous:
    case FactKind::kLateEvent:
    case FactKind::kIgnoredAttempt:
    case FactKind::kStateTrimmed:
      break;  // counted above
  }
}

void CallCenterMetrics::CountTask(const v1::Task& task) {
  const LineProbe& probe = Probe(task.line());
  probe.Tasks(task.kind()).At(task.status()).Increment();
  if (task.kind() == v1::Task::EMAIL && task.status() == v1::Task::OPEN) {
    probe.emails.Increment();
  }
}

void CallCenterMetrics::CountAlert(const v1::Alert& alert) {
  Probe(alert.line()).alerts.At(alert.kind()).Increment();
}

void CallCenterMetrics::CountDeadLetter(rules::RejectReason reason) {
  const int v = static_cast<int>(reason);
  if (v <= 0 || v >= static_cast<int>(dead_letters_.size()) ||
      dead_letters_[v] == nullptr) {
    return;  // REASON_UNSPECIFIED: not a rejection
  }
  dead_letters_[v]->Increment();
}

}  // namespace callflow::metrics
