#pragma once

#include <map>
#include <string>
#include <unordered_map>

namespace callflow::bench {

// CPU time of every thread of this process at one moment, read from
// /proc/self/task/<tid>/stat (user + system, in clock ticks: 10 ms
// resolution). Two snapshots give each thread's share of a span, which
// shows who used the cores during a run: the pipeline's threads, the bench's
// load generator, or the in-process mock broker ("rdk:mock").
// A value type; Take() reads /proc and may run on any thread.
class ThreadCpuSnapshot {
 public:
  static ThreadCpuSnapshot Take();

  // CPU seconds each thread name used since `before` (threads of the same
  // name, e.g. librdkafka's "rdk:broker1" of every client, are summed; a
  // thread started since counts from zero).
  std::map<std::string, double> SecondsSince(
      const ThreadCpuSnapshot& before) const;

 private:
  // One thread's name and CPU ticks.
  struct Thread {
    std::string name;
    long ticks = 0;
  };
  std::unordered_map<int, Thread> threads_;  // by thread id
};

// "name 0.42, name 0.17, ..." of the `top` names with the most CPU over
// `seconds`, each in cores (CPU seconds per second).
std::string TopThreadsInCores(const std::map<std::string, double>& cpu,
                              double seconds, int top);

}  // namespace callflow::bench
