#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "processor/ingest/event_sink.h"

namespace callflow::ingest {

// Runs another sink on its own thread, so reading and converting lines
// overlaps with keying, encoding and producing them (two cores instead of
// one). Events travel in batches through a bounded queue, in order; Write
// blocks while the queue is full. Flush waits until the worker has written
// everything queued, then flushes the inner sink, and returns the first
// error either met.
//
// Lifecycle: construct around a sink; Write/WriteDeadLetter/Flush from one
// thread; destroy (the worker writes what is queued, then stops; Flush
// first to see errors). The inner sink is only used by one thread at a
// time.
class AsyncEventSink : public EventSink {
 public:
  // `batch`: events per hand-over. `max_batches`: queued before Write
  // blocks.
  explicit AsyncEventSink(std::unique_ptr<EventSink> inner, size_t batch = 1024,
                          size_t max_batches = 16);
  ~AsyncEventSink() override;
  AsyncEventSink(const AsyncEventSink&) = delete;
  AsyncEventSink& operator=(const AsyncEventSink&) = delete;

  absl::Status Write(v1::CallEvent&& event) override;
  absl::Status WriteDeadLetter(const v1::DeadLetter& dead_letter) override;
  absl::Status Flush() override;

 private:
  // Batches go back to the writer thread once written and are reused, so
  // every CallEvent is freed by the thread that allocated it (no malloc
  // arena traffic between the two threads).
  struct Batch {
    std::vector<v1::CallEvent> events;  // [0, used) are this batch's
    size_t used = 0;
    std::vector<v1::DeadLetter> dead_letters;
  };
  // Queues current_ (if not empty); blocks while the queue is full.
  absl::Status Hand();
  void Work();

  std::unique_ptr<EventSink> inner_;
  const size_t batch_size_;
  const size_t max_batches_;
  Batch current_;  // the writer thread's

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Batch> queue_;  // guarded by mu_
  std::vector<Batch> done_;  // written, to reuse; guarded by mu_
  bool busy_ = false;        // the worker holds a batch; guarded by mu_
  bool stop_ = false;        // guarded by mu_
  absl::Status error_;       // the worker's first error; guarded by mu_
  std::thread worker_;
};

}  // namespace callflow::ingest
