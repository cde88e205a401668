#include "processor/pipeline/internal/line_update_split.h"

#include <algorithm>
#include <utility>

namespace callflow::pipeline {
namespace {

// What one start costs in a record at most (a varint of a time in ns).
constexpr size_t kStartBytes = 10;
// A LineStarts' framing besides its line name and times.
constexpr size_t kLineBytes = 16;
// A LineWindowState besides its line name (start, counts, framing).
constexpr size_t kWindowBytes = 40;

}  // namespace

std::vector<v1::LineUpdate> SplitLineUpdate(v1::LineUpdate update,
                                            int64_t earlier_watermark,
                                            size_t max_bytes) {
  std::vector<v1::LineUpdate> out;
  if (update.ByteSizeLong() <= max_bytes) {
    out.push_back(std::move(update));
    return out;
  }
  const auto start_chunk = [&] {
    v1::LineUpdate& chunk = out.emplace_back();
    chunk.set_source_partition(update.source_partition());
    chunk.set_first_watermark(update.first_watermark());
    chunk.set_watermark(std::max<int64_t>(earlier_watermark, 0));
    return &chunk;
  };
  v1::LineUpdate* chunk = start_chunk();
  size_t used = 0;
  for (const v1::LineWindowState& window : update.windows()) {
    const size_t cost = kWindowBytes + window.line().size();
    if (used + cost > max_bytes && used > 0) {
      chunk = start_chunk();
      used = 0;
    }
    *chunk->add_windows() = window;
    used += cost;
  }
  for (const v1::LineStarts& starts : update.starts()) {
    v1::LineStarts* part = nullptr;
    for (int64_t at : starts.at()) {
      const size_t cost =
          kStartBytes +
          (part == nullptr ? kLineBytes + starts.line().size() : 0);
      if (used + cost > max_bytes && used > 0) {
        chunk = start_chunk();
        used = 0;
        part = nullptr;
      }
      if (part == nullptr) {
        part = chunk->add_starts();
        part->set_line(starts.line());
        used += kLineBytes + starts.line().size();
      }
      part->add_at(at);
      used += kStartBytes;
    }
  }
  chunk->set_watermark(update.watermark());
  chunk->set_idle_without_events(update.idle_without_events());
  return out;
}

}  // namespace callflow::pipeline
