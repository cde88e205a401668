#include "processor/ingest/async_event_sink.h"

namespace callflow::ingest {

AsyncEventSink::AsyncEventSink(std::unique_ptr<EventSink> inner, size_t batch,
                               size_t max_batches)
    : inner_(std::move(inner)),
      batch_size_(batch),
      max_batches_(max_batches),
      worker_([this] { Work(); }) {}

AsyncEventSink::~AsyncEventSink() {
  Hand().IgnoreError();  // the worker reports errors; nobody asks any more
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

absl::Status AsyncEventSink::Write(v1::CallEvent&& event) {
  if (current_.used < current_.events.size()) {
    // The caller gets an old event back, to free on its own thread.
    current_.events[current_.used].Swap(&event);
  } else {
    current_.events.push_back(std::move(event));
  }
  if (++current_.used < batch_size_) return absl::OkStatus();
  return Hand();
}

absl::Status AsyncEventSink::WriteDeadLetter(
    const v1::DeadLetter& dead_letter) {
  current_.dead_letters.push_back(dead_letter);
  return absl::OkStatus();
}

absl::Status AsyncEventSink::Hand() {
  if (current_.used == 0 && current_.dead_letters.empty()) {
    std::lock_guard lock(mu_);
    return error_;
  }
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return queue_.size() < max_batches_; });
  queue_.push_back(std::move(current_));
  if (done_.empty()) {
    current_ = Batch();
    current_.events.reserve(batch_size_);
  } else {
    current_ = std::move(done_.back());
    done_.pop_back();
    current_.used = 0;
    current_.dead_letters.clear();
  }
  changed_.notify_all();
  return error_;
}

absl::Status AsyncEventSink::Flush() {
  if (absl::Status s = Hand(); !s.ok()) return s;
  {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return queue_.empty() && !busy_; });
    if (!error_.ok()) return error_;
  }
  // The worker is idle until the next Write: the inner sink is ours now.
  return inner_->Flush();
}

void AsyncEventSink::Work() {
  std::unique_lock lock(mu_);
  while (true) {
    changed_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is written
    Batch batch = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    changed_.notify_all();
    lock.unlock();
    absl::Status s;
    for (size_t i = 0; i < batch.used && s.ok(); ++i) {
      s = inner_->Write(std::move(batch.events[i]));
    }
    for (const v1::DeadLetter& dl : batch.dead_letters) {
      if (s.ok()) s = inner_->WriteDeadLetter(dl);
    }
    lock.lock();
    done_.push_back(std::move(batch));
    if (error_.ok()) error_ = s;
    busy_ = false;
    changed_.notify_all();
  }
}

}  // namespace callflow::ingest
