#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "callflow/v1/events.pb.h"

namespace callflow::ingest {

// Merges the partitions of a raw topic in event-time order, as Kafka
// Streams merges a task's partitions (max.task.idle.ms, KIP-353): Pop()
// always hands out the buffered record with the smallest event time (ties:
// lower partition, then lower offset), also when records of one partition
// were buffered out of order. A partition with nothing buffered
// holds the merge back until it is at its end (MarkEnd) or has been empty
// for `max_idle` of wall time, whichever comes first. The caller passes the
// wall time in, so the class is pure.
//
// It also knows, per partition, the offset to commit: the first offset not
// yet handed out (buffered records are not done).
//
// Lifecycle: Assign partitions, Push/MarkEnd/Pop in any order, Revoke.
// Not thread-safe.
class PartitionMerger {
 public:
  using Clock = std::chrono::steady_clock;

  // One raw record: a decoded CallEvent, or a line converted when it
  // leaves the merge (a queue_log adapter must see lines in time order).
  // A plain value; thread-compatible.
  struct Record {
    int32_t partition = 0;
    int64_t offset = 0;
    int64_t time_ns = 0;  // event time, the merge order
    v1::CallEvent event;
    std::string line;
    std::string key;  // the raw record's key (for a dead letter)
  };

  explicit PartitionMerger(std::chrono::nanoseconds max_idle)
      : max_idle_(max_idle) {}

  void Assign(int32_t partition, Clock::time_point now);
  // Drops the partition and what it buffered.
  void Revoke(int32_t partition);

  void Push(Record record);
  // A record of `partition` that is done without entering the merge (a
  // malformed one, sent to the DLQ).
  void Skip(int32_t partition, int64_t offset, Clock::time_point now);
  // The partition's consumer reached its end.
  void MarkEnd(int32_t partition);

  // The next record in event-time order, or nullopt when the merge must
  // wait (or nothing is buffered).
  std::optional<Record> Pop(Clock::time_point now);

  // The offset to commit for `partition` (-1 before anything was read).
  int64_t CommitOffset(int32_t partition) const;
  size_t Buffered(int32_t partition) const;
  size_t TotalBuffered() const { return total_; }
  // CommitOffset of every partition read from.
  std::map<int32_t, int64_t> CommitOffsets() const;

 private:
  // One partition's buffered records and read position.
  struct Partition {
    std::deque<Record> buffer;       // in merge order
    std::multiset<int64_t> offsets;  // of the buffered records
    bool at_end = false;
    Clock::time_point empty_since;
    int64_t next_offset = -1;  // after the last record read
  };
  void Touch(Partition& p, int64_t offset);

  std::chrono::nanoseconds max_idle_;
  std::map<int32_t, Partition> partitions_;
  size_t total_ = 0;
};

}  // namespace callflow::ingest
