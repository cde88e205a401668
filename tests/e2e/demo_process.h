#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace callflow::testing {

// `callflow demo --serve` as a child process: its stderr in `dir`/demo.log,
// its stdout (the info log and the report) in `dir`/demo.out, its summary in
// `dir`/summary.json. The destructor stops it (SIGTERM, SIGKILL after 20 s)
// and reaps it, so every exit path of a test ends it. Not thread-safe.
class DemoProcess {
 public:
  // `extra_args` follow the fixed ones (e.g. {"--seed", "7"}).
  DemoProcess(const std::filesystem::path& dir, int metrics_port,
              const std::vector<std::string>& extra_args = {});
  ~DemoProcess();
  DemoProcess(const DemoProcess&) = delete;
  DemoProcess& operator=(const DemoProcess&) = delete;

  // True once the child has exited (reaped here).
  bool Exited();
  // Waits for `text` in the stderr log; false when the child exits first or
  // `timeout` passes (a hang guard, not a measurement).
  bool WaitForLog(const std::string& text, std::chrono::seconds timeout);
  // SIGTERM, then waits for the exit (SIGKILL after 20 s); true when it
  // exited with status 0.
  bool Stop();

  std::string Log() const;     // stderr so far
  std::string Output() const;  // stdout so far
  const std::filesystem::path& summary() const { return summary_; }
  int exit_status() const { return exit_status_; }

 private:
  std::filesystem::path log_;
  std::filesystem::path out_;
  std::filesystem::path summary_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_status_ = 0;
};

}  // namespace callflow::testing
