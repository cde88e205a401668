// `callflow simulate`: seeded call-center traffic as CallEvent JSONL.
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "processor/app/commands.h"
#include "processor/rules/time.h"
#include "processor/sim/jsonl_writer.h"
#include "processor/sim/traffic_simulator.h"

namespace callflow::app {
namespace {

constexpr uint64_t kProgressEvery = 100000;  // events between progress lines

struct SimulateFlags {
  std::string out;
  uint64_t calls = 10000;
  uint64_t seed = 1;
  std::string start = "2024-06-03T05:00:00Z";
  double malformed_rate = 0.001;
  double duplicate_rate = 0.005;
};

int RunSimulateCommand(const SimulateFlags& flags) {
  auto start = rules::ParseTime(flags.start);
  if (!start.ok()) {
    return Fail(absl::StrCat("--start: ", start.status().message()), 2);
  }
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (flags.out != "-") {
    file.open(flags.out, std::ios::binary | std::ios::trunc);
    if (!file) return Fail(absl::StrCat("--out: cannot write ", flags.out));
    out = &file;
  }

  sim::SimulatorOptions options;
  options.seed = flags.seed;
  options.start = *start;
  options.max_calls = flags.calls;
  options.duplicate_rate = flags.duplicate_rate;
  sim::TrafficSimulator simulator(options);
  sim::JsonlWriter writer(
      out, {.seed = flags.seed, .malformed_rate = flags.malformed_rate});

  v1::CallEvent event;
  while (simulator.Next(&event)) {
    if (absl::Status s = writer.Write(event); !s.ok()) {
      return Fail(absl::StrCat("--out ", flags.out, ": ", s.message()));
    }
    const sim::SimulatorStats& st = simulator.stats();
    if (st.events % kProgressEvery == 0) {
      std::cerr << absl::StrFormat("simulate: %d/%d calls, %d events, at %s\n",
                                   st.calls, flags.calls, st.events,
                                   rules::FormatTime(simulator.now()));
    }
  }
  out->flush();
  if (!*out) return Fail(absl::StrCat("--out ", flags.out, ": write failed"));
  const sim::SimulatorStats& st = simulator.stats();
  std::cerr << absl::StrFormat(
      "simulate: wrote %d lines (%d calls, %d events, %d duplicates, %d "
      "malformed, %d dialer attempts) from %s to %s\n",
      writer.lines(), st.calls, st.events, st.duplicates, writer.malformed(),
      st.dial_attempts, flags.start, rules::FormatTime(simulator.now()));
  return 0;
}

}  // namespace

void AddSimulateCommand(CLI::App& app, CommandRun& run) {
  auto flags = std::make_shared<SimulateFlags>();
  CLI::App* cmd = app.add_subcommand(
      "simulate",
      "Write realistic call-center traffic as CallEvent JSONL: four lines "
      "with a Moscow business-day curve, repeat and anonymous callers, IVR, "
      "queues, dispositions, customer events, alarms, and a simulated dialer "
      "working the callback tasks. Seeded: the same flags give the same "
      "bytes. Feed the file to `callflow replay` or `callflow produce`.");
  cmd->add_option("--out", flags->out,
                  "output file (overwritten), or - for stdout")
      ->required();
  cmd->add_option("--calls", flags->calls,
                  "inbound calls to generate; their follow-ups (callbacks, "
                  "reminders) play out after the last one")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  cmd->add_option("--seed", flags->seed, "random seed")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--start", flags->start,
                  "event time where traffic starts, RFC 3339 (the default is "
                  "a Monday, 08:00 Moscow time)")
      ->capture_default_str();
  cmd->add_option("--malformed-rate", flags->malformed_rate,
                  "share of extra broken lines (bad JSON, unknown enum, no "
                  "event_id) for the dead-letter path")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--duplicate-rate", flags->duplicate_rate,
                  "share of events sent twice with the same event_id")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->callback(
      [flags, &run] { run = [flags] { return RunSimulateCommand(*flags); }; });
}

}  // namespace callflow::app
