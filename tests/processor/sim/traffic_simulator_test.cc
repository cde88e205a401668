#include "processor/sim/traffic_simulator.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "gtest/gtest.h"
#include "processor/codec/codec.h"
#include "processor/rules/engine.h"
#include "processor/rules/phone_normalizer.h"
#include "processor/rules/testing/in_memory_state.h"
#include "processor/sim/callback_predictor.h"
#include "processor/sim/jsonl_writer.h"
#include "tests/support/status_matchers.h"

namespace callflow::sim {
namespace {

using ::callflow_testing::IsOk;
using v1::CallEnded;
using v1::CallEvent;

SimulatorOptions Options(uint64_t seed, uint64_t calls) {
  SimulatorOptions options;
  options.seed = seed;
  options.max_calls = calls;
  return options;
}

std::vector<CallEvent> Simulate(const SimulatorOptions& options) {
  TrafficSimulator sim(options);
  std::vector<CallEvent> events;
  CallEvent e;
  while (sim.Next(&e)) events.push_back(e);
  EXPECT_EQ(sim.stats().calls, options.max_calls);
  EXPECT_EQ(sim.stats().events, events.size());
  return events;
}

std::string Jsonl(uint64_t seed, uint64_t calls, double malformed_rate) {
  TrafficSimulator sim(Options(seed, calls));
  std::ostringstream out;
  JsonlWriter writer(&out, {.seed = seed, .malformed_rate = malformed_rate});
  CallEvent e;
  while (sim.Next(&e)) EXPECT_THAT(writer.Write(e), IsOk());
  return out.str();
}

// 5000 calls, shared by the statistical tests.
class SimulatedDay : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    events_ = new std::vector<CallEvent>(Simulate(Options(11, 5000)));
  }
  static void TearDownTestSuite() { delete events_; }
  static const std::vector<CallEvent>& events() { return *events_; }

 private:
  static std::vector<CallEvent>* events_;
};
std::vector<CallEvent>* SimulatedDay::events_ = nullptr;

TEST(TrafficSimulatorTest, SameSeedSameBytesOtherSeedOtherBytes) {
  const std::string a = Jsonl(7, 1500, 0.01);
  EXPECT_EQ(a, Jsonl(7, 1500, 0.01));
  EXPECT_NE(a, Jsonl(8, 1500, 0.01));
  EXPECT_GT(a.size(), 100000u);
}

TEST_F(SimulatedDay, EventTimeOrderAndUniqueIds) {
  std::map<std::string, std::string> by_id;  // event_id -> bytes
  int64_t previous = 0;
  size_t duplicates = 0;
  for (const CallEvent& e : events()) {
    const int64_t t = rules::FromProto(e.occurred_at());
    EXPECT_GE(t, previous) << e.DebugString();
    previous = t;
    ASSERT_FALSE(e.event_id().empty());
    auto [it, inserted] = by_id.emplace(e.event_id(), e.SerializeAsString());
    if (!inserted) {
      ++duplicates;
      EXPECT_EQ(it->second, e.SerializeAsString()) << "re-sent event differs";
    }
  }
  EXPECT_GT(duplicates, 20u);  // 0.5 % of ~35K events
  EXPECT_LT(duplicates, events().size() / 50);
}

TEST_F(SimulatedDay, EveryLegStartsAndEndsOnce) {
  struct Leg {
    int started = 0, ended = 0;
    int64_t start = 0, end = 0;
  };
  std::map<std::string, Leg> legs;
  std::set<std::string> seen;
  for (const CallEvent& e : events()) {
    if (!seen.insert(e.event_id()).second) continue;
    if (e.has_started()) {
      ++legs[e.call_id()].started;
      legs[e.call_id()].start = rules::FromProto(e.occurred_at());
    }
    if (e.has_ended()) {
      ++legs[e.call_id()].ended;
      legs[e.call_id()].end = rules::FromProto(e.occurred_at());
    }
  }
  for (const auto& [id, leg] : legs) {
    EXPECT_EQ(leg.started, 1) << id;
    EXPECT_EQ(leg.ended, 1) << id;
    EXPECT_LE(leg.start, leg.end) << id;
  }
}

TEST_F(SimulatedDay, RealisticShares) {
  std::set<std::string> seen, answered_calls, lines;
  std::map<CallEvent::BodyCase, int> bodies;
  std::map<int, int> end_reasons, outcomes, attempt_results;
  int inbound = 0, inbound_answered = 0, sales_answered = 0, contracts = 0,
      anonymous = 0, access_number = 0, emails = 0, cancelled = 0,
      outbound_legs = 0;
  std::map<std::string, int> calls_per_caller;
  rules::PhoneNormalizer normalizer("RU");
  for (const CallEvent& e : events()) {
    if (!seen.insert(e.event_id()).second) continue;
    ++bodies[e.body_case()];
    if (!e.line().empty()) lines.insert(e.line());
    const bool in = e.direction() == CallEvent::INBOUND;
    if (e.has_started() && in) {
      ++inbound;
      const std::string& n = normalizer.Normalize(e.caller());
      n.empty() ? ++anonymous : ++calls_per_caller[n];
      if (e.started().via_access_number()) ++access_number;
    }
    if (e.has_started() && !in) ++outbound_legs;
    if (e.has_answered() && in) {
      ++inbound_answered;
      if (e.line() == "sales") ++sales_answered;
    }
    if (e.has_ended() && in) ++end_reasons[e.ended().reason()];
    if (e.has_disposition()) {
      ++outcomes[e.disposition().outcome()];
      if (e.disposition().outcome() == v1::Disposition::CONTRACT_SIGNED &&
          e.line() == "sales") {
        ++contracts;
      }
    }
    if (e.has_callback_attempt())
      ++attempt_results[e.callback_attempt().result()];
    if (e.has_contact() && !e.contact().email().empty()) ++emails;
    if (e.has_customer_event() && e.customer_event().cancelled()) ++cancelled;
  }
  EXPECT_EQ(inbound, 5000);
  const double answered_share = static_cast<double>(inbound_answered) / inbound;
  EXPECT_GT(answered_share, 0.65);
  EXPECT_LT(answered_share, 0.95);
  const double conversion = static_cast<double>(contracts) / sales_answered;
  EXPECT_GT(conversion, 0.15);
  EXPECT_LT(conversion, 0.25);
  EXPECT_GT(anonymous, 150);  // 5 %
  EXPECT_LT(anonymous, 400);
  EXPECT_GT(access_number, 0);
  EXPECT_GT(emails, 100);
  EXPECT_GT(cancelled, 0);
  EXPECT_GT(outbound_legs, 100);
  EXPECT_EQ(lines, (std::set<std::string>{"did-2302030", "hotline", "sales",
                                          "support"}));
  // Repeat callers are common: well over a tenth of known callers call again.
  int repeat = 0;
  for (const auto& [n, count] : calls_per_caller) repeat += count > 1;
  EXPECT_GT(repeat, static_cast<int>(calls_per_caller.size() / 10));
  for (int body = CallEvent::kStarted; body <= CallEvent::kAlarm; ++body) {
    EXPECT_GT(bodies[static_cast<CallEvent::BodyCase>(body)], 0)
        << "no event with body field " << body;
  }
  for (int r = CallEnded::COMPLETED; r <= CallEnded::TIMEOUT; ++r) {
    EXPECT_GT(end_reasons[r], 0) << CallEnded::EndReason_Name(r);
  }
  for (int o = v1::Disposition::NEW_CASE; o <= v1::Disposition::REFUSED; ++o) {
    EXPECT_GT(outcomes[o], 0) << v1::Disposition::Outcome_Name(o);
  }
  for (int r = v1::CallbackAttempt::REACHED; r <= v1::CallbackAttempt::FAILED;
       ++r) {
    EXPECT_GT(attempt_results[r], 0)
        << v1::CallbackAttempt::AttemptResult_Name(r);
  }
}

// Records what the engine emits about tasks.
class TaskSink : public rules::OutputSink {
 public:
  void EmitTask(const v1::Task& t) override {
    ++by_status[{t.kind(), t.status()}];
    if (t.kind() == v1::Task::CALLBACK && t.status() == v1::Task::DONE) {
      ++done_reason[t.reason()];
    }
    ids.insert(t.task_id());
  }
  void EmitAlert(const v1::Alert& a) override {
    ++alerts[a.kind()];
    if (a.kind() == v1::Alert::CALLBACK_SLA_BREACH ||
        a.kind() == v1::Alert::TASK_OVERDUE) {
      task_alerts.push_back(
          {a.alert_id(), a.kind(), rules::FromProto(a.occurred_at())});
    }
  }
  void EmitContact(const v1::ContactContext&) override {}
  void EmitWindow(const rules::WindowPartial&) override {}
  void RecordFact(const rules::Fact& f) override {
    if (f.kind == rules::FactKind::kIgnoredAttempt) ++ignored_attempts;
    if (f.kind == rules::FactKind::kDuplicate) ++duplicates;
  }

  std::map<std::pair<int, int>, int> by_status;
  std::map<std::string, int> done_reason;
  std::map<int, int> alerts;
  std::vector<PredictedAlert> task_alerts;  // SLA breaches and overdue tasks
  std::set<std::string> ids;
  int ignored_attempts = 0;
  int duplicates = 0;
};

// The file-mode prediction of callback task ids matches the real engine.
TEST_F(SimulatedDay, EngineKnowsEveryTaskTheDialerWorks) {
  rules::EngineOptions options;
  rules::Engine engine(options);
  rules::InMemoryState state;
  TaskSink sink;
  int attempts = 0;
  for (const CallEvent& e : events()) {
    ASSERT_THAT(engine.Process(e, state, sink), IsOk()) << e.DebugString();
    if (e.has_callback_attempt()) {
      ++attempts;
      EXPECT_TRUE(sink.ids.contains(e.callback_attempt().task_id()))
          << e.callback_attempt().task_id();
    }
  }
  EXPECT_GT(attempts, 300);
  EXPECT_GT(sink.duplicates, 0);
  // Attempts only miss when the client called back during the dialled leg.
  EXPECT_LT(sink.ignored_attempts, attempts / 20);
  using T = v1::Task;
  EXPECT_GT((sink.by_status[{T::CALLBACK, T::OPEN}]), 300);
  EXPECT_GT((sink.by_status[{T::CALLBACK, T::UPDATED}]), 0);
  EXPECT_GT((sink.by_status[{T::CALLBACK, T::UNREACHABLE}]), 0);
  EXPECT_GT((sink.by_status[{T::EMAIL, T::OPEN}]), 0);
  EXPECT_GT((sink.by_status[{T::REMINDER, T::DONE}]), 0);
  EXPECT_GT((sink.by_status[{T::FOLLOW_UP, T::CANCELLED}]), 0);
  EXPECT_GT(sink.done_reason["reached"], 0);
  EXPECT_GT(sink.done_reason["client_called_back"], 0);
  EXPECT_GT(sink.alerts[v1::Alert::EMERGENCY], 0);
  EXPECT_GT(sink.alerts[v1::Alert::CALLBACK_SLA_BREACH], 0);
}

// No task sits past its due time unnoticed: the SLA breaches and overdue
// alerts the engine raises are exactly those the simulator predicts from its
// own tasks and attempts, for every kind of task the dialer works.
TEST(TrafficSimulatorTest, EngineRaisesThePredictedTaskAlerts) {
  TrafficSimulator sim(Options(12, 4000));
  rules::EngineOptions options;
  rules::Engine engine(options);
  rules::InMemoryState state;
  TaskSink sink;
  CallEvent e;
  while (sim.Next(&e)) {
    ASSERT_THAT(engine.Process(e, state, sink), IsOk()) << e.DebugString();
  }
  ASSERT_NE(sim.predictor(), nullptr);
  const std::vector<PredictedAlert>& predicted = sim.predictor()->alerts();
  auto by_id = [](std::vector<PredictedAlert> alerts) {
    std::sort(alerts.begin(), alerts.end(),
              [](const PredictedAlert& a, const PredictedAlert& b) {
                return a.alert_id < b.alert_id;
              });
    return alerts;
  };
  const std::vector<PredictedAlert> want = by_id(predicted);
  const std::vector<PredictedAlert> got = by_id(sink.task_alerts);
  EXPECT_EQ(got.size(), want.size());
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    EXPECT_EQ(got[i].alert_id, want[i].alert_id);
    EXPECT_EQ(got[i].kind, want[i].kind) << want[i].alert_id;
    EXPECT_EQ(got[i].at, want[i].at) << want[i].alert_id;
  }
  std::map<std::string, int> overdue_by_kind;  // "cb", "rem", "fup"
  for (const PredictedAlert& a : predicted) {
    if (a.kind != v1::Alert::TASK_OVERDUE) continue;
    const std::string task = a.alert_id.substr(std::string("overdue:").size());
    ++overdue_by_kind[task.substr(0, task.find(':'))];
  }
  EXPECT_GT(overdue_by_kind["cb"], 0);
  EXPECT_GT(overdue_by_kind["rem"], 0);
  EXPECT_GT(overdue_by_kind["fup"], 0);
}

TEST(TrafficSimulatorTest, EveryLineParsesExceptTheMalformedOnes) {
  std::istringstream in(Jsonl(3, 2000, 0.01));
  std::string line;
  int good = 0, rejected = 0, no_id = 0;
  while (std::getline(in, line)) {
    v1::CallEvent e;
    if (!codec::ParseEventJson(line, &e).ok()) {
      ++rejected;
    } else if (e.event_id().empty()) {
      ++no_id;
    } else {
      ++good;
    }
  }
  // Recount what the writer injected.
  TrafficSimulator sim(Options(3, 2000));
  std::ostringstream sink;
  JsonlWriter writer(&sink, {.seed = 3, .malformed_rate = 0.01});
  v1::CallEvent e;
  while (sim.Next(&e)) ASSERT_THAT(writer.Write(e), IsOk());
  EXPECT_EQ(good, static_cast<int>(sim.stats().events));
  EXPECT_EQ(rejected + no_id, static_cast<int>(writer.malformed()));
  EXPECT_GT(rejected, 0);
  EXPECT_GT(no_id, 0);
}

TEST(TrafficSimulatorTest, UnboundedRunKeepsGoing) {
  TrafficSimulator sim(Options(5, 0));
  CallEvent e;
  for (int i = 0; i < 30000; ++i) ASSERT_TRUE(sim.Next(&e));
  EXPECT_GT(sim.stats().calls, 3000u);
}

TEST(TrafficSimulatorTest, DemoModeDialsTheTasksItIsGiven) {
  SimulatorOptions options = Options(5, 200);
  options.predict_callbacks = false;
  TrafficSimulator sim(options);
  CallEvent e;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(sim.Next(&e));
  v1::Task task;
  task.set_task_id("cb:+74951234567:from-the-engine");
  task.set_kind(v1::Task::CALLBACK);
  task.set_status(v1::Task::OPEN);
  task.set_caller("+74951234567");
  task.set_line("support");
  task.set_attempt(1);
  rules::ToProto(sim.now() + rules::kHour, task.mutable_due_at());
  const int64_t asked_at = sim.now();
  sim.OnTask(task);
  int attempts = 0;
  while (sim.Next(&e)) {
    if (!e.has_callback_attempt()) continue;
    ++attempts;
    EXPECT_EQ(e.callback_attempt().task_id(), task.task_id());
    EXPECT_GE(rules::FromProto(e.occurred_at()), asked_at);
    EXPECT_EQ(e.line(), "support");
    EXPECT_EQ(e.direction(), CallEvent::OUTBOUND);
  }
  EXPECT_EQ(attempts, 1);
}

}  // namespace
}  // namespace callflow::sim
