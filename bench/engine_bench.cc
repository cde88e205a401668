#include "bench/engine_bench.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "bench/bench_util.h"
#include "callflow/v1/events.pb.h"
#include "processor/rules/engine.h"
#include "processor/rules/output_sink.h"
#include "processor/rules/testing/counting_sink.h"
#include "processor/rules/testing/in_memory_state.h"

namespace callflow::bench {
namespace {

using Clock = std::chrono::steady_clock;
using rules::CountingSink;

// CPU seconds this thread ran: the engine's rate per core on a shared,
// loaded machine (wall time counts the time other processes had the core).
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

// A hash-map StateView: the shape of PartitionStore's in-memory cache
// without RocksDB behind it (rules::InMemoryState is an ordered map for
// tests). Not thread-safe, like every StateView.
class HashState : public rules::StateView {
 public:
  v1::CallerState& MutableCaller(std::string_view key) override {
    auto it = callers_.find(absl::string_view(key.data(), key.size()));
    if (it != callers_.end()) return it->second;
    return callers_[std::string(key)];
  }
  void EraseCaller(std::string_view key) override {
    callers_.erase(absl::string_view(key.data(), key.size()));
  }
  v1::PartitionState& MutablePartition() override { return partition_; }
  void AddTimer(const rules::Timer& timer) override { timers_.insert(timer); }
  std::optional<rules::Timer> PopDueTimer(rules::TimeNs watermark) override {
    if (timers_.empty() || timers_.begin()->due > watermark) {
      return std::nullopt;
    }
    return std::move(timers_.extract(timers_.begin()).value());
  }
  size_t callers() const { return callers_.size(); }

 private:
  absl::node_hash_map<std::string, v1::CallerState> callers_;
  v1::PartitionState partition_;
  std::set<rules::Timer> timers_;
};

// `args.events` simulated events, in memory.
std::vector<v1::CallEvent> SimulateEvents(const EngineArgs& args) {
  sim::SimulatorOptions so;
  so.seed = args.seed;
  so.caller_pool = args.callers;
  Progress("simulating {} events ({} callers in the pool)", args.events,
           args.callers);
  std::vector<v1::CallEvent> events;
  events.reserve(args.events);
  sim::TrafficSimulator simulator(so);
  v1::CallEvent e;
  while (events.size() < args.events && simulator.Next(&e)) {
    events.push_back(e);
  }
  return events;
}

}  // namespace

CLI::App* AddEngineCommand(CLI::App& app, EngineArgs& args) {
  auto* e = app.add_subcommand(
      "engine", "The rules engine alone on simulated events, in-memory state");
  e->add_option("--events", args.events, "Events to simulate and apply")
      ->capture_default_str();
  e->add_option("--callers", args.callers, "Simulator caller pool size")
      ->capture_default_str();
  e->add_option("--seed", args.seed, "Simulator seed")->capture_default_str();
  e->add_option("--state", args.state,
                "hash (hash map, like the store's cache) or map "
                "(rules::InMemoryState)")
      ->check(CLI::IsMember({"hash", "map"}))
      ->capture_default_str();
  e->add_option("--repeat", args.repeat, "Runs; the best is reported")
      ->capture_default_str();
  e->add_flag("--warm-numbers", args.warm_numbers,
              "Normalize every caller number once before timing (steady "
              "state: the first libphonenumber parse of a number is left out)");
  return e;
}

int RunEngine(const EngineArgs& args) {
  const std::vector<v1::CallEvent> events = SimulateEvents(args);
  rules::EngineOptions options;
  double best = 0, best_cpu = 0;
  uint64_t outputs = 0;
  size_t state_callers = 0;
  for (int r = 0; r < args.repeat; ++r) {
    rules::Engine engine(options);
    CountingSink sink;
    std::unique_ptr<rules::StateView> state;
    if (args.state == "map") {
      state = std::make_unique<rules::InMemoryState>();
    } else {
      state = std::make_unique<HashState>();
    }
    if (args.warm_numbers) {  // steady state: every number parsed before
      for (const v1::CallEvent& e : events) {
        engine.normalizer().Normalize(e.caller());
      }
    }
    uint64_t rejected = 0;
    const double cpu_start = ThreadCpuSeconds();
    const auto start = Clock::now();
    for (const v1::CallEvent& e : events) {
      if (!engine.Process(e, *state, sink).ok()) ++rejected;
    }
    const double seconds = SecondsSince(start);
    const double cpu = ThreadCpuSeconds() - cpu_start;
    const double rate = static_cast<double>(events.size()) / seconds;
    const double cpu_rate = static_cast<double>(events.size()) / cpu;
    Progress(
        "run {}: {} events in {:.3f} s wall, {:.3f} s CPU = {:.0f} "
        "events/s ({:.0f} per CPU second; {} outputs, {} rejected)",
        r + 1, events.size(), seconds, cpu, rate, cpu_rate, sink.outputs,
        rejected);
    best = std::max(best, rate);
    best_cpu = std::max(best_cpu, cpu_rate);
    outputs = sink.outputs;
    if (auto* h = dynamic_cast<HashState*>(state.get())) {
      state_callers = h->callers();
    } else {
      state_callers =
          static_cast<rules::InMemoryState*>(state.get())->callers().size();
    }
  }
  std::cout << JsonLine()
                   .Num("events_per_s", best)
                   .Num("events_per_cpu_s", best_cpu)
                   .Int("events", static_cast<int64_t>(events.size()))
                   .Int("outputs", static_cast<int64_t>(outputs))
                   .Int("callers_in_state", static_cast<int64_t>(state_callers))
                   .Str("state", args.state)
                   .Int("repeat", args.repeat)
                   .Int("warm_numbers", args.warm_numbers ? 1 : 0)
                   .ToString()
            << std::endl;
  return 0;
}

}  // namespace callflow::bench
