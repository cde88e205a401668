#include "processor/app/protobuf_log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>

#include "google/protobuf/stubs/logging.h"

namespace callflow::app {
namespace {

std::atomic<int64_t> next_allowed_ns{0};
std::atomic<uint64_t> held_back{0};

void RateLimitedHandler(google::protobuf::LogLevel level, const char* file,
                        int line, const std::string& message) {
  (void)level;
  int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count();
  int64_t allowed = next_allowed_ns.load(std::memory_order_relaxed);
  if (now < allowed ||
      !next_allowed_ns.compare_exchange_strong(allowed, now + 1'000'000'000)) {
    held_back.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  uint64_t skipped = held_back.exchange(0, std::memory_order_relaxed);
  std::fprintf(stderr, "[protobuf] %s:%d %s", file, line, message.c_str());
  if (skipped > 0) {
    std::fprintf(stderr, " (%llu similar lines held back)",
                 static_cast<unsigned long long>(skipped));
  }
  std::fputc('\n', stderr);
}

}  // namespace

void InstallRateLimitedProtobufLog() {
  google::protobuf::SetLogHandler(&RateLimitedHandler);
}

}  // namespace callflow::app
