#pragma once

#include <chrono>

namespace callflow::pipeline {

// Decides when one slice of a shard's commit work (sealing or writing a
// cycle's partitions) stops so that waiting events get processed: never
// before its first item, then once `limit` has passed since it started; a
// slice that must do `all` never stops.
//
// Thread-safety: a value used by one thread for one slice.
class WorkSlice {
 public:
  WorkSlice(bool all, std::chrono::microseconds limit)
      : all_(all), limit_(limit) {}

  // Called before each item: true when the slice is over.
  bool Over() {
    if (all_ || first_) {
      first_ = false;
      return false;
    }
    return std::chrono::steady_clock::now() - started_ >= limit_;
  }

  // Time since the slice started.
  std::chrono::microseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started_);
  }

 private:
  const bool all_;
  const std::chrono::microseconds limit_;
  const std::chrono::steady_clock::time_point started_ =
      std::chrono::steady_clock::now();
  bool first_ = true;
};

}  // namespace callflow::pipeline
