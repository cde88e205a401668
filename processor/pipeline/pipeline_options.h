#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace callflow::pipeline {

// Topic names ([topics] in the config). Defaults are SPEC §2's.
struct Topics {
  std::string events = "callflow.events";
  std::string tasks = "callflow.tasks";
  std::string alerts = "callflow.alerts";
  std::string contacts = "callflow.contacts";
  std::string dlq = "callflow.dlq";
};

// How the events topic's producers pick a record's partition
// ([input] partitioner in the config: "murmur2" or "any").
enum class Partitioner : uint8_t {
  kMurmur2,  // murmur2(key) mod partitions, Java's default and `produce`'s
  kAny,      // not checked: the producer partitions consistently by
             // another function
};

// What the processor expects of its input ([input] in the config).
struct InputOptions {
  // The partitioner the events topic's producers use. Default "murmur2".
  Partitioner partitioner = Partitioner::kMurmur2;
};

// The Kafka pipeline's knobs ([pipeline] in the config).
struct PipelineOptions {
  // Consumer group id. Default "callflow".
  std::string group_id = "callflow";
  // Shard threads running the engine. 0 = number of cores (default).
  uint32_t shards = 0;
  // Commit cycle: every this many milliseconds or events, whichever first.
  // Defaults 200 ms / 50000 events.
  uint32_t commit_interval_ms = 200;
  uint32_t commit_max_events = 50000;
  // Capacity of each poll-thread -> shard ring (messages). Default 65536.
  size_t ring_capacity = 65536;
  // Allowed lateness in the pipeline (replay uses the top-level
  // allowed_lateness). Default "0s" means: use the top-level value.
  int64_t allowed_lateness_ns = 0;
  // How long Run() waits for the brokers' metadata at start, to check that
  // every topic exists (unreachable brokers or a missing topic end Run with
  // a clear error instead of waiting forever). Default 10000 ms; not in the
  // config file.
  uint32_t metadata_timeout_ms = 10000;
};

}  // namespace callflow::pipeline
