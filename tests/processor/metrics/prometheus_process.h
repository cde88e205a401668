#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "processor/util/temp_dir.h"

namespace callflow::metrics::testing {

// A free loopback TCP port (bound, read, released); -1 when none.
int FreePort();

// The real `prometheus` server (Debian package) in a temp dir, scraping one
// target on 127.0.0.1 every second and evaluating ops/prometheus/rules.yml
// (relative to the working directory: the tests run in the source root)
// every second.
//
// Lifecycle: Start() forks and execs it; the destructor stops it (SIGTERM,
// then waits) and removes the temp dir, so every exit path of a test ends
// it. Not thread-safe.
class PrometheusProcess {
 public:
  using Result = std::map<std::string, double>;  // label `line` -> value

  // nullptr when the temp dir or the port cannot be had.
  static std::unique_ptr<PrometheusProcess> Start(int target_port);
  ~PrometheusProcess();

  // Instant query; nullopt while the API is not up or the answer is not a
  // vector.
  std::optional<Result> Query(const std::string& q);

  // Polls `q` until `done` holds for its result or `timeout` passes;
  // returns the last result.
  Result WaitFor(const std::string& q,
                 const std::function<bool(const Result&)>& done,
                 std::chrono::seconds timeout = std::chrono::seconds(90));

  // What the server logged so far (for failure messages).
  std::string Log() const;

 private:
  PrometheusProcess() = default;
  std::optional<util::TempDir> tmp_;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace callflow::metrics::testing
