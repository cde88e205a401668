#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <vector>

#include "bench/bench_util.h"
#include "processor/pipeline/pipeline.h"

namespace callflow::bench {

// Event -> committed latency of a running pipeline, measured from outside
// it (the e2e and latency commands). Tracks, per partition, when the
// pipeline's poll thread consumed each offset (PartitionCounters::consumed,
// a count from offset 0 in a fresh topic) and when the shard committed it
// (committed_offset: outputs acknowledged, state and offset written).
// Latency = commit time - consume time, at the sampler's resolution (it is
// only as fine as the caller's calls of Sample(), every kSamplePeriod).
//
// Not thread-safe: one thread calls Sample(), set_record() and reads the
// results (the pipeline's counters it reads are atomics).
class CommitLatencySampler {
 public:
  // How often the benches call Sample(): the resolution of the latency.
  static constexpr auto kSamplePeriod = std::chrono::milliseconds(1);

  CommitLatencySampler(pipeline::PipelineStats& stats, int partitions)
      : stats_(stats), parts_(partitions) {}

  // One sampling round; returns the total committed offsets.
  int64_t Sample();

  // Whether Sample() adds the latencies it sees to latency() (off during a
  // warm-up).
  void set_record(bool record) { record_ = record; }
  LatencyRecorder& latency() { return latency_; }
  // NowMs() when a first consumed offset was seen; -1 before.
  double first_consume_ms() const { return first_consume_ms_; }

  // The steady clock in milliseconds: the time base of the sampler.
  static double NowMs() {
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

 private:
  // Offsets below `end` were consumed by `at_ms`.
  struct Segment {
    int64_t end;  // offsets below this were consumed by `at_ms`
    double at_ms;
  };
  // One partition's consumed and committed offsets and its open segments.
  struct Part {
    int64_t consumed = 0;
    int64_t committed = 0;
    std::deque<Segment> segments;
  };
  pipeline::PipelineStats& stats_;
  std::vector<Part> parts_;
  LatencyRecorder latency_;
  double first_consume_ms_ = -1;
  bool record_ = true;
};

}  // namespace callflow::bench
