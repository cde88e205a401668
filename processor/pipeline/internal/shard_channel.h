#pragma once

#include <atomic_queue/atomic_queue.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "processor/pipeline/internal/envelope.h"

namespace callflow::pipeline {

// The bounded lock-free hand-over between the poll thread (producer) and one
// shard thread (consumer): a single-producer single-consumer ring of
// envelopes, plus a return ring through which the shard gives used envelopes
// back for reuse (so decoded protobuf messages are recycled, not reallocated).
// Both rings are atomic_queue::AtomicQueueB in SPSC mode.
//
// Thread-safety: Acquire/Release/TryPush only from the poll thread,
// TryPop/Recycle only from the shard thread. Envelopes are owned by the
// channel and live as long as it; their number is the peak in flight (ring
// plus the poll thread's pending messages of paused partitions).
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

  // Shard thread: next envelope or null.
  Envelope* TryPop();
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
  std::vector<std::unique_ptr<Envelope>> all_;  // poll thread only
  std::vector<Envelope*> spare_;                // poll thread only
};

}  // namespace callflow::pipeline
