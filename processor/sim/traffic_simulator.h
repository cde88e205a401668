#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "callflow/v1/events.pb.h"
#include "processor/rules/time.h"
#include "processor/sim/caller_pool.h"
#include "processor/sim/dialer.h"
#include "processor/sim/random.h"

namespace callflow::sim {

class CallbackPredictor;

// What a TrafficSimulator generates and how much. A plain value;
// thread-compatible.
struct SimulatorOptions {
  // Seeds everything: same options, same events, byte for byte. Default 1.
  uint64_t seed = 1;
  // Event time of the first arrival window. Default 2024-06-03T05:00:00Z
  // (a Monday, 08:00 in Moscow).
  TimeNs start = 1717390800LL * rules::kSecond;
  // Inbound calls to generate; 0 = unbounded (the Kafka demo). After the
  // last call the follow-up events (dispositions, callbacks, reminders)
  // still play out, then Next() returns false. Default 0.
  uint64_t max_calls = 0;
  // Multiplies every line's arrival rate. Default 1 (about 850 calls an hour
  // at the weekday peak, 7000 a weekday).
  double traffic_scale = 1.0;
  // Customers in the pool and their Zipf-Mandelbrot weights (see
  // CallerPool). Defaults 100000 / 1.0 / 100: over 20000 calls about half
  // come from repeat callers, the busiest calls a dozen times a day.
  size_t caller_pool = 100000;
  double zipf_exponent = 1.0;
  double zipf_offset = 100;
  // Share of inbound calls with an anonymous caller. Default 0.05.
  double anonymous_share = 0.05;
  // Share of events sent twice (same event_id). Default 0.005.
  double duplicate_rate = 0.005;
  // File mode: predict the engine's callback / reminder tasks and dial them
  // (see CallbackPredictor). The Kafka demo sets false and feeds OnTask().
  // Default true.
  bool predict_callbacks = true;
  // Dialer odds; its seed is derived from `seed`.
  DialerOptions dialer;
};

// What the simulator has produced so far. A plain value; thread-compatible.
struct SimulatorStats {
  uint64_t calls = 0;       // inbound calls generated
  uint64_t events = 0;      // events returned by Next(), duplicates included
  uint64_t duplicates = 0;  // events re-sent with an earlier event_id
  uint64_t outbound_legs = 0;
  uint64_t dial_attempts = 0;
};

// Realistic call-center traffic as a stream of v1::CallEvent in event-time
// order. Four lines ("sales", "support", "hotline" and the access-number DID
// "did-2302030") with Moscow business-day arrival curves, a Zipf pool of
// repeat callers in mixed PBX number formats, anonymous callers, IVR, queues
// served by a per-line agent pool (waits, abandons, timeouts, busy, no
// answer), talk times, dispositions (about one contract per five answered
// sales calls), CRM contact updates, customer events (rescheduled or
// cancelled now and then), quote follow-up outbound legs, callback attempts
// by a Dialer, rare alarms, a one-hour outage of the DID now and then, and a
// small share of duplicate events.
//
// Event ids are "s<seed>-<n>" in emission order, call ids "c<seed>-<n>" per
// leg; both are deterministic.
//
// Lifecycle: construct, then call Next() until it returns false (never, when
// max_calls is 0). In demo mode (predict_callbacks false) call OnTask() for
// every task read back from the engine; attempts then join the stream. Not
// thread-safe: call Next() and OnTask() from one thread.
class TrafficSimulator {
 public:
  explicit TrafficSimulator(const SimulatorOptions& options);
  ~TrafficSimulator();

  // The next event in event-time order; false when a bounded run is over.
  bool Next(v1::CallEvent* event);

  // Demo mode: one task state from the engine. The Dialer plans an attempt
  // (never earlier than the last event returned) whose outbound leg and
  // callback_attempt event come out of Next() in time order.
  void OnTask(const v1::Task& task);

  // Event time of the last event returned (options.start before the first).
  TimeNs now() const { return now_; }
  const SimulatorStats& stats() const { return stats_; }
  const Dialer& dialer() const { return dialer_; }
  // File mode: the task predictions (nullptr in demo mode).
  const CallbackPredictor* predictor() const { return predictor_.get(); }

  // Names of the simulated lines.
  static std::vector<std::string> LineNames();

 private:
  struct LineState;
  struct CallerState;
  // An event queued for Next(), with its place in the heap order.
  struct Pending {
    TimeNs at;
    uint64_t seq;
    v1::CallEvent event;
    bool duplicate;
  };
  // The heap_ comparator: the earliest (at, seq) on top.
  struct Later {
    bool operator()(const Pending& a, const Pending& b) const {
      return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
  };

  // Arrival process (non-homogeneous Poisson, piecewise constant per hour).
  double LineRatePerHour(size_t line, TimeNs t) const;
  void ScheduleNextArrival();
  void GenerateCall(TimeNs t0);
  void GenerateAlarm(TimeNs t);
  void AfterAnsweredCall(size_t line, std::optional<size_t> who,
                         const std::string& call_id,
                         const std::string& caller_text,
                         const std::string& agent, TimeNs end);
  v1::Disposition::Outcome PickOutcome(size_t line, std::optional<size_t> who,
                                       std::string* case_id);
  void EmitContact(size_t line, size_t who, const std::string& call_id,
                   const std::string& caller_text, TimeNs at);
  void ScheduleCustomerEvent(size_t line, size_t who, TimeNs at);
  void ScheduleQuoteFollowUp(size_t line, size_t who, const std::string& agent,
                             const std::string& case_id, TimeNs at);
  int AgentsOnDuty(size_t line, TimeNs t) const;
  void PlayAttempt(const DialAttempt& attempt);

  // Queues an event at `at`; returns it for filling in.
  v1::CallEvent& Push(TimeNs at, const std::string& call_id,
                      const std::string& caller, const std::string& line,
                      v1::CallEvent::Direction direction);
  std::string NewCallId();
  std::string NewCaseId();

  SimulatorOptions options_;
  Rng rng_;
  CallerPool pool_;
  Dialer dialer_;
  std::unique_ptr<CallbackPredictor> predictor_;
  std::vector<LineState> lines_;
  std::vector<CallerState> callers_;
  std::vector<Pending> heap_;  // min-heap by (at, seq) over [0, heaped_)
  size_t heaped_ = 0;
  TimeNs next_arrival_ = 0;
  TimeNs arrival_cursor_ = 0;
  TimeNs now_ = 0;
  uint64_t seq_ = 0;
  uint64_t call_counter_ = 0;
  uint64_t case_counter_ = 0;
  uint64_t customer_event_counter_ = 0;
  uint64_t alarm_counter_ = 0;
  SimulatorStats stats_;
};

}  // namespace callflow::sim
