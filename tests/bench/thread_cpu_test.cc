#include "bench/thread_cpu.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <chrono>
#include <ctime>
#include <thread>

namespace callflow::bench {
namespace {

// CPU seconds of the calling thread.
double OwnCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

TEST(ThreadCpuSnapshotTest, CountsEachThreadUnderItsName) {
  const ThreadCpuSnapshot before = ThreadCpuSnapshot::Take();
  double spun = 0;
  std::thread spinner([&] {
    pthread_setname_np(pthread_self(), "a (busy) one");
    const double from = OwnCpuSeconds();
    volatile uint64_t sink = 0;
    while (OwnCpuSeconds() - from < 0.3) sink = sink + 1;
    spun = OwnCpuSeconds() - from;
    // Still alive when the second snapshot is taken.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  while (spun == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto cpu = ThreadCpuSnapshot::Take().SecondsSince(before);
  spinner.join();

  // The name holds spaces and parentheses, as /proc's stat line allows.
  ASSERT_TRUE(cpu.contains("a (busy) one"));
  // Clock ticks are 10 ms; the thread spun 0.3 s of CPU.
  EXPECT_NEAR(cpu.at("a (busy) one"), spun, 0.05);
}

TEST(ThreadCpuSnapshotTest, TopThreadsAreTheBusiestInCores) {
  const std::map<std::string, double> cpu = {
      {"idle", 0.1}, {"mock", 3.0}, {"shard", 1.5}};
  EXPECT_EQ(TopThreadsInCores(cpu, 10, 2), "mock 0.30, shard 0.15");
}

}  // namespace
}  // namespace callflow::bench
