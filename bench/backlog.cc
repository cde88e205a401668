#include "bench/backlog.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_util.h"
#include "bench/kafka_clients.h"
#include "callflow/v1/events.pb.h"
#include "processor/pipeline/internal/murmur2.h"
#include "processor/pipeline/pipeline.h"
#include "processor/rules/engine.h"
#include "processor/rules/time.h"
#include "processor/sim/caller_pool.h"
#include "processor/sim/traffic_simulator.h"
#include "state/partition_store.h"

namespace callflow::bench {
namespace {

using Clock = std::chrono::steady_clock;

// How long the preload's producer may take to deliver its last messages.
constexpr auto kPreloadFlushTimeout = std::chrono::minutes(2);
// How long one watermark query (the check that the mock kept every
// preloaded message) may take.
constexpr auto kWatermarkTimeout = std::chrono::seconds(5);
// linger.ms of the preload's producer.
constexpr char kPreloadLingerMs[] = "5";
// Events simulated to estimate the size of the backlog, and the bytes of
// key and record overhead added to each.
constexpr uint64_t kProbeEvents = 20000;
constexpr uint64_t kRecordOverheadBytes = 13 + 40;
// Bytes an events partition is planned to hold: below the ~5 MiB after
// which the mock drops its oldest data.
constexpr double kPartitionBytes = 3.0 * (1 << 20);

// Partitions of the events topic: `args.partitions`, or enough for the
// mock's ~5 MiB per partition to keep every preloaded message.
int EventPartitions(const BacklogArgs& args, const sim::SimulatorOptions& so) {
  if (args.partitions != 0) return args.partitions;
  sim::TrafficSimulator probe(so);
  v1::CallEvent e;
  uint64_t bytes = 0, n = 0;
  while (n < kProbeEvents && probe.Next(&e)) {
    bytes += e.ByteSizeLong() + kRecordOverheadBytes;
    ++n;
  }
  const double total = static_cast<double>(bytes) / n * args.events;
  return std::clamp(static_cast<int>(std::ceil(total / kPartitionBytes)), 8,
                    1000);
}

// Preload: `args.events` simulated events, keyed like `callflow produce`,
// spread by murmur2 over the partitions (as the processor checks,
// docs/RULES.md §9.3). Returns the end offset of each partition.
absl::StatusOr<std::vector<int64_t>> Preload(const BacklogArgs& args,
                                             const sim::SimulatorOptions& so,
                                             const std::string& brokers,
                                             const std::string& topic,
                                             int partitions) {
  Progress("preloading {} events into {} partitions", args.events, partitions);
  std::vector<int64_t> ends(partitions, 0);
  auto producer = MakeProducer(brokers, kPreloadLingerMs, args.compression);
  rules::EngineOptions key_options;
  rules::Engine keys(key_options);
  sim::TrafficSimulator simulator(so);
  v1::CallEvent e;
  std::string payload;
  const auto start = Clock::now();
  uint64_t n = 0;
  while (n < args.events && simulator.Next(&e)) {
    const std::string key = keys.KeyFor(e);
    const int32_t p = pipeline::Murmur2Partition(key, partitions);
    e.SerializeToString(&payload);
    ProduceOne(*producer, topic, p, key, payload);
    ++ends[p];
    ++n;
    if (n % 500000 == 0) Progress("produced {}", n);
  }
  if (producer->flush(KafkaTimeoutMs(kPreloadFlushTimeout)) !=
      RdKafka::ERR_NO_ERROR) {
    return absl::DeadlineExceededError("preload: flush timed out");
  }
  Progress("preloaded {} events in {:.1f} s ({:.0f}/s, simulation included)", n,
           SecondsSince(start), n / SecondsSince(start));
  // The mock drops the oldest data beyond ~5 MiB per partition: check.
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0, high = 0;
    producer->query_watermark_offsets(topic, p, &low, &high,
                                      KafkaTimeoutMs(kWatermarkTimeout));
    if (low != 0 || high != ends[p]) {
      return absl::OutOfRangeError(absl::StrFormat(
          "partition %d holds [%d, %d), expected [0, %d): use more "
          "--partitions",
          p, low, high, ends[p]));
    }
  }
  return ends;
}

// `status` with "<what>: " before its message.
absl::Status Prefixed(const absl::Status& status, const std::string& what) {
  return absl::Status(status.code(),
                      absl::StrCat(what, ": ", status.message()));
}

}  // namespace

absl::Status CreateStateTopics(pipeline::MockCluster& cluster, int partitions,
                               const std::string& suffix) {
  const pipeline::Topics topics;
  if (absl::Status s = cluster.CreateTopic(
          absl::StrCat(topics.changelog, suffix), partitions);
      !s.ok()) {
    return s;
  }
  return cluster.CreateTopic(absl::StrCat(topics.lines, suffix), 1);
}

absl::Status CreateBenchTopics(pipeline::MockCluster& cluster,
                               const std::string& topic, int partitions,
                               int output_partitions) {
  if (absl::Status s = cluster.CreateTopic(topic, partitions); !s.ok()) {
    return s;
  }
  for (const char* t : {"callflow.tasks", "callflow.alerts",
                        "callflow.contacts", "callflow.dlq"}) {
    if (absl::Status s = cluster.CreateTopic(t, output_partitions); !s.ok()) {
      return s;
    }
  }
  return CreateStateTopics(cluster, partitions);
}

absl::StatusOr<Backlog> StartBacklog(const BacklogArgs& args,
                                     const std::string& topic) {
  sim::SimulatorOptions so;
  so.seed = args.seed;
  so.caller_pool = args.callers;
  so.zipf_exponent = args.zipf;
  Backlog b;
  b.partitions = EventPartitions(args, so);
  auto cluster = pipeline::MockCluster::Start(1);
  if (!cluster.ok()) return cluster.status();
  b.cluster = *std::move(cluster);
  b.brokers = b.cluster->bootstraps();
  if (absl::Status s = CreateBenchTopics(*b.cluster, topic, b.partitions);
      !s.ok()) {
    return s;
  }
  auto ends = Preload(args, so, b.brokers, topic, b.partitions);
  if (!ends.ok()) return ends.status();
  b.ends = *std::move(ends);
  for (int64_t end : b.ends) b.total += static_cast<uint64_t>(end);
  return b;
}

absl::StatusOr<uint64_t> PopulateState(state::StateEnv& env,
                                       const BacklogArgs& args,
                                       int partitions) {
  sim::SimulatorOptions defaults;
  sim::CallerPool pool(args.seed, args.callers, args.zipf,
                       defaults.zipf_offset);
  std::vector<std::unique_ptr<state::PartitionStore>> stores;
  for (int p = 0; p < partitions; ++p) {
    auto store = state::PartitionStore::Open(env, p);
    if (!store.ok()) return Prefixed(store.status(), absl::StrCat("open p", p));
    stores.push_back(*std::move(store));
  }
  std::vector<uint64_t> hashes;
  hashes.reserve(args.callers);
  std::vector<uint32_t> pending(partitions, 0);
  // Commit at the cache budget, so writing the state does not itself lift
  // the process's peak RSS above what the pipeline needs.
  const uint32_t commit_every = static_cast<uint32_t>(std::max<size_t>(
      1000, (args.memory_budget_mb << 20) / 2 / std::max(1, partitions) /
                state::StateEnv::kCachedCallerBytes));
  const rules::TimeNs seen = 1717390800LL * rules::kSecond - 30 * rules::kDay;
  const auto start = Clock::now();
  for (size_t i = 0; i < pool.size(); ++i) {
    const std::string key = absl::StrCat("+7", pool.National(i));
    const uint64_t h = KeyHash(key);
    hashes.push_back(h);
    const int p = pipeline::Murmur2Partition(key, partitions);
    v1::CallerState& r = stores[p]->MutableCaller(key);
    r.set_caller(key);
    r.set_first_seen_at(seen);
    r.set_inbound_calls(1);
    r.set_last_call_at(seen);
    r.set_last_inbound_line("sales");
    if (++pending[p] == commit_every) {
      if (absl::Status s = stores[p]->Commit(std::nullopt); !s.ok()) {
        return Prefixed(s, absl::StrCat("populate p", p));
      }
      pending[p] = 0;
    }
    if ((i + 1) % 1000000 == 0) {
      Progress("state: {} callers written ({:.0f}/s)", i + 1,
               static_cast<double>(i + 1) / SecondsSince(start));
    }
  }
  for (auto& s : stores) {
    if (absl::Status st = s->Commit(std::nullopt); !st.ok()) {
      return Prefixed(st, "populate");
    }
  }
  // Closed as callflow's clean stop leaves them: flushed, no log to replay.
  stores.clear();
  std::sort(hashes.begin(), hashes.end());
  const uint64_t distinct =
      std::unique(hashes.begin(), hashes.end()) - hashes.begin();
  hashes = std::vector<uint64_t>();
  Progress("state: {} distinct callers in {} partitions in {:.1f} s", distinct,
           partitions, SecondsSince(start));
  return distinct;
}

}  // namespace callflow::bench
