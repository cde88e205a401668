// Micro benchmarks of the hot paths (docs/PERFORMANCE.md). Run in Release:
//   callflow_micro_bench --benchmark_min_time=0.5
// Every input comes from the traffic simulator or is built here; nothing is
// read from disk except the RocksDB temp dirs the state benches create.

#include <atomic_queue/atomic_queue.h>
#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>

#include <array>
#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "callflow/v1/events.pb.h"
#include "callflow/v1/outputs.pb.h"
#include "processor/codec/codec.h"
#include "processor/rules/engine.h"
#include "processor/rules/options.h"
#include "processor/rules/output_sink.h"
#include "processor/rules/phone_normalizer.h"
#include "processor/rules/testing/counting_sink.h"
#include "processor/rules/testing/in_memory_state.h"
#include "processor/rules/time.h"
#include "processor/sim/traffic_simulator.h"
#include "processor/util/temp_dir.h"
#include "state/partition_store.h"
#include "state/state_env.h"

namespace callflow::bench {
namespace {

using rules::CountingSink;

// The first `n` events of the default simulation (seed 1).
const std::vector<v1::CallEvent>& SimEvents(size_t n) {
  static std::vector<v1::CallEvent> events;
  if (events.size() < n) {
    events.clear();
    sim::SimulatorOptions options;
    sim::TrafficSimulator simulator(options);
    v1::CallEvent e;
    while (events.size() < n && simulator.Next(&e)) events.push_back(e);
  }
  return events;
}

std::vector<std::string> SerializedSimEvents(size_t n) {
  std::vector<std::string> out;
  for (const auto& e : SimEvents(n)) out.push_back(e.SerializeAsString());
  return out;
}

// ---------------------------------------------------------------- decode --

void BM_DecodeCallEvent_Reused(benchmark::State& state) {
  const std::vector<std::string> payloads = SerializedSimEvents(4096);
  v1::CallEvent event;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& p = payloads[i++ & 4095];
    benchmark::DoNotOptimize(event.ParseFromString(p));
    bytes += p.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_DecodeCallEvent_Reused);

void BM_DecodeCallEvent_Arena(benchmark::State& state) {
  const std::vector<std::string> payloads = SerializedSimEvents(4096);
  google::protobuf::ArenaOptions options;
  options.start_block_size = 4096;
  options.max_block_size = 64 << 10;
  google::protobuf::Arena arena(options);
  size_t i = 0;
  for (auto _ : state) {
    auto* event = google::protobuf::Arena::CreateMessage<v1::CallEvent>(&arena);
    benchmark::DoNotOptimize(event->ParseFromString(payloads[i++ & 4095]));
    if ((i & 255) == 0) arena.Reset();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeCallEvent_Arena);

void BM_DecodeCallEvent_New(benchmark::State& state) {
  const std::vector<std::string> payloads = SerializedSimEvents(4096);
  size_t i = 0;
  for (auto _ : state) {
    v1::CallEvent event;
    benchmark::DoNotOptimize(event.ParseFromString(payloads[i++ & 4095]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeCallEvent_New);

// ------------------------------------------------------- normalization --

std::vector<std::string> RawNumbers() {
  std::vector<std::string> raw;
  for (const auto& e : SimEvents(20000)) raw.push_back(e.caller());
  return raw;
}

// Every call parses with libphonenumber (a cache of size 0 never hits, the
// digits rule is off).
void BM_NormalizePhone_Cold(benchmark::State& state) {
  const std::vector<std::string> raw = RawNumbers();
  rules::PhoneNormalizer normalizer("RU", /*max_cache_entries=*/0,
                                    /*digits_rule=*/false);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(normalizer.Normalize(raw[i++ % raw.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NormalizePhone_Cold);

// A number never seen before, in one of the simulator's forms: the digits
// rule answers (every simulated form is one it reads), no cache.
void BM_NormalizePhone_DigitsRule(benchmark::State& state) {
  const std::vector<std::string> raw = RawNumbers();
  rules::PhoneNormalizer normalizer("RU", /*max_cache_entries=*/0);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(normalizer.Normalize(raw[i++ % raw.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NormalizePhone_DigitsRule);

// The simulated numbers repeat: after the first pass every call hits (the
// digits rule is off, so the cache answers).
void BM_NormalizePhone_Cached(benchmark::State& state) {
  const std::vector<std::string> raw = RawNumbers();
  rules::PhoneNormalizer normalizer("RU", size_t{1} << 20,
                                    /*digits_rule=*/false);
  for (const auto& r : raw) normalizer.Normalize(r);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(normalizer.Normalize(raw[i++ % raw.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NormalizePhone_Cached);

// ----------------------------------------------------------------- engine --

// The whole simulated stream through a fresh engine and InMemoryState.
void BM_EngineApply_SimStream(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const std::vector<v1::CallEvent>& events = SimEvents(n);
  rules::EngineOptions options;
  for (auto _ : state) {
    state.PauseTiming();
    auto engine = std::make_unique<rules::Engine>(options);
    auto mem = std::make_unique<rules::InMemoryState>();
    CountingSink sink;
    state.ResumeTiming();
    for (size_t i = 0; i < n; ++i) {
      benchmark::DoNotOptimize(engine->Process(events[i], *mem, sink));
    }
    state.PauseTiming();
    engine.reset();
    mem.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_EngineApply_SimStream)->Arg(100000)->Unit(benchmark::kMillisecond);

// Mean cost per event type inside the simulated stream (each Process call is
// timed with steady_clock, which adds ~20-40 ns to every number).
void BM_EngineApply_PerType(benchmark::State& state) {
  const std::vector<v1::CallEvent>& events = SimEvents(100000);
  rules::EngineOptions options;
  constexpr int kTypes = v1::CallEvent::kAlarm + 1;
  std::array<double, kTypes> ns{};
  std::array<uint64_t, kTypes> count{};
  for (auto _ : state) {
    rules::Engine engine(options);
    rules::InMemoryState mem;
    CountingSink sink;
    for (const v1::CallEvent& e : events) {
      const auto t0 = std::chrono::steady_clock::now();
      benchmark::DoNotOptimize(engine.Process(e, mem, sink));
      const auto t1 = std::chrono::steady_clock::now();
      ns[e.body_case()] +=
          std::chrono::duration<double, std::nano>(t1 - t0).count();
      ++count[e.body_case()];
    }
  }
  // body_case() values are the oneof fields' numbers.
  for (int t = 1; t < kTypes; ++t) {
    if (count[t] == 0) continue;
    const auto* f = v1::CallEvent::descriptor()->FindFieldByNumber(t);
    const std::string name = f != nullptr ? f->name() : absl::StrCat(t);
    state.counters["ns_" + name] = ns[t] / static_cast<double>(count[t]);
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(events.size()));
}
BENCHMARK(BM_EngineApply_PerType)->Unit(benchmark::kMillisecond)->Iterations(3);

// ------------------------------------------------------------------ state --

using util::TempDir;

std::string CallerKey(uint64_t i) {
  return absl::StrFormat("+7495%07d", i % 10000000);
}

// A store call that failed makes every number after it meaningless: stop.
void OrDie(const absl::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "callflow_micro_bench: %s\n",
                 std::string(status.message()).c_str());
    std::exit(2);
  }
}

// A store holding `callers` committed records, with a `cached` caller cache.
struct StoreFixture {
  StoreFixture(size_t callers, size_t cached) {
    state::StateOptions options;
    options.dir = dir.path();
    options.cached_callers_per_partition = cached;
    env = *state::StateEnv::Create(options);
    store = *state::PartitionStore::Open(*env, 0);
    for (size_t i = 0; i < callers; ++i) {
      v1::CallerState& r = store->MutableCaller(CallerKey(i));
      r.set_caller(CallerKey(i));
      r.set_first_seen_at(1717390800LL * rules::kSecond);
      r.set_inbound_calls(1);
      if ((i + 1) % 50000 == 0) OrDie(store->Commit(static_cast<int64_t>(i)));
    }
    OrDie(store->Commit(static_cast<int64_t>(callers)));
  }
  TempDir dir = TempDir::CreateOrDie("callflow-bench");
  std::unique_ptr<state::StateEnv> env;
  std::unique_ptr<state::PartitionStore> store;
};

// Read-modify-write of callers that are all in the in-memory cache.
void BM_StateGetPut_Cached(benchmark::State& state) {
  StoreFixture f(/*callers=*/10000, /*cached=*/20000);
  uint64_t i = 0;
  for (auto _ : state) {
    v1::CallerState& r = f.store->MutableCaller(CallerKey(i++ % 10000));
    r.set_inbound_calls(r.inbound_calls() + 1);
    if ((i & 511) == 0) OrDie(f.store->Commit(static_cast<int64_t>(i)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StateGetPut_Cached);

// Read-modify-write of random callers missing from a tiny cache: one
// RocksDB Get per event, one WriteBatch per 512 events.
void BM_StateGetPut_RocksDbGet(benchmark::State& state) {
  const size_t callers = static_cast<size_t>(state.range(0));
  StoreFixture f(callers, /*cached=*/1024);
  uint64_t x = 88172645463325252ULL, i = 0;
  for (auto _ : state) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v1::CallerState& r = f.store->MutableCaller(CallerKey(x % callers));
    r.set_inbound_calls(r.inbound_calls() + 1);
    if ((++i & 511) == 0) OrDie(f.store->Commit(static_cast<int64_t>(i)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StateGetPut_RocksDbGet)->Arg(200000);

// The same with the shard's pattern: a MultiGet prefetch of each batch of
// 512 keys, then the read-modify-writes, then one commit.
void BM_StateGetPut_RocksDbMultiGet(benchmark::State& state) {
  const size_t callers = static_cast<size_t>(state.range(0));
  StoreFixture f(callers, /*cached=*/1024);
  uint64_t x = 88172645463325252ULL;
  std::vector<std::string> keys(512);
  int64_t offset = 0;
  for (auto _ : state) {
    for (auto& k : keys) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      k = CallerKey(x % callers);
    }
    std::vector<std::string> sorted = keys;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    OrDie(f.store->Prefetch(sorted));
    for (const auto& k : keys) {
      v1::CallerState& r = f.store->MutableCaller(k);
      r.set_inbound_calls(r.inbound_calls() + 1);
    }
    OrDie(f.store->Commit(++offset));
  }
  state.SetItemsProcessed(state.iterations() * 512);
}
BENCHMARK(BM_StateGetPut_RocksDbMultiGet)->Arg(200000);

// ------------------------------------------------------------- SPSC ring --

// One producer thread pushes `kItems` pointers, the benchmark thread pops
// them; items/s is the hand-off rate. Capacity as the pipeline's default.
constexpr size_t kRingCapacity = 65536;
constexpr uint64_t kItems = 1 << 20;

void BM_SpscRing_AtomicQueue(benchmark::State& state) {
  using Ring = atomic_queue::AtomicQueueB<uint64_t*, std::allocator<uint64_t*>,
                                          static_cast<uint64_t*>(nullptr), true,
                                          false, true>;
  static uint64_t slots[1024];
  for (auto _ : state) {
    Ring ring(kRingCapacity);
    std::thread producer([&] {
      for (uint64_t i = 0; i < kItems; ++i) {
        while (!ring.try_push(&slots[i & 1023])) {
        }
      }
    });
    uint64_t got = 0;
    uint64_t* p = nullptr;
    while (got < kItems) {
      if (ring.try_pop(p)) {
        benchmark::DoNotOptimize(p);
        ++got;
      }
    }
    producer.join();
  }
  state.SetItemsProcessed(state.iterations() * kItems);
}
BENCHMARK(BM_SpscRing_AtomicQueue)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_SpscRing_BoostLockfree(benchmark::State& state) {
  static uint64_t slots[1024];
  for (auto _ : state) {
    boost::lockfree::spsc_queue<uint64_t*> ring(kRingCapacity);
    std::thread producer([&] {
      for (uint64_t i = 0; i < kItems; ++i) {
        while (!ring.push(&slots[i & 1023])) {
        }
      }
    });
    uint64_t got = 0;
    uint64_t* p = nullptr;
    while (got < kItems) {
      if (ring.pop(p)) {
        benchmark::DoNotOptimize(p);
        ++got;
      }
    }
    producer.join();
  }
  state.SetItemsProcessed(state.iterations() * kItems);
}
BENCHMARK(BM_SpscRing_BoostLockfree)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// --------------------------------------------------------------- outputs --

v1::Task SampleTask() {
  v1::Task t;
  t.set_task_id("cb:+74951234567:s1-123456");
  t.set_kind(v1::Task::CALLBACK);
  t.set_status(v1::Task::OPEN);
  t.set_caller("+74951234567");
  t.set_contact_id("c-0123456789abcdef");
  t.set_line("sales");
  t.set_attempt(1);
  rules::ToProto(1717394400LL * rules::kSecond, t.mutable_due_at());
  t.set_priority(1);
  t.set_missed_calls(1);
  t.set_source_call_id("c1-98765");
  rules::ToProto(1717390800LL * rules::kSecond, t.mutable_created_at());
  return t;
}

void BM_EncodeTask_Proto(benchmark::State& state) {
  const v1::Task task = SampleTask();
  std::string buffer;
  for (auto _ : state) {
    task.SerializeToString(&buffer);
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeTask_Proto);

void BM_EncodeTask_Json(benchmark::State& state) {
  const v1::Task task = SampleTask();
  for (auto _ : state) {
    std::string json = codec::ToJson(task);
    benchmark::DoNotOptimize(json.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeTask_Json);

}  // namespace
}  // namespace callflow::bench

BENCHMARK_MAIN();
