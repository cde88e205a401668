#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_set.h"
#include "absl/strings/string_view.h"
#include "processor/ingest/ingest_options.h"
#include "processor/ingest/line_adapter.h"

namespace callflow::ingest {

// Asterisk's queue_log (`epoch|callid|queue|agent|VERB|d1|...|d5`) to
// CallEvents:
//   ENTERQUEUE                    -> started + queued (remembers the caller)
//   CONNECT                       -> answered {agent, queue, holdtime}
//   COMPLETECALLER/COMPLETEAGENT,
//   TRANSFER/BLINDTRANSFER/
//   ATTENDEDTRANSFER              -> ended {COMPLETED, calltime}
//   ABANDON/EXITWITHKEY           -> ended {ABANDONED}
//   EXITWITHTIMEOUT               -> ended {TIMEOUT}
//   EXITEMPTY                     -> ended {NO_ANSWER}
//   any other verb                -> nothing (ignored)
// Every event is INBOUND, its line the queue (or the DID, see
// IngestOptions::line), its caller the ENTERQUEUE's callerid, its call_id
// the callid (`callid#N` for the N-th ENTERQUEUE of that callid) and its
// event_id `aq:<callid>:<VERB>:<epoch>` (`aq:<callid>:QUEUED:<epoch>` for the
// queued event), so converting the same line twice gives the same event.
// A CONNECT or end verb of a call whose ENTERQUEUE was not seen (or that
// already ended) is an orphan. A line with a mapped verb (or DID) that is
// not valid UTF-8 is malformed: CallEvent strings must be UTF-8. A call is
// remembered from its ENTERQUEUE to its end verb (at most
// IngestOptions::max_open_calls; past it the oldest is forgotten, counted as
// evicted), and its ENTERQUEUE count (for `callid#N`) and DID a while longer
// (the last max_closed_calls ones).
//
// Lifecycle: one per queue_log stream. Not thread-safe.
class QueueLogAdapter : public LineAdapter {
 public:
  explicit QueueLogAdapter(const IngestOptions& options);

  LineResult Convert(std::string_view line,
                     std::vector<v1::CallEvent>* out) override;
  uint64_t evicted() const override { return evicted_; }

  // A line's event time (its epoch field, as ns), read without state: the
  // order key of a raw topic's merge. nullopt when it has none.
  static std::optional<int64_t> EventTime(std::string_view line);
  size_t open_calls() const override { return open_calls_; }

 private:
  // Small on purpose (no heap block for a usual callid and caller).
  struct Call {
    std::string caller;                 // "" once ended
    const std::string* line = nullptr;  // interned in names_
    const std::string* did = nullptr;   // interned in names_
    uint32_t enters = 0;                // ENTERQUEUE lines seen for this callid
    bool open = false;  // between an ENTERQUEUE and its end verb
    uint64_t seq = 0;   // of its latest entry in open_order_/closed_order_
  };
  // A call in the order it opened or closed; stale once the call's seq
  // moved on (it closed, opened again, or was forgotten).
  struct Entry {
    std::string callid;
    uint64_t seq;
  };

  // An ENTERQUEUE line (`fields`), `event` filled with its time, direction
  // and id: the call's start and its queueing.
  LineResult EnterQueue(const std::vector<absl::string_view>& fields,
                        v1::CallEvent event, std::vector<v1::CallEvent>* out);
  Call& Remember(absl::string_view callid);
  const std::string* Intern(absl::string_view name);
  // The call starts (again): counted open; past max_open_calls the oldest
  // open call is forgotten. `call` may be invalid afterwards.
  void Open(absl::string_view callid, Call& call);
  // The call ended, or has only a DID line so far: kept until
  // max_closed_calls newer ones closed. `call` may be invalid afterwards.
  void Close(absl::string_view callid, Call& call);
  // Erases the call of `e` if `e` is still its latest entry.
  bool Forget(const Entry& e, bool open);

  IngestOptions options_;
  absl::flat_hash_map<std::string, Call> calls_;
  // Queue names and DID numbers: few, so kept for the adapter's life.
  absl::node_hash_set<std::string> names_;
  std::deque<Entry> open_order_;    // oldest first; may hold stale entries
  std::deque<Entry> closed_order_;  // oldest first; may hold stale entries
  uint64_t next_seq_ = 1;
  uint64_t evicted_ = 0;
  size_t open_calls_ = 0;
};

}  // namespace callflow::ingest
