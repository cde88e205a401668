#include "bench/bench_util.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "processor/rules/stable_hash.h"

namespace callflow::bench {

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

uint64_t ProcessContextSwitches() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_nvcsw + usage.ru_nivcsw);
}
namespace {

double StatusFieldMb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = absl::StrCat(field, ":");
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      std::istringstream value(line.substr(prefix.size()));
      double kb = 0;
      value >> kb;
      return kb / 1024.0;
    }
  }
  return 0;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04x", c));
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

int Fail(const std::string& what) {
  Progress("error: {}", what);
  std::cout << JsonLine().Str("error", what).ToString() << std::endl;
  return 1;
}

absl::StatusOr<WorkDir> WorkDir::Create(const std::string& given,
                                        std::string_view name) {
  if (!given.empty()) return WorkDir(given, std::nullopt);
  absl::StatusOr<util::TempDir> temp =
      util::TempDir::Create(absl::StrCat("callflow-bench-", std::string(name)));
  if (!temp.ok()) return temp.status();
  std::string path = temp->path();
  return WorkDir(std::move(path), *std::move(temp));
}

void WorkDir::Keep() {
  if (temp_.has_value()) temp_->Release();
  temp_.reset();
}

double RssMb() { return StatusFieldMb("VmRSS"); }
double PeakRssMb() { return StatusFieldMb("VmHWM"); }

uint64_t KeyHash(std::string_view key) { return rules::StableHash(key); }

double LatencyRecorder::Quantile(double q) {
  if (total_ == 0) return 0;
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  const double rank = std::ceil(q * static_cast<double>(total_));
  uint64_t seen = 0;
  for (const auto& [ms, n] : samples_) {
    seen += n;
    if (static_cast<double>(seen) >= rank) return ms;
  }
  return samples_.back().first;
}

JsonLine& JsonLine::Num(const std::string& key, double value) {
  fields_.emplace_back(key, std::isfinite(value)
                                ? absl::StrFormat("%.6g", value)
                                : std::string("null"));
  return *this;
}

JsonLine& JsonLine::Int(const std::string& key, int64_t value) {
  fields_.emplace_back(key, absl::StrCat(value));
  return *this;
}

JsonLine& JsonLine::Str(const std::string& key, const std::string& value) {
  fields_.emplace_back(key, absl::StrCat("\"", Escape(value), "\""));
  return *this;
}

std::string JsonLine::ToString() const {
  std::string out = "{";
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (i > 0) out += ",";
    absl::StrAppend(&out, "\"", Escape(fields_[i].first),
                    "\":", fields_[i].second);
  }
  return out + "}";
}

}  // namespace callflow::bench
