// LineMerger against the single LineAggregator that replay runs: the same
// traffic split over partitions, each with its own engine and watermark,
// published as LineUpdates in commit cycles of different sizes and merged in
// an interleaved order, must give exactly replay's line alerts (up to the
// merged watermark), also when updates are repeated (a zombie, a
// re-processed cycle).
#include "processor/rules/line_merger.h"

#include <map>
#include <random>
#include <set>

#include "date/tz.h"
#include "tests/processor/rules/engine_test_harness.h"
#include "tests/support/status_matchers.h"

namespace callflow::rules::testing {
namespace {

using ::callflow_testing::IsOk;
using v1::CallEnded;

constexpr int kPartitions = 4;

EngineOptions Options() {
  EngineOptions o;
  o.alerts.window = 5 * kMinute;
  o.alerts.min_calls = 4;
  o.alerts.missed_rate_threshold = 0.3;
  LineOptions quiet;
  quiet.tz = date::locate_zone("UTC");
  quiet.time_zone = "UTC";
  quiet.business_open_minute = 0;
  quiet.business_close_minute = 24 * 60;
  quiet.max_silence = 20 * kMinute;
  o.lines["quiet"] = quiet;
  return o;
}

// A day of calls on three lines; "quiet" has long gaps.
std::vector<v1::CallEvent> Traffic(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::pair<TimeNs, v1::CallEvent>> legs;
  const TimeNs start = T("2026-03-02T00:00:00Z");
  int id = 0;
  for (TimeNs t = start; t < start + 12 * kHour;
       t += (5 + rng() % 90) * kSecond) {
    const char* lines[] = {"sales", "support", "quiet"};
    const std::string line = lines[rng() % 7 < 4 ? 0 : (rng() % 5 ? 1 : 2)];
    if (line == "quiet" && (t / kHour) % 3 == 1) continue;  // silences
    const std::string caller = "+7495" + std::to_string(1000000 + rng() % 300);
    const std::string call = "k" + std::to_string(++id);
    const bool missed = rng() % 10 < ((t / (20 * kMinute)) % 4 == 0 ? 6 : 1);
    const TimeNs end = t + (10 + rng() % 120) * kSecond;
    legs.emplace_back(
        t, Leg(call + "s", FormatTime(t), call, caller).Line(line).Started());
    if (!missed) {
      legs.emplace_back(t + kSecond,
                        Leg(call + "a", FormatTime(t + kSecond), call, caller)
                            .Line(line)
                            .Answered("a1"));
    }
    const CallEventBuilder ended =
        Leg(call + "e", FormatTime(end), call, caller).Line(line);
    legs.emplace_back(end, missed ? ended.Ended(CallEnded::ABANDONED)
                                  : ended.Ended(CallEnded::COMPLETED, 60));
  }
  std::stable_sort(legs.begin(), legs.end(), [](const auto& a, const auto& b) {
    return a.first < b.first;
  });
  std::vector<v1::CallEvent> events;
  for (auto& [t, event] : legs) events.push_back(std::move(event));
  return events;
}

// Collects one partition's line facts into its next LineUpdate.
class PartitionSink : public OutputSink {
 public:
  void EmitTask(const v1::Task&) override {}
  void EmitAlert(const v1::Alert&) override {}
  void EmitContact(const v1::ContactContext&) override {}
  void EmitWindow(const WindowPartial& w) override {
    v1::LineWindowState* s = update.add_windows();
    s->set_line(std::string(w.line));
    s->set_window_start(w.window_start);
    s->set_inbound(w.inbound);
    s->set_missed(w.missed);
  }
  void RecordFact(const Fact& f) override {
    if (f.kind != FactKind::kInboundStarted) return;
    v1::LineStarts* s = update.add_starts();
    s->set_line(std::string(f.line));
    s->add_at(f.time);
  }
  v1::LineUpdate update;
};

std::set<std::string> Ids(const std::vector<v1::Alert>& alerts, TimeNs until) {
  std::set<std::string> ids;
  for (const v1::Alert& a : alerts) {
    if (a.kind() != v1::Alert::MISSED_RATE_HIGH &&
        a.kind() != v1::Alert::LINE_SILENT) {
      continue;
    }
    if (FromProto(a.window_end()) <= until) ids.insert(a.alert_id());
  }
  return ids;
}

void ExpectMergerEqualsReplay(uint64_t seed, bool repeat_updates) {
  const EngineOptions options = Options();
  const std::vector<v1::CallEvent> events = Traffic(seed);

  // Replay: one engine, one aggregator.
  EngineHarness replay(options);
  for (const auto& e : events) {
    ASSERT_THAT(replay.Apply(e), IsOk());
  }

  // The pipeline: partitions by caller, cycles of random length.
  std::mt19937_64 rng(seed * 7 + 1);
  struct Part {
    Engine engine;
    InMemoryState state;
    PartitionSink sink;
    int in_cycle = 0;
    explicit Part(const EngineOptions& o) : engine(o) {}
  };
  std::vector<std::unique_ptr<Part>> parts;
  for (int p = 0; p < kPartitions; ++p) {
    parts.push_back(std::make_unique<Part>(options));
  }
  LineMerger merger(options, kPartitions);
  int64_t offset = 0;
  std::vector<v1::LineUpdate> log;
  auto publish = [&](int p) {
    Part& part = *parts[p];
    v1::LineUpdate u = std::move(part.sink.update);
    part.sink.update.Clear();
    u.set_source_partition(p);
    u.set_watermark(part.state.MutablePartition().watermark());
    u.set_first_watermark(part.state.MutablePartition().first_watermark());
    log.push_back(u);
    if (getenv("MDEBUG")) {
      for (const auto& st : u.starts()) {
        if (st.line() != "quiet") continue;
        for (auto at : st.at()) {
          if (at < T("2026-03-02T00:40:00Z")) {
            fprintf(stderr, "off %ld p%d start %s wm %s merged %s\n", offset, p,
                    FormatTime(at).c_str(), FormatTime(u.watermark()).c_str(),
                    FormatTime(merger.watermark()).c_str());
          }
        }
      }
    }
    merger.Apply(u, offset++);
    if (repeat_updates && rng() % 3 == 0 && log.size() > 2) {
      merger.Apply(log[log.size() - 2 - rng() % (log.size() - 1)], offset++);
    }
    part.in_cycle = 0;
  };
  for (const auto& e : events) {
    const int p = static_cast<int>(StableHash(e.caller()) % kPartitions);
    Part& part = *parts[p];
    ASSERT_THAT(part.engine.Process(e, part.state, part.sink), IsOk());
    if (++part.in_cycle >= 1 + static_cast<int>(rng() % 40)) publish(p);
  }
  for (int p = 0; p < kPartitions; ++p) publish(p);

  const TimeNs until = merger.watermark();
  ASSERT_GT(until, 0);
  const std::set<std::string> want = Ids(replay.sink().alerts, until);
  const std::set<std::string> got = Ids(merger.DecidedFrom(0), until);
  EXPECT_GE(want.size(), 5u) << "the traffic should raise line alerts";
  EXPECT_EQ(got, want);
  // Every decided alert is one replay raised, byte for byte.
  std::map<std::string, std::string> replay_alerts;
  for (const v1::Alert& a : replay.sink().alerts) {
    replay_alerts[a.alert_id()] = a.SerializeAsString();
  }
  for (const v1::Alert& a : merger.DecidedFrom(0)) {
    EXPECT_EQ(replay_alerts[a.alert_id()], a.SerializeAsString())
        << a.alert_id();
  }
}

TEST(LineMergerTest, PartitionedCyclesGiveReplayLineAlerts) {
  for (uint64_t seed : {1, 2, 3}) ExpectMergerEqualsReplay(seed, false);
}

TEST(LineMergerTest, RepeatedUpdatesCountOnce) {
  for (uint64_t seed : {4, 5}) ExpectMergerEqualsReplay(seed, true);
}

TEST(LineMergerTest, APartitionThatNeverReportedHoldsWindowsBack) {
  const EngineOptions options = Options();
  LineMerger merger(options, 2);
  v1::LineUpdate u;
  u.set_source_partition(0);
  u.set_watermark(T("2026-03-02T10:00:00Z"));
  u.set_first_watermark(T("2026-03-02T09:00:00Z"));
  merger.Apply(u, 0);
  EXPECT_EQ(merger.watermark(), 0);
  // Idle without ever having had an event: it no longer holds back.
  v1::LineUpdate idle;
  idle.set_source_partition(1);
  idle.set_idle_without_events(true);
  merger.Apply(idle, 1);
  EXPECT_EQ(merger.watermark(), T("2026-03-02T10:00:00Z"));
  // Once it has events, its watermark counts like any other.
  v1::LineUpdate late;
  late.set_source_partition(1);
  late.set_watermark(T("2026-03-02T10:30:00Z"));
  merger.Apply(late, 2);
  u.set_watermark(T("2026-03-02T11:00:00Z"));
  merger.Apply(u, 3);
  EXPECT_EQ(merger.watermark(), T("2026-03-02T10:30:00Z"));
}

}  // namespace
}  // namespace callflow::rules::testing
