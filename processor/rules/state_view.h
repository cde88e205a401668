#pragma once

#include <optional>
#include <string_view>

#include "callflow/v1/state.pb.h"
#include "processor/rules/timer.h"

namespace callflow::rules {

// The engine's window on one partition's state. Implemented by the RocksDB
// store (state/) and by InMemoryState (tests). Changes are buffered by the
// implementation until its owner commits them atomically.
//
// Not thread-safe: one engine call at a time. References returned stay valid
// until the owner commits or evicts, which never happens during an engine
// call.
class StateView {
 public:
  virtual ~StateView() = default;

  // The record for `key` (normalized E.164, or a pseudo key for anonymous
  // legs); a default record (first_seen_at == 0) when never stored. Every call
  // marks the record dirty.
  virtual v1::CallerState& MutableCaller(std::string_view key) = 0;
  // Removes the record (e.g. a closed anonymous leg).
  virtual void EraseCaller(std::string_view key) = 0;
  // The partition's own record (watermark, line windows).
  virtual v1::PartitionState& MutablePartition() = 0;
  virtual void AddTimer(const Timer& timer) = 0;
  // Removes and returns the first timer with due <= watermark, in Timer order.
  virtual std::optional<Timer> PopDueTimer(TimeNs watermark) = 0;
};

}  // namespace callflow::rules
