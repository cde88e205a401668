#pragma once

#include <cstdint>
#include <string>

#include "CLI/CLI.hpp"
#include "bench/backlog.h"

namespace callflow::bench {

// `callflow-bench e2e`: preloads simulated events into the mock cluster,
// then reads them with a bare consumer (the ceiling) and with the full
// pipeline on a populated state, with the changelog and the key check on
// and/or off, round after round; prints one JSON line with the rates, their
// ratio and the costs of the changelog and the key check. A plain value;
// thread-compatible.
struct E2eArgs {
  BacklogArgs backlog;
  uint32_t shards = 0;
  uint32_t commit_interval_ms = 200;
  std::string state_dir;  // empty: a temp dir per pass, removed after it
  bool skip_raw = false;
  // "on", "off" or "both" (two pipeline passes over the same topic, the
  // changelog's cost as their ratio).
  std::string changelog = "both";
  // The same for the key check (docs/RULES.md §9.3): "both" runs each pass
  // with and without it, the check's cost as their ratio.
  std::string key_check = "on";
  // Rounds of passes; the order of a round's passes alternates so a drift
  // of the machine's load does not favour one of them. Costs are medians of
  // the rounds' ratios.
  int rounds = 1;
};

// Adds the subcommand; returns it (parsed() says it was chosen).
CLI::App* AddE2eCommand(CLI::App& app, E2eArgs& args);
int RunE2e(const E2eArgs& args);

}  // namespace callflow::bench
