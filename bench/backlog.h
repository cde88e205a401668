#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "processor/pipeline/mock_cluster.h"
#include "state/state_env.h"

namespace callflow::bench {

// What the pipeline benches (e2e, rss, latency) set up before a pipeline
// runs: the topics on a librdkafka mock cluster, a backlog of simulated
// events in the events topic, and a state populated with the callers of the
// simulator's pool. Functions only; a Backlog is owned by one command.

// The events topic of the pipeline benches (the pipeline's default).
inline constexpr char kEventsTopic[] = "callflow.events";

// The data of a backlog run: simulated events and the callers in state.
// A plain value; thread-compatible.
struct BacklogArgs {
  uint64_t events = 1000000;
  uint64_t callers = 1000000;
  uint64_t seed = 1;
  double zipf = 1.0;
  std::string compression = "lz4";
  int partitions = 0;             // 0: from the data size
  size_t memory_budget_mb = 256;  // [state] memory_budget_mb
};

// The changelog (`partitions` partitions, as many as the events) and the
// lines topic, under the default names each followed by `suffix`.
absl::Status CreateStateTopics(pipeline::MockCluster& cluster, int partitions,
                               const std::string& suffix = "");

// The topics of a bench run on `cluster`: `topic` with `partitions`, the
// output topics with `output_partitions` each, the changelog and lines
// topics (CreateStateTopics).
absl::Status CreateBenchTopics(pipeline::MockCluster& cluster,
                               const std::string& topic, int partitions,
                               int output_partitions = 8);

// A mock cluster (one broker) with the bench topics and `args.events`
// simulated events preloaded into the events topic. Owned by one command;
// thread-compatible (the MockCluster itself is thread-safe).
struct Backlog {
  std::unique_ptr<pipeline::MockCluster> cluster;
  std::string brokers;
  int partitions = 0;
  std::vector<int64_t> ends;  // end offset per partition
  uint64_t total = 0;
};
absl::StatusOr<Backlog> StartBacklog(const BacklogArgs& args,
                                     const std::string& topic);

// Writes `args.callers` caller records (the simulator's pool, normalized)
// into the partition stores of `env`, as a processor that had seen them
// would have. Returns the number of distinct callers.
absl::StatusOr<uint64_t> PopulateState(state::StateEnv& env,
                                       const BacklogArgs& args, int partitions);

}  // namespace callflow::bench
