#include "bench/pipeline_runner.h"

#include "processor/util/thread_name.h"

namespace callflow::bench {

PipelineRunner::PipelineRunner(pipeline::Pipeline& pipeline)
    : pipeline_(pipeline), thread_([this] {
        util::NameThisThread("cf-poll");
        status_ = pipeline_.Run();
      }) {}

absl::Status PipelineRunner::Stop() {
  if (thread_.joinable()) {
    pipeline_.Stop();
    thread_.join();
  }
  return status_;
}

}  // namespace callflow::bench
