#include "processor/metrics/metrics_server.h"

#include <exception>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"

namespace callflow::metrics {

// What the exposer collects: runs the scrape hooks, then the registry.
class MetricsServer::HookedRegistry : public prometheus::Collectable {
 public:
  explicit HookedRegistry(MetricsServer* server) : server_(server) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    server_->RunHooks();
    return server_->registry_->Collect();
  }

 private:
  MetricsServer* server_;
};

MetricsServer::ScrapeHook::ScrapeHook(MetricsServer* server, uint64_t id)
    : server_(server), id_(id) {}

MetricsServer::ScrapeHook::ScrapeHook(ScrapeHook&& other) noexcept
    : server_(std::exchange(other.server_, nullptr)), id_(other.id_) {}

MetricsServer::ScrapeHook& MetricsServer::ScrapeHook::operator=(
    ScrapeHook&& other) noexcept {
  if (this != &other) {
    if (server_ != nullptr) server_->RemoveHook(id_);
    server_ = std::exchange(other.server_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

MetricsServer::ScrapeHook::~ScrapeHook() {
  if (server_ != nullptr) server_->RemoveHook(id_);
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address \"", address,
                     "\" is not HOST:PORT (e.g. 0.0.0.0:9464)"));
  }
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address \"", address, "\": port ", port,
                     " is out of range (0-65535; 0 picks a free one)"));
  }
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->registry_ = std::make_shared<prometheus::Registry>();
  server->collectable_ = std::make_shared<HookedRegistry>(server.get());
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(address);
  } catch (const std::exception& e) {
    // CivetWeb says only "null context when constructing CivetServer.
    // Possible problem binding to port." when it cannot listen.
    const bool bind = absl::StrContains(e.what(), "binding to port");
    return absl::UnavailableError(absl::StrCat(
        "cannot serve metrics at ", address, ": ",
        bind ? "the port is in use (another callflow or exporter?) or the "
               "host is not an address of this machine; choose another "
               "address or port (0 picks a free one)"
             : e.what()));
  }
  const std::vector<int> ports = server->exposer_->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics at ",
                                               address, ": no listening port"));
  }
  server->port_ = ports.front();
  server->exposer_->RegisterCollectable(server->collectable_);
  return server;
}

MetricsServer::~MetricsServer() {
  // Stop serving before the registry and hooks go away.
  exposer_.reset();
}

MetricsServer::ScrapeHook MetricsServer::AddScrapeHook(
    std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(hooks_mu_);
  const uint64_t id = next_hook_id_++;
  hooks_.emplace(id, std::move(hook));
  return ScrapeHook(this, id);
}

void MetricsServer::RemoveHook(uint64_t id) {
  std::lock_guard<std::mutex> lock(hooks_mu_);
  hooks_.erase(id);
}

void MetricsServer::RunHooks() {
  std::lock_guard<std::mutex> lock(hooks_mu_);
  for (const auto& [id, hook] : hooks_) hook();
}

}  // namespace callflow::metrics
