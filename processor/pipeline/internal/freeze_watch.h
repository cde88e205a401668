#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

#include "absl/status/status.h"

namespace callflow::pipeline {

// Tells whether this process stopped running for longer than `limit` (the
// group's session timeout): SIGSTOP, a paused or migrated VM, a swap storm.
// The group coordinator has then given its partitions to other instances,
// so what the process still holds (consumed events not processed yet, a
// cycle not committed) must not produce anything more.
//
// A thread ticks every 100 ms. FrozenFor(now) is the longest gap seen
// between two ticks once one exceeded `limit`, and also the age of the last
// tick while that is over `limit`: right after the process resumes, a shard
// may run before the ticking thread does, and the stale tick tells it.
// A shard that is merely blocked (waiting for acknowledgements while a
// broker is down, a RocksDB stall) does not stop the ticks, so it is not
// taken for a freeze.
//
// When the ticking thread itself finds a gap past the limit it calls
// `on_freeze` once, so a process whose threads all wait (for
// acknowledgements that the send fence now holds back, say) still stops.
//
// Thread-safety: FrozenFor and StoodStill from any thread; `on_freeze` runs
// on the ticking thread.
class FreezeWatch {
 public:
  using Clock = std::chrono::steady_clock;

  using FreezeFn = std::function<void(absl::Status stood_still)>;

  explicit FreezeWatch(std::chrono::milliseconds limit,
                       FreezeFn on_freeze = {});
  ~FreezeWatch();
  FreezeWatch(const FreezeWatch&) = delete;
  FreezeWatch& operator=(const FreezeWatch&) = delete;

  // Zero while the process has kept running; else how long it stood still.
  std::chrono::milliseconds FrozenFor(Clock::time_point now) const;
  std::chrono::milliseconds limit() const { return limit_; }
  // The error a process that stood still for `frozen` stops with.
  absl::Status StoodStill(std::chrono::milliseconds frozen) const;

 private:
  void Run();
  static int64_t Ms(Clock::time_point t);

  const std::chrono::milliseconds limit_;
  const FreezeFn on_freeze_;
  std::atomic<int64_t> last_tick_ms_;
  std::atomic<int64_t> frozen_ms_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace callflow::pipeline
