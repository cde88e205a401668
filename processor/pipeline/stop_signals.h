#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace callflow::pipeline {

// Turns SIGINT / SIGTERM into a callback on an ordinary thread (sigtimedwait),
// so stopping can take locks and log. Construct it before starting any other
// thread: it blocks the two signals in the calling thread, and threads
// started afterwards inherit the mask.
//
// Lifecycle: one per process at a time; the destructor stops the watcher
// thread (and leaves the signals blocked). Thread-safe.
class StopSignals {
 public:
  explicit StopSignals(std::function<void()> on_stop);
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Replaces the callback (e.g. once the pipeline exists).
  void OnStop(std::function<void()> on_stop);
  bool stop_requested() const { return requested_.load(); }

 private:
  void Watch();

  std::mutex mu_;
  std::function<void()> on_stop_;
  std::atomic<bool> requested_{false};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace callflow::pipeline
