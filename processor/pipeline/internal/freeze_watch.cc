#include "processor/pipeline/internal/freeze_watch.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "processor/util/thread_name.h"

namespace callflow::pipeline {
namespace {

constexpr auto kTick = std::chrono::milliseconds(100);

}  // namespace

FreezeWatch::FreezeWatch(std::chrono::milliseconds limit, FreezeFn on_freeze)
    : limit_(limit),
      on_freeze_(std::move(on_freeze)),
      last_tick_ms_(Ms(Clock::now())) {
  thread_ = std::thread([this] {
    util::NameThisThread("cf-freeze-watch");
    Run();
  });
}

FreezeWatch::~FreezeWatch() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

int64_t FreezeWatch::Ms(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             t.time_since_epoch())
      .count();
}

void FreezeWatch::Run() {
  while (!stop_.load(std::memory_order_relaxed)) {
    std::this_thread::sleep_for(kTick);
    const int64_t now = Ms(Clock::now());
    const int64_t gap = now - last_tick_ms_.load(std::memory_order_relaxed);
    const int64_t seen = frozen_ms_.load(std::memory_order_relaxed);
    if (gap > limit_.count() && gap > seen) {
      frozen_ms_.store(gap, std::memory_order_relaxed);
      if (seen == 0 && on_freeze_) {
        on_freeze_(StoodStill(std::chrono::milliseconds(gap)));
      }
    }
    last_tick_ms_.store(now, std::memory_order_relaxed);
  }
}

absl::Status FreezeWatch::StoodStill(std::chrono::milliseconds frozen) const {
  return absl::AbortedError(absl::StrCat(
      "this process stood still for ", frozen.count() / 1000.0,
      " s (SIGSTOP? a paused VM?), longer than the group session "
      "(session.timeout.ms ",
      limit_.count(),
      "): its partitions belong to other instances now; stopping without "
      "producing or committing anything more (restart it to rejoin)"));
}

std::chrono::milliseconds FreezeWatch::FrozenFor(Clock::time_point now) const {
  const int64_t stale = Ms(now) - last_tick_ms_.load(std::memory_order_relaxed);
  const int64_t seen = frozen_ms_.load(std::memory_order_relaxed);
  if (seen > 0) return std::chrono::milliseconds(seen);
  return std::chrono::milliseconds(stale > limit_.count() ? stale : 0);
}

}  // namespace callflow::pipeline
