#include "bench/thread_cpu.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace callflow::bench {
namespace {

// Name and user + system ticks from one /proc/<pid>/task/<tid>/stat line:
// "tid (name) state ppid ... utime stime ...". The name may hold spaces and
// parentheses, so the fields are counted from its last ')'.
bool ParseStat(const std::string& line, std::string* name, long* ticks) {
  const size_t open = line.find('(');
  const size_t close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open ||
      close + 2 > line.size()) {
    return false;
  }
  *name = line.substr(open + 1, close - open - 1);
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  // After the name: state is field 3; utime and stime are fields 14, 15.
  for (int i = 3; i < 14; ++i) rest >> field;
  long utime = 0, stime = 0;
  if (!(rest >> utime >> stime)) return false;
  *ticks = utime + stime;
  return true;
}

}  // namespace

ThreadCpuSnapshot ThreadCpuSnapshot::Take() {
  ThreadCpuSnapshot snapshot;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(entry.path() / "stat");
    std::string line;
    Thread thread;
    if (!std::getline(in, line) ||
        !ParseStat(line, &thread.name, &thread.ticks)) {
      continue;  // the thread ended meanwhile
    }
    snapshot.threads_[std::stoi(entry.path().filename().string())] =
        std::move(thread);
  }
  return snapshot;
}

std::map<std::string, double> ThreadCpuSnapshot::SecondsSince(
    const ThreadCpuSnapshot& before) const {
  static const double kTicksPerSecond =
      static_cast<double>(sysconf(_SC_CLK_TCK));
  std::map<std::string, double> seconds;
  for (const auto& [tid, thread] : threads_) {
    auto it = before.threads_.find(tid);
    // A thread id reused by a newer thread of the same name counts from
    // zero too, when its time shows it (lower than the old thread's).
    const long start = it != before.threads_.end() &&
                               it->second.name == thread.name &&
                               it->second.ticks <= thread.ticks
                           ? it->second.ticks
                           : 0;
    seconds[thread.name] += (thread.ticks - start) / kTicksPerSecond;
  }
  return seconds;
}

std::string TopThreadsInCores(const std::map<std::string, double>& cpu,
                              double seconds, int top) {
  std::vector<std::pair<std::string, double>> sorted(cpu.begin(), cpu.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  if (sorted.size() > static_cast<size_t>(top)) sorted.resize(top);
  return absl::StrJoin(sorted, ", ", [&](std::string* out, const auto& p) {
    absl::StrAppendFormat(out, "%s %.2f", p.first, p.second / seconds);
  });
}

}  // namespace callflow::bench
