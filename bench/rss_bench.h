#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "bench/backlog.h"

namespace callflow::bench {

// `callflow-bench rss`: `callflow run` as a process of its own over a
// backlog. The state is populated with `--callers` callers and `--events`
// events wait in the events topic (the mock cluster lives in this bench
// process); the child's VmHWM (/proc/<pid>/status) is its peak RSS,
// compared with its [state] memory_budget_mb in one JSON line. A plain
// value; thread-compatible.
struct RssArgs {
  BacklogArgs backlog;
  uint32_t shards = 0;                // [pipeline] shards (0: cores)
  uint32_t commit_interval_ms = 200;  // [pipeline] commit_interval_ms
  // Work dir (state, config, the child's log); empty: a temp dir, removed
  // after a clean run.
  std::string state_dir;
  std::string callflow = "build/processor/app/callflow";
  std::vector<std::string> kafka;  // extra [kafka] properties, KEY=VALUE
  uint32_t ring_capacity = 0;      // [pipeline] ring_capacity (0: default)
};

// Adds the subcommand; returns it (parsed() says it was chosen).
CLI::App* AddRssCommand(CLI::App& app, RssArgs& args);
int RunRss(const RssArgs& args);

}  // namespace callflow::bench
