#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace callflow::pipeline {

// Topic names ([topics] in the config). Defaults as in docs/RULES.md §2.
// A plain value; thread-compatible.
struct Topics {
  std::string events = "callflow.events";
  std::string tasks = "callflow.tasks";
  std::string alerts = "callflow.alerts";
  std::string contacts = "callflow.contacts";
  std::string dlq = "callflow.dlq";
  // Per-partition state changes, partition p for events partition p
  // (cleanup.policy=compact; as many partitions as `events`).
  std::string changelog = "callflow.changelog";
  // Line-level window partials and watermarks of every events partition,
  // read by every instance (one partition is enough).
  std::string lines = "callflow.lines";
};

// How the events topic's producers pick a record's partition
// ([input] partitioner in the config: "murmur2" or "any").
enum class Partitioner : uint8_t {
  kMurmur2,  // murmur2(key) mod partitions, Java's default and `produce`'s
  kAny,      // not checked: the producer partitions consistently by
             // another function
};

// What the processor expects of its input ([input] in the config). A plain
// value; thread-compatible.
struct InputOptions {
  // The partitioner the events topic's producers use. Default "murmur2".
  Partitioner partitioner = Partitioner::kMurmur2;
  // Check every event's key and partition (docs/RULES.md §9.3). Not in the
  // config file: the processor always checks; false exists only so that
  // `callflow-bench e2e --key-check both` can measure what the check costs.
  bool check_keys = true;
};

// The Kafka pipeline's knobs ([pipeline] in the config). A plain value;
// thread-compatible.
struct PipelineOptions {
  // Consumer group id. Default "callflow".
  std::string group_id = "callflow";
  // Shard threads running the engine. 0 = number of cores (default).
  uint32_t shards = 0;
  // Commit cycle: every this many milliseconds or events, whichever first.
  // Defaults 200 ms / 50000 events.
  uint32_t commit_interval_ms = 200;
  uint32_t commit_max_events = 50000;
  // How long a shard may spend at once sealing or writing a commit cycle
  // (a slice of its partitions, one at least) before it processes the
  // events waiting in its ring again: at high rates a whole cycle's RocksDB
  // work takes tens of ms, which an urgent event (an EMERGENCY alarm) would
  // otherwise wait behind. 0 = one partition at a time. Default 1 ms.
  uint32_t commit_slice_ms = 1;
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
  // A partition that consumed everything and got no event for this long (wall
  // time) advances its watermark with the wall clock. 0 = never. Default
  // "60s".
  int64_t idle_after_ns = int64_t{60} * 1000 * 1000 * 1000;
  // With idle_after 0: how long a partition that consumed everything and
  // never had an event waits before it stops holding back the line windows
  // (it has no event time to advance). With idle_after set, idle_after is
  // used. Default 60 s; not in the config file.
  int64_t empty_partition_after_ns = int64_t{60} * 1000 * 1000 * 1000;
  // Write each cycle's state changes to the changelog topic and restore a
  // partition from it when its local store is missing or behind ([state]
  // changelog). false: single host; a partition whose store is missing while
  // the group has progress for it is an error. Default true.
  bool changelog = true;
  // How long a stop (SIGTERM) may wait for the last cycles' outputs to be
  // acknowledged. Past it, or on a second stop signal, the pipeline stops
  // without committing any cycle whose outputs are not all acknowledged.
  // Keep it below the service manager's stop timeout (systemd
  // TimeoutStopSec). Default "45s".
  int64_t shutdown_timeout_ns = int64_t{45} * 1000 * 1000 * 1000;
};

}  // namespace callflow::pipeline
