#pragma once

#include <cstdint>
#include <string>

#include "CLI/CLI.hpp"
#include "processor/sim/traffic_simulator.h"

namespace callflow::bench {

// `callflow-bench engine`: the rules engine alone, on simulated events held
// in memory and an in-memory state (no Kafka, no RocksDB); prints one JSON
// line with the best run's events per second (wall and CPU). A plain value;
// thread-compatible.
struct EngineArgs {
  uint64_t events = 1000000;
  uint64_t callers = sim::SimulatorOptions().caller_pool;
  uint64_t seed = 1;
  std::string state = "hash";  // "hash" (HashState) or "map" (InMemoryState)
  int repeat = 3;
  bool warm_numbers = false;
};

// Adds the subcommand; returns it (parsed() says it was chosen).
CLI::App* AddEngineCommand(CLI::App& app, EngineArgs& args);
int RunEngine(const EngineArgs& args);

}  // namespace callflow::bench
