#include "bench/pipeline_runner.h"

namespace callflow::bench {

PipelineRunner::PipelineRunner(pipeline::Pipeline& pipeline)
    : pipeline_(pipeline), thread_([this] { status_ = pipeline_.Run(); }) {}

absl::Status PipelineRunner::Stop() {
  if (thread_.joinable()) {
    pipeline_.Stop();
    thread_.join();
  }
  return status_;
}

}  // namespace callflow::bench
