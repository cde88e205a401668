#include "processor/ingest/partition_merger.h"

#include <algorithm>
#include <iterator>
#include <tuple>

namespace callflow::ingest {
namespace {

auto OrderKey(const PartitionMerger::Record& r) {
  return std::make_tuple(r.time_ns, r.partition, r.offset);
}

}  // namespace

void PartitionMerger::Assign(int32_t partition, Clock::time_point now) {
  Partition& p = partitions_[partition];
  p.empty_since = now;
}

void PartitionMerger::Revoke(int32_t partition) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return;
  total_ -= it->second.buffer.size();
  partitions_.erase(it);
}

void PartitionMerger::Touch(Partition& p, int64_t offset) {
  p.at_end = false;
  p.next_offset = std::max(p.next_offset, offset + 1);
}

void PartitionMerger::Push(Record record) {
  Partition& p = partitions_[record.partition];
  Touch(p, record.offset);
  p.offsets.insert(record.offset);
  // Usually in order already: look for its place from the back.
  auto at = p.buffer.end();
  while (at != p.buffer.begin() &&
         OrderKey(record) < OrderKey(*std::prev(at))) {
    --at;
  }
  p.buffer.insert(at, std::move(record));
  ++total_;
}

void PartitionMerger::Skip(int32_t partition, int64_t offset,
                           Clock::time_point now) {
  Partition& p = partitions_[partition];
  if (p.buffer.empty()) p.empty_since = now;
  Touch(p, offset);
}

void PartitionMerger::MarkEnd(int32_t partition) {
  partitions_[partition].at_end = true;
}

std::optional<PartitionMerger::Record> PartitionMerger::Pop(
    Clock::time_point now) {
  Partition* best = nullptr;
  for (auto& [id, p] : partitions_) {
    if (p.buffer.empty()) {
      if (!p.at_end && now - p.empty_since < max_idle_) return std::nullopt;
      continue;
    }
    if (best == nullptr ||
        OrderKey(p.buffer.front()) < OrderKey(best->buffer.front())) {
      best = &p;
    }
  }
  if (best == nullptr) return std::nullopt;
  Record r = std::move(best->buffer.front());
  best->buffer.pop_front();
  best->offsets.erase(best->offsets.find(r.offset));
  --total_;
  if (best->buffer.empty()) best->empty_since = now;
  return r;
}

int64_t PartitionMerger::CommitOffset(int32_t partition) const {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return -1;
  const Partition& p = it->second;
  return p.offsets.empty() ? p.next_offset : *p.offsets.begin();
}

size_t PartitionMerger::Buffered(int32_t partition) const {
  auto it = partitions_.find(partition);
  return it == partitions_.end() ? 0 : it->second.buffer.size();
}

std::map<int32_t, int64_t> PartitionMerger::CommitOffsets() const {
  std::map<int32_t, int64_t> offsets;
  for (const auto& [id, p] : partitions_) {
    const int64_t o = CommitOffset(id);
    if (o >= 0) offsets[id] = o;
  }
  return offsets;
}

}  // namespace callflow::ingest
