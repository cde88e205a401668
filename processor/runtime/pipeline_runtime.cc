#include "processor/runtime/pipeline_runtime.h"

namespace callflow::runtime {

absl::StatusOr<std::unique_ptr<PipelineRuntime>> PipelineRuntime::Create(
    pipeline::PipelineConfig config, const state::StateOptions& state,
    const std::string& metrics_address, pipeline::PipelineObserver* extra) {
  std::unique_ptr<PipelineRuntime> rt(new PipelineRuntime());
  auto env = state::StateEnv::Create(state);
  if (!env.ok()) return env.status();
  rt->env_ = *std::move(env);
  auto server = metrics::MetricsServer::Start(metrics_address);
  if (!server.ok()) return server.status();
  rt->server_ = *std::move(server);
  // The metrics keep a reference to the engine options.
  rt->engine_options_ = std::make_unique<rules::EngineOptions>(config.engine);
  rt->calls_ = std::make_unique<metrics::CallCenterMetrics>(
      rt->server_->registry(), *rt->engine_options_);
  rt->pipeline_metrics_ =
      std::make_unique<metrics::PipelineMetrics>(rt->server_->registry());
  rt->bridge_ =
      std::make_unique<MetricsBridge>(*rt->calls_, *rt->pipeline_metrics_);
  rt->observers_ = std::make_unique<ObserverList>(
      std::vector<pipeline::PipelineObserver*>{rt->bridge_.get(), extra});
  const size_t ring_capacity = config.options.ring_capacity;
  auto pipeline = pipeline::Pipeline::Create(std::move(config), *rt->env_,
                                             rt->observers_.get());
  if (!pipeline.ok()) return pipeline.status();
  rt->pipeline_ = *std::move(pipeline);
  PipelineRuntime* raw = rt.get();
  rt->hook_ = std::make_unique<metrics::MetricsServer::ScrapeHook>(
      rt->server_->AddScrapeHook([raw, ring_capacity] {
        raw->bridge_->Sample(raw->pipeline_->stats(), ring_capacity);
        raw->pipeline_metrics_->SetBlockCacheUsage(
            raw->env_->block_cache_usage());
        raw->pipeline_metrics_->Refresh();
      }));
  return rt;
}

PipelineRuntime::~PipelineRuntime() {
  hook_.reset();
  pipeline_.reset();
  server_.reset();
}

}  // namespace callflow::runtime
