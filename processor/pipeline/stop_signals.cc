#include "processor/pipeline/stop_signals.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "processor/util/thread_name.h"

namespace callflow::pipeline {
namespace {

sigset_t StopSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

StopSignals::StopSignals(std::function<void()> on_stop)
    : on_stop_(std::move(on_stop)) {
  sigset_t set = StopSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this] {
    util::NameThisThread("cf-signals");
    Watch();
  });
}

StopSignals::~StopSignals() {
  done_ = true;
  thread_.join();
}

void StopSignals::OnStop(std::function<void()> on_stop) {
  std::lock_guard lock(mu_);
  on_stop_ = std::move(on_stop);
  if (requested_.load() && on_stop_) on_stop_();
}

void StopSignals::Watch() {
  const sigset_t set = StopSet();
  const timespec tick{0, 200'000'000};
  while (!done_.load()) {
    const int sig = sigtimedwait(&set, nullptr, &tick);
    if (sig != SIGINT && sig != SIGTERM) continue;
    spdlog::info("{} received: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    requested_ = true;
    std::lock_guard lock(mu_);
    if (on_stop_) on_stop_();
  }
}

}  // namespace callflow::pipeline
