#pragma once

#include <cstdint>

#include "CLI/CLI.hpp"
#include "processor/pipeline/pipeline_options.h"

namespace callflow::bench {

// `callflow-bench latency`: steady load on the full pipeline in the mock
// cluster. Produces simulated events at `rate` (and alarms at
// `alarms_per_s`) for `seconds` after a warm-up, and prints one JSON line
// with the event -> committed latency quantiles and the alarm -> EMERGENCY
// alert read back latency. A plain value; thread-compatible.
struct LatencyArgs {
  double rate = 10000;
  double seconds = 20;
  double alarms_per_s = 20;
  int partitions = 8;
  uint32_t shards = 0;
  uint32_t commit_interval_ms = 200;
  // [pipeline] commit_slice_ms: how long a shard seals or writes a cycle at
  // once (1000: a whole cycle in one piece, as before slices).
  uint32_t commit_slice_ms = pipeline::PipelineOptions{}.commit_slice_ms;
  uint64_t seed = 1;
  uint64_t callers = 30000;
  // fetch.wait.max.ms of the pipeline's and the alert reader's consumers;
  // 0 keeps librdkafka's default (500).
  int fetch_wait_ms = 0;
  // Seconds of load before measuring (first fetches, producer connections).
  double warmup_seconds = 3;
  // linger.ms of the bench's event producer. The mock cluster returns one
  // message set per partition per fetch, so tiny sets (linger 1 ms) cap the
  // pipeline's consume rate near the produce rate and queue events in the
  // broker (docs/PERFORMANCE.md).
  int linger_ms = 5;
};

// Adds the subcommand; returns it (parsed() says it was chosen).
CLI::App* AddLatencyCommand(CLI::App& app, LatencyArgs& args);
int RunLatency(const LatencyArgs& args);

}  // namespace callflow::bench
