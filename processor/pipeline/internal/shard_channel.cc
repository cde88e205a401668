#include "processor/pipeline/internal/shard_channel.h"

namespace callflow::pipeline {

// The free ring is sized for the usual peak; an envelope that does not fit
// when recycled simply stays unused (still owned by `all_`).
ShardChannel::ShardChannel(size_t capacity)
    : ring_(static_cast<unsigned>(capacity)),
      free_(static_cast<unsigned>(capacity * 2 + 64)) {}

ShardChannel::~ShardChannel() = default;

Envelope* ShardChannel::Acquire() {
  Envelope* e = nullptr;
  if (!spare_.empty()) {
    e = spare_.back();
    spare_.pop_back();
    return e;
  }
  if (free_.try_pop(e)) return e;
  all_.push_back(std::make_unique<Envelope>());
  return all_.back().get();
}

void ShardChannel::Release(Envelope* e) { spare_.push_back(e); }

bool ShardChannel::TryPush(Envelope* e) { return ring_.try_push(e); }

// The two fences pair up: either the shard's checks (notified_, the ring)
// see what the notifier did before its fence (notified_, a push), or the
// notifier sees that the shard waits and notifies under the mutex, which
// the shard holds until it waits.
void ShardChannel::Notify() {
  notified_.store(true, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!waiting_.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(wait_mu_);
  wait_cv_.notify_one();
}

void ShardChannel::WaitForPush(std::chrono::microseconds timeout) {
  std::unique_lock lock(wait_mu_);
  waiting_.store(true, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!notified_.exchange(false, std::memory_order_relaxed) &&
      ring_.was_empty()) {
    wait_cv_.wait_for(lock, timeout);
  }
  waiting_.store(false, std::memory_order_relaxed);
  notified_.store(false, std::memory_order_relaxed);
}

Envelope* ShardChannel::TryPop() {
  Envelope* e = nullptr;
  return ring_.try_pop(e) ? e : nullptr;
}

void ShardChannel::Recycle(Envelope* e) {
  e->store.reset();
  // Only control envelopes use (and so consume) the promise; renewing it for
  // every event cost a heap allocation per message.
  if (e->kind != Envelope::Kind::kEvent &&
      e->kind != Envelope::Kind::kUndecodable) {
    e->done = std::promise<void>();
  }
  free_.try_push(e);
}

}  // namespace callflow::pipeline
