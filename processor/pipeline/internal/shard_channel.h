#pragma once

#include <atomic_queue/atomic_queue.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "processor/pipeline/internal/envelope.h"

namespace callflow::pipeline {

// The bounded lock-free hand-over between the poll thread (producer) and one
// shard thread (consumer): a single-producer single-consumer ring of
// envelopes, plus a return ring through which the shard gives used envelopes
// back for reuse (so decoded protobuf messages are recycled, not reallocated).
// Both rings are atomic_queue::AtomicQueueB in SPSC mode.
//
// A shard with nothing to do waits in WaitForPush; the poll thread (once per
// round of pushes) and the delivery reports that complete the shard's
// records wake it with Notify, which makes a system call only when the shard
// waits: a busy shard costs no wake-up, an idle one no polling.
//
// Thread-safety: Acquire/Release/TryPush only from the poll thread,
// TryPop/Recycle/WaitForPush only from the shard thread, Notify from any.
// Envelopes are owned by the channel and live as long as it; their number is
// the peak in flight (ring plus the poll thread's pending messages of paused
// partitions).
class ShardChannel {
 public:
  explicit ShardChannel(size_t capacity);
  ~ShardChannel();
  ShardChannel(const ShardChannel&) = delete;
  ShardChannel& operator=(const ShardChannel&) = delete;

  // Poll thread: an envelope to fill (recycled, or a new one).
  Envelope* Acquire();
  // Poll thread: gives an acquired envelope back without sending it.
  void Release(Envelope* e);
  // Poll thread: false when the ring is full (the caller keeps `e`).
  bool TryPush(Envelope* e);

  // Any thread: wakes the shard if it waits in WaitForPush, or makes its
  // next WaitForPush return at once (the poll thread after a round of
  // TryPush, delivery reports when the shard's records are all reported).
  void Notify();

  // Shard thread: next envelope or null.
  Envelope* TryPop();
  // Shard thread: returns when the ring is not empty, after a Notify (one
  // since the last WaitForPush returned is enough), or once `timeout` has
  // passed (or spuriously).
  void WaitForPush(std::chrono::microseconds timeout);
  // Shard thread: returns a consumed envelope for reuse.
  void Recycle(Envelope* e);

  size_t size() const { return ring_.was_size(); }
  size_t capacity() const { return ring_.capacity(); }

 private:
  using Ring = atomic_queue::AtomicQueueB<
      Envelope*, std::allocator<Envelope*>, static_cast<Envelope*>(nullptr),
      /*MAXIMIZE_THROUGHPUT=*/true, /*TOTAL_ORDER=*/false, /*SPSC=*/true>;

  Ring ring_;
  Ring free_;
  // The shard waits in WaitForPush (under wait_mu_); Notify since it last
  // returned.
  std::atomic<bool> waiting_{false};
  std::atomic<bool> notified_{false};
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  std::vector<std::unique_ptr<Envelope>> all_;  // poll thread only
  std::vector<Envelope*> spare_;                // poll thread only
};

}  // namespace callflow::pipeline
