#include "bench/e2e_bench.h"

#include <librdkafka/rdkafkacpp.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "bench/alloc_counter.h"
#include "bench/bench_util.h"
#include "bench/commit_latency_sampler.h"
#include "bench/kafka_clients.h"
#include "bench/pipeline_runner.h"
#include "bench/thread_cpu.h"
#include "processor/pipeline/pipeline.h"
#include "state/state_env.h"

namespace callflow::bench {
namespace {

using Clock = std::chrono::steady_clock;

// How long the bare consumer may go without a message before the raw
// consume counts as stalled, and how long one of its polls waits.
constexpr auto kRawConsumeStallTimeout = std::chrono::minutes(10);
constexpr auto kRawConsumePoll = std::chrono::milliseconds(100);
// How long a pipeline pass may take to commit the backlog before it counts
// as stalled.
constexpr auto kPassStallTimeout = std::chrono::minutes(30);
// How often a pass samples its RSS.
constexpr auto kRssPeriod = std::chrono::milliseconds(100);

// One pipeline pass of the e2e bench: with or without the changelog and the
// key check, in round `round` (the passes of a round run back to back).
struct PassSpec {
  bool changelog = true;
  bool key_check = true;
  int round = 0;
};

// Each e2e pass has its own group, changelog and lines topics: their names
// end in this suffix, e.g. ".cl-on.kc-off.1".
std::string PassSuffix(const PassSpec& pass) {
  return absl::StrCat(".cl-", pass.changelog ? "on" : "off", ".kc-",
                      pass.key_check ? "on" : "off", ".", pass.round);
}

// What one pipeline pass over the preloaded topic measured.
struct PipelinePass {
  double seconds = 0;         // first consume to the last commit
  double rate = 0;            // events committed per second
  double processed_rate = 0;  // events processed per second
  double p50_ms = 0, p99_ms = 0;
  double rss_peak = 0, rss_before = 0;
  uint64_t distinct = 0;
  uint64_t commits = 0, commit_us = 0;
  double cpu_seconds = 0;  // CPU time of the whole process during the pass
  // CPU by thread name from the first consumed event to the last commit.
  std::map<std::string, double> cpu_by_thread;
  // From the first consumed event to the last commit: operator new calls,
  // and context switches of every thread (voluntary and not: the wake-ups).
  uint64_t allocations = 0;
  uint64_t context_switches = 0;
  double first_consume_ms = 0, done_ms = 0;  // the steady clock's ms
  // From the pipeline's start until every partition was loaded (its store
  // opened, its owner marker acknowledged, its changelog restored), and
  // until the first event was consumed.
  double load_seconds = 0, first_consume_seconds = 0;
  int shards = 0;
};

// The passes run, by {changelog, key_check}: one PipelinePass per round.
using Mode = std::pair<bool, bool>;
using PassesByMode = std::map<Mode, std::vector<PipelinePass>>;

// The ceiling: a bare consumer reading the whole backlog, doing nothing.
// Returns its messages per second.
absl::StatusOr<double> RawConsumeRate(const Backlog& backlog) {
  auto consumer = MakeConsumer(backlog.brokers, "bench-raw");
  AssignAll(*consumer, kEventsTopic, backlog.partitions,
            RdKafka::Topic::OFFSET_BEGINNING);
  uint64_t got = 0, bytes = 0;
  std::optional<Clock::time_point> first;
  const auto start = Clock::now();
  while (got < backlog.total) {
    std::unique_ptr<RdKafka::Message> m(
        consumer->consume(KafkaTimeoutMs(kRawConsumePoll)));
    if (m->err() == RdKafka::ERR_NO_ERROR) {
      if (!first) first = Clock::now();
      ++got;
      bytes += m->len();
    } else if (Clock::now() - start > kRawConsumeStallTimeout) {
      return absl::DeadlineExceededError("raw consume: stalled");
    }
  }
  const double seconds = SecondsSince(*first);
  const double rate = static_cast<double>(backlog.total) / seconds;
  Progress("raw consume: {} messages in {:.2f} s = {:.0f} msgs/s",
           backlog.total, seconds, rate);
  consumer->close();
  return rate;
}

// The pipeline's config for a pass: its own group, changelog and lines
// topics.
pipeline::PipelineConfig PassConfig(const E2eArgs& args,
                                    const std::string& brokers,
                                    const PassSpec& spec) {
  const std::string suffix = PassSuffix(spec);
  pipeline::PipelineConfig config;
  config.kafka = {{"bootstrap.servers", brokers},
                  {"consumer.session.timeout.ms", kGroupSessionTimeoutMs}};
  config.options.shards = args.shards;
  config.options.commit_interval_ms = args.commit_interval_ms;
  config.options.group_id = absl::StrCat("callflow-bench", suffix);
  config.options.changelog = spec.changelog;
  config.input.check_keys = spec.key_check;
  config.topics.changelog = absl::StrCat(config.topics.changelog, suffix);
  config.topics.lines = absl::StrCat(config.topics.lines, suffix);
  return config;
}

int ActivePartitions(const pipeline::PipelineStats& stats) {
  int n = 0;
  for (const auto& p : stats.partitions) {
    n += p.phase.load() == static_cast<int>(pipeline::PartitionPhase::kActive);
  }
  return n;
}

// Samples a running pass until it has committed `total` events (progress
// once a second); fills the rates, CPU time, peak RSS and commit counts of
// `pass`.
absl::Status WatchPass(pipeline::PipelineStats& stats,
                       CommitLatencySampler& sampler, uint64_t total,
                       int partitions, PipelinePass& pass) {
  const auto start = Clock::now();
  const double cpu_start = ProcessCpuSeconds();
  // Taken when the sampler first sees a consumed offset (within its 1 ms
  // period): what the group join and the partitions' loading cost stays out.
  std::optional<uint64_t> allocations_start, switches_start;
  std::optional<ThreadCpuSnapshot> threads_start;
  double processed_ms = -1, loaded_s = -1, rss_peak = 0;
  double first_consume_s = -1;
  int64_t last_report = 0;
  auto next_rss = Clock::now();
  while (true) {
    const int64_t committed = sampler.Sample();
    const double now_ms = CommitLatencySampler::NowMs();
    if (!allocations_start && sampler.first_consume_ms() >= 0) {
      first_consume_s = SecondsSince(start);
      allocations_start = AllocationCount();
      switches_start = ProcessContextSwitches();
      threads_start = ThreadCpuSnapshot::Take();
    }
    if (loaded_s < 0 && ActivePartitions(stats) == partitions) {
      loaded_s = SecondsSince(start);
    }
    if (processed_ms < 0 && stats.TotalProcessed() >= total) {
      processed_ms = now_ms;
    }
    if (Clock::now() >= next_rss) {
      rss_peak = std::max(rss_peak, RssMb());
      next_rss += kRssPeriod;
      const int64_t s = static_cast<int64_t>(SecondsSince(start));
      if (s > last_report) {
        last_report = s;
        Progress(
            "pipeline: partitions loaded {}/{} consumed {} processed {} "
            "committed {} rss {:.0f} MiB",
            ActivePartitions(stats), partitions, stats.TotalConsumed(),
            stats.TotalProcessed(), committed, RssMb());
      }
    }
    if (committed >= static_cast<int64_t>(total)) break;
    if (Clock::now() - start > kPassStallTimeout) {
      return absl::DeadlineExceededError("pipeline: stalled");
    }
    std::this_thread::sleep_for(CommitLatencySampler::kSamplePeriod);
  }
  const double done_ms = CommitLatencySampler::NowMs();
  // Every thread of this process, the mock brokers' included: steadier than
  // wall time on a shared machine (another tenant's load stretches wall
  // time, much less the CPU time the same work takes).
  pass.cpu_seconds = ProcessCpuSeconds() - cpu_start;
  if (threads_start) {
    pass.cpu_by_thread = ThreadCpuSnapshot::Take().SecondsSince(*threads_start);
  }
  // Everything the process did meanwhile: the pipeline's threads, the mock
  // brokers' (no operator new: C), and this thread's sampling.
  pass.allocations = AllocationCount() - allocations_start.value_or(0);
  pass.context_switches = ProcessContextSwitches() - switches_start.value_or(0);
  pass.first_consume_ms = sampler.first_consume_ms();
  pass.done_ms = done_ms;
  pass.rss_peak = std::max(rss_peak, RssMb());
  pass.seconds = (done_ms - sampler.first_consume_ms()) / 1000.0;
  pass.load_seconds = loaded_s;
  pass.first_consume_seconds = first_consume_s;
  pass.rate = static_cast<double>(total) / pass.seconds;
  pass.processed_rate = static_cast<double>(total) /
                        ((processed_ms - sampler.first_consume_ms()) / 1000.0);
  for (int s = 0; s < stats.shard_count; ++s) {
    pass.commits += stats.shards[s].commits.load();
    pass.commit_us += stats.shards[s].commit_us_total.load();
  }
  return absl::OkStatus();
}

// The full pipeline over the preloaded topic, on a freshly populated state
// (its own dir, group and state topics), with the changelog and the key
// check on or off.
absl::StatusOr<PipelinePass> RunPipelinePass(const E2eArgs& args,
                                             const Backlog& backlog,
                                             const PassSpec& spec) {
  PipelinePass pass;
  if (absl::Status s = CreateStateTopics(*backlog.cluster, backlog.partitions,
                                         PassSuffix(spec));
      !s.ok()) {
    return s;
  }
  auto dir = WorkDir::Create(
      args.state_dir.empty()
          ? ""
          : absl::StrCat(args.state_dir, "/state", PassSuffix(spec)),
      "e2e");
  if (!dir.ok()) return dir.status();
  state::StateOptions state_options;
  state_options.dir = dir->path();
  state_options.memory_budget_bytes = args.backlog.memory_budget_mb << 20;
  auto env = state::StateEnv::Create(state_options);
  if (!env.ok()) return env.status();
  auto distinct = PopulateState(**env, args.backlog, backlog.partitions);
  if (!distinct.ok()) return distinct.status();
  pass.distinct = *distinct;
  malloc_trim(0);
  pass.rss_before = RssMb();

  auto pipeline = pipeline::Pipeline::Create(
      PassConfig(args, backlog.brokers, spec), **env);
  if (!pipeline.ok()) return pipeline.status();
  pipeline::PipelineStats& stats = (*pipeline)->stats();
  PipelineRunner runner(**pipeline);
  CommitLatencySampler sampler(stats, backlog.partitions);
  if (absl::Status s =
          WatchPass(stats, sampler, backlog.total, backlog.partitions, pass);
      !s.ok()) {
    return s;
  }
  const uint64_t total = backlog.total;
  Progress(
      "pipeline (changelog {}, key check {}, round {}): {} events committed "
      "in {:.2f} s = {:.0f} events/s (processed at {:.0f}/s); {} tasks {} "
      "alerts {} contacts {} dead letters, {} commits; first event consumed "
      "{:.2f} s and every partition loaded {:.2f} s after the start; {:.2f} "
      "CPU-s = {:.0f} "
      "events per CPU-second; {:.1f} allocations (operator new) per event, "
      "{:.0f} context switches per 1K events (steady clock {:.0f}..{:.0f} "
      "ms)",
      spec.changelog ? "on" : "off", spec.key_check ? "on" : "off", spec.round,
      total, pass.seconds, pass.rate, pass.processed_rate, stats.tasks.load(),
      stats.alerts.load(), stats.contacts.load(), stats.TotalDeadLetters(),
      pass.commits, pass.first_consume_seconds, pass.load_seconds,
      pass.cpu_seconds, total / pass.cpu_seconds,
      static_cast<double>(pass.allocations) / total,
      pass.context_switches * 1000.0 / total, pass.first_consume_ms,
      pass.done_ms);
  Progress("pipeline pass CPU by thread, in cores: {}",
           TopThreadsInCores(pass.cpu_by_thread, pass.seconds, 12));
  const absl::Status run_status = runner.Stop();
  pass.shards = (*pipeline)->shard_count();
  if (!run_status.ok()) {
    Progress("pipeline run: {}", run_status.ToString());
    return run_status;
  }
  pass.p50_ms = sampler.latency().Quantile(0.50);
  pass.p99_ms = sampler.latency().Quantile(0.99);
  return pass;
}

// The full pipeline over the same messages, with the changelog and the key
// check on and/or off (as the flags say), round after round.
absl::StatusOr<PassesByMode> RunPasses(const E2eArgs& args,
                                       const Backlog& backlog) {
  auto modes = [](const std::string& flag) {
    std::vector<bool> out;
    if (flag != "off") out.push_back(true);
    if (flag != "on") out.push_back(false);
    return out;
  };
  PassesByMode passes;
  for (int round = 0; round < args.rounds; ++round) {
    std::vector<PassSpec> specs;
    for (bool changelog : modes(args.changelog)) {
      for (bool key_check : modes(args.key_check)) {
        specs.push_back({changelog, key_check, round});
      }
    }
    if (round % 2 == 1) std::reverse(specs.begin(), specs.end());
    for (const PassSpec& spec : specs) {
      auto pass = RunPipelinePass(args, backlog, spec);
      if (!pass.ok()) return pass.status();
      passes[{spec.changelog, spec.key_check}].push_back(*std::move(pass));
    }
  }
  return passes;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string JoinRates(const std::vector<double>& rates) {
  std::string out;
  for (double r : rates) {
    absl::StrAppend(&out, out.empty() ? "" : ",", static_cast<int64_t>(r));
  }
  return out;
}

// Prints the result line: the main mode's pass (the median round) against
// the ceiling, and the costs of the modes the flags compare.
void PrintE2eResult(const E2eArgs& args, const Backlog& backlog,
                    double raw_rate, PassesByMode& passes) {
  // The median of the rounds' costs of turning a feature on (each round's
  // two passes ran back to back).
  auto cost = [&](Mode on, Mode off) {
    std::vector<double> costs;
    for (int r = 0; r < args.rounds; ++r) {
      costs.push_back(1.0 - passes[on][r].rate / passes[off][r].rate);
    }
    return Median(costs);
  };
  auto rates = [&](Mode mode) {
    std::vector<double> out;
    for (const PipelinePass& p : passes[mode]) out.push_back(p.rate);
    return out;
  };
  const bool changelog = args.changelog != "off";
  const bool key_check = args.key_check != "off";
  const std::vector<PipelinePass>& main_passes = passes[{changelog, key_check}];
  // The round whose rate is the median one stands for the main mode.
  std::vector<std::pair<double, size_t>> by_rate;
  for (size_t r = 0; r < main_passes.size(); ++r) {
    by_rate.push_back({main_passes[r].rate, r});
  }
  std::sort(by_rate.begin(), by_rate.end());
  const PipelinePass& main = main_passes[by_rate[by_rate.size() / 2].second];
  const uint64_t total = backlog.total;
  JsonLine json;
  if (args.changelog == "both") {
    json.Num("events_per_s_changelog_off", Median(rates({false, key_check})))
        .Num("changelog_cost", cost({true, key_check}, {false, key_check}));
  }
  if (args.key_check == "both") {
    json.Num("events_per_s_key_check_on", Median(rates({changelog, true})))
        .Num("events_per_s_key_check_off", Median(rates({changelog, false})))
        .Num("key_check_cost", cost({changelog, true}, {changelog, false}))
        .Str("key_check_on_rates", JoinRates(rates({changelog, true})))
        .Str("key_check_off_rates", JoinRates(rates({changelog, false})));
  }
  if (args.rounds > 1) json.Int("rounds", args.rounds);
  std::cout << json.Str("changelog", changelog ? "on" : "off")
                   .Str("key_check", key_check ? "on" : "off")
                   .Num("events_per_s", main.rate)
                   .Num("raw_consume_events_per_s", raw_rate)
                   .Num("ratio", raw_rate > 0 ? main.rate / raw_rate : 0)
                   .Num("p50_ms", main.p50_ms)
                   .Num("p99_ms", main.p99_ms)
                   .Num("rss_mb", main.rss_peak)
                   .Int("callers", static_cast<int64_t>(main.distinct))
                   .Int("events", static_cast<int64_t>(total))
                   .Int("partitions", backlog.partitions)
                   .Int("shards", main.shards)
                   .Num("processed_events_per_s", main.processed_rate)
                   .Num("events_per_cpu_s", total / main.cpu_seconds)
                   .Str("malloc", MallocName())
                   .Num("allocs_per_event",
                        static_cast<double>(main.allocations) / total)
                   .Num("context_switches_per_1k_events",
                        main.context_switches * 1000.0 / total)
                   .Num("rss_before_pipeline_mb", main.rss_before)
                   .Int("memory_budget_mb",
                        static_cast<int64_t>(args.backlog.memory_budget_mb))
                   .Int("commit_interval_ms", args.commit_interval_ms)
                   .Int("commits", static_cast<int64_t>(main.commits))
                   .Num("commit_seconds_total", main.commit_us / 1e6)
                   .Num("zipf", args.backlog.zipf)
                   .Str("compression", args.backlog.compression)
                   .ToString()
            << std::endl;
}

}  // namespace

CLI::App* AddE2eCommand(CLI::App& app, E2eArgs& args) {
  auto* x = app.add_subcommand(
      "e2e",
      "Preload simulated events into the mock cluster, then read them with a "
      "bare consumer (the ceiling) and with the full pipeline");
  x->add_option("--events", args.backlog.events, "Events to preload")
      ->capture_default_str();
  x->add_option("--callers", args.backlog.callers,
                "Distinct callers: the simulator's pool, all written to the "
                "state before the run")
      ->capture_default_str();
  x->add_option("--seed", args.backlog.seed, "Simulator seed")
      ->capture_default_str();
  x->add_option("--zipf", args.backlog.zipf,
                "Zipf exponent of the caller pool (1.0: a few callers make "
                "most calls; their partition holds most of the data)")
      ->capture_default_str();
  x->add_option("--compression", args.backlog.compression,
                "compression.type of the preloaded events (the mock's ~5 MiB "
                "per partition counts compressed bytes)")
      ->capture_default_str();
  x->add_option("--partitions", args.backlog.partitions,
                "Partitions of the events topic (0: enough for the mock's "
                "~5 MiB per partition)")
      ->capture_default_str();
  x->add_option("--shards", args.shards, "Shard threads (0: cores)")
      ->capture_default_str();
  x->add_option("--commit-interval-ms", args.commit_interval_ms,
                "Commit cycle interval")
      ->capture_default_str();
  x->add_option("--memory-budget-mb", args.backlog.memory_budget_mb,
                "The state's memory budget ([state] memory_budget_mb)")
      ->capture_default_str();
  x->add_option("--state-dir", args.state_dir,
                "State directory (default: a temp dir, removed after)");
  x->add_flag("--skip-raw", args.skip_raw, "Skip the bare-consumer ceiling");
  x->add_option("--changelog", args.changelog,
                "Pipeline passes: with the changelog (on), without (off), or "
                "both, one after the other over the same topic")
      ->check(CLI::IsMember({"on", "off", "both"}))
      ->capture_default_str();
  x->add_option(
       "--key-check", args.key_check,
       "Pipeline passes: with the key check of docs/RULES.md §9.3 (on), "
       "without (off, bench only), or both; key_check_cost = "
       "1 - on/off")
      ->check(CLI::IsMember({"on", "off", "both"}))
      ->capture_default_str();
  x->add_option("--rounds", args.rounds,
                "Repeat the passes this many rounds, alternating their order; "
                "rates and costs are medians over the rounds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  return x;
}

int RunE2e(const E2eArgs& args) {
  spdlog::set_level(spdlog::level::warn);
  auto backlog = StartBacklog(args.backlog, kEventsTopic);
  if (!backlog.ok()) return Fail(backlog.status().ToString());
  double raw_rate = 0;
  if (!args.skip_raw) {
    auto raw = RawConsumeRate(*backlog);
    if (!raw.ok()) return Fail(std::string(raw.status().message()));
    raw_rate = *raw;
  }
  auto passes = RunPasses(args, *backlog);
  if (!passes.ok()) return Fail(passes.status().ToString());
  PrintE2eResult(args, *backlog, raw_rate, *passes);
  return 0;
}

}  // namespace callflow::bench
