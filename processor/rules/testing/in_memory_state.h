#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "processor/rules/state_view.h"

namespace callflow::rules {

// A plain in-memory StateView for unit tests of the engine (the product
// uses state::PartitionStore). Not thread-safe.
class InMemoryState : public StateView {
 public:
  v1::CallerState& MutableCaller(std::string_view key) override {
    return callers_[std::string(key)];
  }
  void EraseCaller(std::string_view key) override {
    callers_.erase(std::string(key));
  }
  v1::PartitionState& MutablePartition() override { return partition_; }
  void AddTimer(const Timer& timer) override { timers_.insert(timer); }
  std::optional<Timer> PopDueTimer(TimeNs watermark) override {
    if (timers_.empty() || timers_.begin()->due > watermark)
      return std::nullopt;
    Timer t = *timers_.begin();
    timers_.erase(timers_.begin());
    return t;
  }

  const std::map<std::string, v1::CallerState, std::less<>>& callers() const {
    return callers_;
  }
  const std::set<Timer>& timers() const { return timers_; }

 private:
  std::map<std::string, v1::CallerState, std::less<>> callers_;
  v1::PartitionState partition_;
  std::set<Timer> timers_;
};

}  // namespace callflow::rules
