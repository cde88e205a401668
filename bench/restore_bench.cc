#include "bench/restore_bench.h"

#include <fmt/format.h>
#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "callflow/v1/state.pb.h"
#include "processor/pipeline/internal/changelog_records.h"
#include "processor/pipeline/internal/changelog_restore.h"
#include "processor/pipeline/internal/output_producer.h"
#include "processor/pipeline/mock_cluster.h"
#include "processor/pipeline/topic_partition_list.h"
#include "processor/util/temp_dir.h"
#include "state/keys.h"
#include "state/partition_store.h"
#include "state/state_env.h"

namespace callflow::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr char kTopic[] = "bench.changelog";
constexpr uint64_t kWriter = 1, kRestorer = 2;
// Bytes a partition of the mock may hold before it drops its oldest data.
constexpr double kMockPartitionBytes = 3.0 * (1 << 20);

// A caller record of the size the pipeline stores for a repeat caller.
std::string CallerValue(uint64_t i) {
  v1::CallerState c;
  c.set_caller(fmt::format("+7495{:07d}", i));
  c.set_first_seen_at(1772409600000000000 + static_cast<int64_t>(i));
  c.set_inbound_calls(1 + i % 7);
  c.set_missed_calls(i % 3);
  c.set_last_call_at(1772409600000000000 + static_cast<int64_t>(i) * 1000);
  c.set_last_inbound_line("sales");
  c.add_seen_ids(i * 2654435761u);
  c.add_seen_at(1772409600000000000);
  return c.SerializeAsString();
}

// Fills the changelog: a marker, then cycles of `cycle` records each ended
// by a cycle record, per partition. Returns the end offset per partition.
absl::StatusOr<std::vector<int64_t>> Fill(pipeline::OutputProducer& producer,
                                          const RestoreArgs& args,
                                          int partitions) {
  pipeline::DeliveryTracker tracker(nullptr, /*record_offsets=*/true);
  const std::string marker = [] {
    v1::ChangelogOwner m;
    m.set_owner(kWriter);
    return m.SerializeAsString();
  }();
  const std::string cycle_end = v1::ChangelogCycle().SerializeAsString();
  std::vector<uint64_t> in_cycle(partitions, 0);
  for (int p = 0; p < partitions; ++p) {
    if (auto s = producer.ProduceTo(kTopic, p, pipeline::OwnerKey(kWriter),
                                    &marker, kWriter, &tracker);
        !s.ok()) {
      return s;
    }
  }
  std::string key, value;
  for (uint64_t i = 0; i < args.callers; ++i) {
    const int p = static_cast<int>(i % partitions);
    key = state::keys::CallerKey(fmt::format("+7495{:07d}", i));
    value = CallerValue(i);
    if (auto s = producer.ProduceTo(kTopic, p, key, &value, kWriter, &tracker);
        !s.ok()) {
      return s;
    }
    if (++in_cycle[p] == args.cycle) {
      in_cycle[p] = 0;
      if (auto s = producer.ProduceTo(kTopic, p, pipeline::CycleKey(kWriter),
                                      &cycle_end, kWriter, &tracker);
          !s.ok()) {
        return s;
      }
    }
  }
  for (int p = 0; p < partitions; ++p) {
    if (auto s = producer.ProduceTo(kTopic, p, pipeline::CycleKey(kWriter),
                                    &cycle_end, kWriter, &tracker);
        !s.ok()) {
      return s;
    }
  }
  // The restorer's own markers end what it reads.
  const std::string mine = [] {
    v1::ChangelogOwner m;
    m.set_owner(kRestorer);
    return m.SerializeAsString();
  }();
  std::vector<int64_t> ends(partitions);
  pipeline::DeliveryTracker marker_tracker(nullptr, /*record_offsets=*/true);
  while (!tracker.WaitAll(std::chrono::seconds(5))) {
    Progress("filling: {} of {} records acknowledged", tracker.acked(),
             tracker.produced());
  }
  if (tracker.failed() > 0)
    return absl::UnavailableError(tracker.first_error());
  for (int p = 0; p < partitions; ++p) {
    if (auto s = producer.ProduceTo(kTopic, p, pipeline::OwnerKey(kRestorer),
                                    &mine, kRestorer, &marker_tracker);
        !s.ok()) {
      return s;
    }
  }
  marker_tracker.WaitAll(std::chrono::seconds(60));
  for (int p = 0; p < partitions; ++p) ends[p] = marker_tracker.MaxOffset(p);
  return ends;
}

// Reads every record up to `ends` with one bare consumer; records/s.
absl::StatusOr<double> BareConsume(const pipeline::KafkaProperties& kafka,
                                   const std::vector<int64_t>& ends) {
  auto conf =
      pipeline::MakeKafkaConf(pipeline::KafkaClient::kConsumer,
                              {{"group.id", "bench-raw"},
                               {"enable.auto.commit", "false"},
                               {"queued.min.messages", "1000000"},
                               {"queued.max.messages.kbytes", "1048576"}},
                              kafka);
  if (!conf.ok()) return conf.status();
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> c(
      RdKafka::KafkaConsumer::create(conf->get(), err));
  if (c == nullptr) return absl::InternalError(err);
  pipeline::TopicPartitionList tps;
  int64_t total = 0;
  for (size_t p = 0; p < ends.size(); ++p) {
    tps.Add(kTopic, static_cast<int32_t>(p), RdKafka::Topic::OFFSET_BEGINNING);
    total += ends[p];
  }
  c->assign(tps.get());
  const auto start = Clock::now();
  int64_t read = 0;
  while (read < total) {
    std::unique_ptr<RdKafka::Message> m(c->consume(500));
    if (m->err() == RdKafka::ERR_NO_ERROR &&
        m->offset() < ends[m->partition()]) {
      ++read;
    }
    if (SecondsSince(start) > 600) return absl::DeadlineExceededError("raw");
  }
  const double seconds = SecondsSince(start);
  c->close();
  return static_cast<double>(read) / seconds;
}

}  // namespace

CLI::App* AddRestoreCommand(CLI::App& app, RestoreArgs& args) {
  auto* r = app.add_subcommand(
      "restore",
      "Restore caller state from a changelog topic (as a new owner does) "
      "against a bare consumer reading the same records");
  r->add_option("--callers", args.callers, "Caller records in the changelog")
      ->capture_default_str();
  r->add_option("--partitions", args.partitions,
                "Changelog partitions (0: enough for the mock's 5 MiB each)")
      ->capture_default_str();
  r->add_option("--cycle", args.cycle, "Records per commit cycle")
      ->capture_default_str();
  return r;
}

int RunRestore(const RestoreArgs& args) {
  spdlog::set_level(spdlog::level::warn);
  int partitions = args.partitions;
  if (partitions <= 0) {
    const double bytes =
        static_cast<double>(CallerValue(1).size() + 40) * args.callers;
    partitions = std::clamp(
        static_cast<int>(std::ceil(bytes / kMockPartitionBytes)), 1, 256);
  }
  auto cluster = pipeline::MockCluster::Start(1);
  if (!cluster.ok()) return Fail(cluster.status().ToString());
  if (auto s = (*cluster)->CreateTopic(kTopic, partitions); !s.ok()) {
    return Fail(s.ToString());
  }
  const pipeline::KafkaProperties kafka = {
      {"bootstrap.servers", (*cluster)->bootstraps()}};
  auto producer = pipeline::OutputProducer::Create(kafka);
  if (!producer.ok()) return Fail(producer.status().ToString());
  Progress("filling {} with {} caller records in {} partitions", kTopic,
           args.callers, partitions);
  auto ends = Fill(**producer, args, partitions);
  if (!ends.ok()) return Fail(ends.status().ToString());
  int64_t records = 0;
  for (int64_t e : *ends) records += e;

  Progress("bare consume of the same records");
  auto raw = BareConsume(kafka, *ends);
  if (!raw.ok()) return Fail(raw.status().ToString());

  Progress("restore");
  util::TempDir dir = util::TempDir::CreateOrDie("callflow-restore-bench");
  state::StateOptions options;
  options.dir = dir.path();
  auto env = state::StateEnv::Create(options);
  if (!env.ok()) return Fail(env.status().ToString());
  std::atomic<bool> cancel{false};
  const auto start = Clock::now();
  auto reader = pipeline::ChangelogReader::Create(kafka);
  if (!reader.ok()) return Fail(reader.status().ToString());
  int64_t applied = 0;
  for (int p = 0; p < partitions; ++p) {
    auto store = state::PartitionStore::Open(**env, p);
    if (!store.ok()) return Fail(store.status().ToString());
    auto result = pipeline::RestoreFromChangelog(
        **reader, kTopic, p, (*ends)[p], kRestorer, **store, cancel, nullptr);
    if (!result.ok()) return Fail(result.status().ToString());
    applied += result->changes_applied;
  }
  const double seconds = SecondsSince(start);
  if (applied != static_cast<int64_t>(args.callers)) {
    return Fail(
        fmt::format("restored {} callers, wrote {}", applied, args.callers));
  }
  const double rate = static_cast<double>(records) / seconds;
  std::cout << JsonLine()
                   .Str("bench", "restore")
                   .Int("callers", static_cast<int64_t>(args.callers))
                   .Int("partitions", partitions)
                   .Int("changelog_records", records)
                   .Num("restore_s", seconds)
                   .Num("restore_records_per_s", rate)
                   .Num("raw_consume_records_per_s", *raw)
                   .Num("ratio", rate / *raw)
                   .Num("peak_rss_mb", PeakRssMb())
                   .ToString()
            << std::endl;
  return 0;
}

}  // namespace callflow::bench
