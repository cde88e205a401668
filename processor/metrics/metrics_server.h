#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/registry.h"

namespace prometheus {
class Exposer;
}

namespace callflow::metrics {

// The process's Prometheus endpoint: owns the prometheus::Registry that every
// metrics class registers its families in, and the pull Exposer serving it at
// http://HOST:PORT/metrics (prometheus-cpp / civetweb).
//
// Scrape hooks run at the start of every scrape, before the registry is
// collected, so gauges that describe "now" (event-time lag, RSS, RocksDB
// sizes) are fresh in each scrape. A hook runs on an exposer thread.
//
// Lifecycle: Start() binds and serves at once; destruction stops serving
// (after in-flight scrapes). Metrics objects registered in registry() must be
// destroyed after the server, or outlive it; hooks are removed by destroying
// their ScrapeHook handle.
//
// Thread-safe.
class MetricsServer {
 public:
  // A registered scrape hook; destroying it removes the hook (and waits for a
  // running scrape to finish with it). Must not outlive its server.
  // Not thread-safe: one owner moves and destroys it.
  class ScrapeHook {
   public:
    ScrapeHook(ScrapeHook&& other) noexcept;
    ScrapeHook& operator=(ScrapeHook&& other) noexcept;
    ScrapeHook(const ScrapeHook&) = delete;
    ScrapeHook& operator=(const ScrapeHook&) = delete;
    ~ScrapeHook();

   private:
    friend class MetricsServer;
    ScrapeHook(MetricsServer* server, uint64_t id);
    MetricsServer* server_ = nullptr;
    uint64_t id_ = 0;
  };

  // Binds `address` ("HOST:PORT"; port 0 picks a free port, see port()).
  // InvalidArgument for a malformed address, Unavailable when it cannot bind.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& address);
  ~MetricsServer();

  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  prometheus::Registry& registry() { return *registry_; }
  // The bound TCP port (the real one when started with port 0).
  int port() const { return port_; }

  [[nodiscard]] ScrapeHook AddScrapeHook(std::function<void()> hook);

 private:
  class HookedRegistry;
  MetricsServer() = default;
  void RemoveHook(uint64_t id);
  void RunHooks();

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<HookedRegistry> collectable_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;

  std::mutex hooks_mu_;  // guards hooks_ and next_hook_id_; held while running
  std::map<uint64_t, std::function<void()>> hooks_;
  uint64_t next_hook_id_ = 1;
};

}  // namespace callflow::metrics
