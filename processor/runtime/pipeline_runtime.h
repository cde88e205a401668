#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "processor/metrics/call_center_metrics.h"
#include "processor/metrics/metrics_server.h"
#include "processor/metrics/pipeline_metrics.h"
#include "processor/pipeline/pipeline.h"
#include "processor/runtime/metrics_bridge.h"
#include "processor/runtime/observer_list.h"
#include "state/state_env.h"

namespace callflow::runtime {

// A Pipeline with what a process needs around it: the shared StateEnv, the
// Prometheus endpoint with the call-center and pipeline metrics fed from the
// pipeline (MetricsBridge, sampled on each scrape). What `callflow run` and
// `callflow demo` both run.
//
// Lifecycle: Create, Run (blocks until Stop or a fatal error), destroy.
// Stop and pipeline() are thread-safe.
class PipelineRuntime {
 public:
  // `extra` (may be null) also observes the shards; it must outlive this.
  static absl::StatusOr<std::unique_ptr<PipelineRuntime>> Create(
      pipeline::PipelineConfig config, const state::StateOptions& state,
      const std::string& metrics_address,
      pipeline::PipelineObserver* extra = nullptr);
  ~PipelineRuntime();

  absl::Status Run() { return pipeline_->Run(); }
  void Stop() { pipeline_->Stop(); }
  void Abort() { pipeline_->Abort(); }
  pipeline::Pipeline& pipeline() { return *pipeline_; }
  int metrics_port() const { return server_->port(); }

 private:
  PipelineRuntime() = default;

  // Destroyed in reverse: the hook and pipeline go first, the server before
  // the metrics registered in it.
  std::unique_ptr<rules::EngineOptions> engine_options_;
  std::unique_ptr<metrics::CallCenterMetrics> calls_;
  std::unique_ptr<metrics::PipelineMetrics> pipeline_metrics_;
  std::unique_ptr<MetricsBridge> bridge_;
  std::unique_ptr<ObserverList> observers_;
  std::unique_ptr<state::StateEnv> env_;
  std::unique_ptr<metrics::MetricsServer> server_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
  std::unique_ptr<metrics::MetricsServer::ScrapeHook> hook_;
};

}  // namespace callflow::runtime
