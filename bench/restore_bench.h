#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>

namespace callflow::bench {

// `callflow-bench restore`: fills a changelog topic on the mock cluster with
// `callers` caller records (in commit cycles, as the pipeline writes them),
// reads it once with a bare consumer (the ceiling), then restores every
// partition into a fresh RocksDB store the way a new owner does, and prints
// one JSON line with both rates and their ratio. A plain value;
// thread-compatible.
struct RestoreArgs {
  uint64_t callers = 1000000;
  int partitions = 0;     // 0: enough to stay under the mock's 5 MiB each
  uint64_t cycle = 5000;  // records per commit cycle
};

CLI::App* AddRestoreCommand(CLI::App& app, RestoreArgs& args);
int RunRestore(const RestoreArgs& args);

}  // namespace callflow::bench
