#pragma once

#include <thread>

#include "absl/status/status.h"
#include "processor/pipeline/pipeline.h"

namespace callflow::bench {

// Runs pipeline::Pipeline::Run() on a thread of its own for a bench command
// that watches the pipeline from its main thread. Stop() stops the pipeline
// and joins the thread; the destructor does the same when a command returns
// early, so no path leaves a joinable thread (std::terminate) behind.
//
// Not thread-safe: construct, Stop() and destroy it on one thread. The
// pipeline must outlive the runner (declare the runner after it).
class PipelineRunner {
 public:
  explicit PipelineRunner(pipeline::Pipeline& pipeline);
  PipelineRunner(const PipelineRunner&) = delete;
  PipelineRunner& operator=(const PipelineRunner&) = delete;
  ~PipelineRunner() { Stop().IgnoreError(); }

  // Stops the pipeline and waits for Run() to return; returns Run()'s
  // status (also on later calls).
  absl::Status Stop();

 private:
  pipeline::Pipeline& pipeline_;
  absl::Status status_;  // Run()'s, written by thread_ before it ends
  std::jthread thread_;
};

}  // namespace callflow::bench
