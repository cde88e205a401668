#pragma once

#include <cstdint>

#include "CLI/CLI.hpp"

namespace callflow::bench {

// `callflow-bench ingest`: converts a generated Asterisk queue_log to the
// events topic on the mock cluster with the code of `callflow ingest
// --brokers` (QueueLogAdapter, KafkaEventSink, RunFileIngest) and reports
// lines/s until every event is acknowledged, and the adapter's rate alone.
// A plain value; thread-compatible.
struct IngestArgs {
  uint64_t calls = 250'000;    // ~4 lines each
  uint64_t callers = 100'000;  // distinct caller numbers
  int partitions = 16;         // of the events topic
  uint64_t seed = 1;
};

// Adds the subcommand; returns it (parsed() says it was chosen).
CLI::App* AddIngestBench(CLI::App& app, IngestArgs* args);
int RunIngestBench(const IngestArgs& args);

}  // namespace callflow::bench
