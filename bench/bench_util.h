#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "processor/util/temp_dir.h"

namespace callflow::bench {

// Small helpers of the callflow-bench tool. Not thread-safe unless noted.

// Prints "[callflow-bench] <formatted text>" on stderr (the progress of a
// command) and flushes it.
template <typename... Args>
void Progress(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print(stderr, "[callflow-bench] {}\n",
             fmt::format(format, std::forward<Args>(args)...));
  std::fflush(stderr);
}

// A command's failure: "error: <what>" as progress, {"error": "<what>"} as
// the result line on stdout; returns the exit code 1.
int Fail(const std::string& what);

// Resident set size of this process now / at its peak (VmRSS / VmHWM), MiB.
double RssMb();
double PeakRssMb();

// Wall-clock seconds on the steady clock since `start`.
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

// CPU seconds used by every thread of this process so far
// (CLOCK_PROCESS_CPUTIME_ID).
double ProcessCpuSeconds();

// Context switches of every thread of this process so far, voluntary (a
// thread waited: futex, poll, sleep) and involuntary (getrusage).
uint64_t ProcessContextSwitches();

// rules::StableHash of `key` (counting distinct callers). Partitions come
// from pipeline::Murmur2Partition, as the processor expects.
uint64_t KeyHash(std::string_view key);

// Latency samples with weights (a range of events that share one latency).
// Thread-compatible; Quantile() sorts, so it counts as a write.
class LatencyRecorder {
 public:
  void Add(double ms, uint64_t count = 1) {
    if (count > 0) samples_.emplace_back(ms, count);
    total_ += count;
  }
  uint64_t count() const { return total_; }
  // The q-quantile (0..1) in ms; 0 when empty. Sorts the samples.
  double Quantile(double q);

 private:
  std::vector<std::pair<double, uint64_t>> samples_;
  uint64_t total_ = 0;
  bool sorted_ = false;
};

// The work directory of a command: the one the user named (`given`, kept),
// or else a fresh temporary one ("<tmp>/callflow-bench-<name>-XXXXXX")
// removed with everything in it when the WorkDir is destroyed, so that an
// early return leaves nothing behind, unless Keep() was called. Movable,
// not copyable; not thread-safe.
class WorkDir {
 public:
  static absl::StatusOr<WorkDir> Create(const std::string& given,
                                        std::string_view name);

  const std::string& path() const { return path_; }
  // Leaves a temporary directory on disk (e.g. the log of a failed run).
  void Keep();

 private:
  WorkDir(std::string path, std::optional<util::TempDir> temp)
      : path_(std::move(path)), temp_(std::move(temp)) {}

  std::string path_;
  std::optional<util::TempDir> temp_;  // set while the dir is ours to remove
};

// One flat JSON object, keys in insertion order: the tool's result line.
// A plain value; thread-compatible.
class JsonLine {
 public:
  JsonLine& Num(const std::string& key, double value);
  JsonLine& Int(const std::string& key, int64_t value);
  JsonLine& Str(const std::string& key, const std::string& value);
  std::string ToString() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

}  // namespace callflow::bench
