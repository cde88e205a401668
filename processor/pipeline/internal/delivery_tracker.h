#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace callflow::pipeline {

// Counts the records one producer-side owner (a shard, the produce command)
// handed to librdkafka and the delivery reports that came back, so the owner
// can wait until the broker acknowledged everything produced so far (the
// commit cycle's first step) and see whether anything failed.
//
// Thread-safety: OnProduced from the owner thread; OnDelivered from
// librdkafka's delivery-report thread; the rest from any thread.
class DeliveryTracker {
 public:
  // `error_counter`, when given, is incremented on every failed delivery.
  // `record_offsets`: remember the highest acknowledged offset per partition
  // (the changelog's cycle positions).
  explicit DeliveryTracker(std::atomic<uint64_t>* error_counter = nullptr,
                           bool record_offsets = false)
      : error_counter_(error_counter), record_offsets_(record_offsets) {}

  void OnProduced() { produced_.fetch_add(1, std::memory_order_relaxed); }

  // Called (on the delivery-report thread, under the tracker's lock: it must
  // not call the tracker) whenever a report leaves nothing outstanding: the
  // shard is woken by it instead of polling for its acknowledgements. Set
  // before the first record is produced.
  void set_on_all_reported(std::function<void()> fn) {
    on_all_reported_ = std::move(fn);
  }

  // Records one delivery report; `error` says why a failed one failed.
  // Returns true for the first failure (so the caller logs only that one;
  // first_error() and failed() summarize the rest).
  //
  // Everything happens under the lock: once a waiter sees the last report
  // (WaitAll returns), the reporting thread no longer touches the tracker,
  // so the owner may destroy it at once.
  bool OnDelivered(bool ok, std::string_view error = {}) {
    std::lock_guard lock(mu_);
    (ok ? acked_ : failed_).fetch_add(1, std::memory_order_relaxed);
    bool first_failure = false;
    if (!ok && first_error_.empty()) {
      first_error_ = error.empty() ? "unknown error" : std::string(error);
      first_failure = true;
    }
    if (!ok && error_counter_ != nullptr) error_counter_->fetch_add(1);
    ReportedLocked();
    return first_failure;
  }

  // Records one output that can never be produced (a permanent refusal):
  // done, not failed, so the cycle commits past it; the producer counts it
  // on the unproducible path.
  void OnUnproducible() {
    std::lock_guard lock(mu_);
    unproducible_.fetch_add(1, std::memory_order_relaxed);
    ReportedLocked();
  }

  bool records_offsets() const { return record_offsets_; }
  // From the delivery-report thread, before OnDelivered(true).
  void OnOffset(int32_t partition, int64_t offset) {
    std::lock_guard lock(mu_);
    int64_t& max = max_offsets_[partition];
    max = std::max(max, offset);
  }
  // The highest acknowledged offset of `partition` since ClearOffsets(), or
  // -1.
  int64_t MaxOffset(int32_t partition) const {
    std::lock_guard lock(mu_);
    auto it = max_offsets_.find(partition);
    return it == max_offsets_.end() ? -1 : it->second;
  }
  void ClearOffsets() {
    std::lock_guard lock(mu_);
    max_offsets_.clear();
  }

  // Blocks until every record produced so far has a delivery report, or
  // `timeout` passes. Returns true when nothing is outstanding.
  bool WaitAll(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    const uint64_t target = produced_.load();
    return cv_.wait_for(lock, timeout, [&] {
      return acked_.load() + failed_.load() + unproducible_.load() >= target;
    });
  }

  uint64_t produced() const { return produced_.load(); }
  uint64_t acked() const { return acked_.load(); }
  uint64_t failed() const { return failed_.load(); }
  uint64_t unproducible() const { return unproducible_.load(); }
  // Why the first failed record failed ("" when none failed).
  std::string first_error() const {
    std::lock_guard lock(mu_);
    return first_error_;
  }
  uint64_t outstanding() const {
    return produced_.load() - acked_.load() - failed_.load() -
           unproducible_.load();
  }

 private:
  // After a report, under mu_: wakes the waiters, and calls the hook when
  // nothing is outstanding.
  void ReportedLocked() {
    cv_.notify_all();
    if (on_all_reported_ && outstanding() == 0) on_all_reported_();
  }

  std::function<void()> on_all_reported_;
  std::atomic<uint64_t>* error_counter_;
  const bool record_offsets_;
  std::map<int32_t, int64_t> max_offsets_;  // guarded by mu_
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> produced_{0};
  std::atomic<uint64_t> acked_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> unproducible_{0};
  std::string first_error_;  // guarded by mu_
};

}  // namespace callflow::pipeline
