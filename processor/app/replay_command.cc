// `callflow replay`: the deterministic file mode (docs/RULES.md §5).
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "processor/app/commands.h"
#include "processor/replay/replay.h"
#include "processor/rules/kpis.h"
#include "processor/rules/time.h"

namespace callflow::app {
namespace {

struct ReplayFlags {
  std::string config;
  std::string until;
  std::string now;
  replay::ReplayOptions options;
};

int RunReplayCommand(const ReplayFlags& flags) {
  auto config = LoadCommandConfig(flags.config);
  if (!config.ok()) return Fail(config.status());
  replay::ReplayOptions options = flags.options;
  for (auto [flag, text, out] :
       {std::tuple("--until", &flags.until, &options.until),
        std::tuple("--now", &flags.now, &options.now)}) {
    if (text->empty()) continue;
    auto time = ParseTimeFlag(flag, *text);
    if (!time.ok()) return Fail(time.status(), 2);
    *out = *time;
  }
  auto kpis =
      replay::RunReplay(config->engine, config->state, options, &std::cerr);
  if (!kpis.ok()) return Fail(kpis.status());
  const rules::EventKpis& events = kpis->events();
  std::cerr << "replay: " << events.read << " events read, "
            << events.dead_letters << " dead-lettered (" << options.out_dir
            << "/dlq.jsonl)" << std::endl;
  if (events.read > 0 && events.dead_letters == events.read) {
    // Exit 0 all the same: bad lines are data, and dlq.jsonl says why.
    std::cerr << "replay: warning: every event was dead-lettered; is "
              << options.input
              << " CallEvent JSONL? (A PBX's queue_log goes through "
                 "`callflow ingest --format asterisk-queue-log` first.)"
              << std::endl;
  }
  std::cout << rules::FormatKpiReport(*kpis) << std::flush;
  return 0;
}

}  // namespace

void AddReplayCommand(CLI::App& app, CommandRun& run) {
  auto flags = std::make_shared<ReplayFlags>();
  CLI::App* cmd = app.add_subcommand(
      "replay",
      "Run the rules over a CallEvent JSONL file, exactly as the Kafka "
      "pipeline would, and write tasks.jsonl, alerts.jsonl, contacts.jsonl, "
      "dlq.jsonl and summary.json to --out. Same input, same output bytes. "
      "Prints a KPI report at the end.");
  cmd->add_option("--input", flags->options.input,
                  "CallEvent JSONL file, one event per line (bad lines go to "
                  "dlq.jsonl with their line number)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", flags->options.out_dir,
                  "output directory (created if missing; its files are "
                  "overwritten)")
      ->required();
  AddConfigFlag(*cmd, &flags->config);
  cmd->add_option("--until", flags->until,
                  "at end of input move the event-time watermark to this "
                  "RFC 3339 time, firing the timers and windows due by then "
                  "(default: stay at the last event time)");
  cmd->add_option("--now", flags->now,
                  "the reading time (RFC 3339): an event whose occurred_at "
                  "is more than max_future_skew after it goes to dlq.jsonl "
                  "with reason FUTURE and never moves the watermark "
                  "(default: no such check)");
  cmd->add_option("--state-dir", flags->options.state_dir,
                  "keep the RocksDB state in this directory (for `callflow "
                  "inspect`); default: a temporary directory removed at the "
                  "end");
  cmd->callback(
      [flags, &run] { run = [flags] { return RunReplayCommand(*flags); }; });
}

}  // namespace callflow::app
