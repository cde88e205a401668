#include "bench/commit_latency_sampler.h"

#include <algorithm>

namespace callflow::bench {

int64_t CommitLatencySampler::Sample() {
  const double now_ms = NowMs();
  int64_t committed_total = 0;
  for (size_t p = 0; p < parts_.size(); ++p) {
    Part& part = parts_[p];
    const auto& pc = stats_.partitions[p];
    const int64_t consumed = static_cast<int64_t>(pc.consumed.load());
    if (consumed > part.consumed) {
      if (first_consume_ms_ < 0) first_consume_ms_ = now_ms;
      part.segments.push_back({consumed, now_ms});
      part.consumed = consumed;
    }
    const int64_t committed = std::max<int64_t>(pc.committed_offset.load(), 0);
    while (part.committed < committed && !part.segments.empty()) {
      Segment& s = part.segments.front();
      const int64_t upto = std::min(committed, s.end);
      if (record_) {
        latency_.Add(now_ms - s.at_ms,
                     static_cast<uint64_t>(upto - part.committed));
      }
      part.committed = upto;
      if (upto == s.end) part.segments.pop_front();
    }
    part.committed = std::max(part.committed, committed);
    committed_total += part.committed;
  }
  return committed_total;
}

}  // namespace callflow::bench
