#include "processor/pipeline/internal/routing_check.h"

#include "absl/strings/str_cat.h"
#include "processor/pipeline/internal/murmur2.h"

namespace callflow::pipeline {
namespace {

constexpr char kFix[] =
    "; key events by the normalized caller as `callflow produce` does, or "
    "put `callflow ingest --format callevent --from-topic <raw topic>` in "
    "front of this feed";

}  // namespace

rules::Verdict RoutingCheck::Check(absl::string_view kafka_key,
                                   absl::string_view expected_key,
                                   int32_t partition) const {
  if (kafka_key != expected_key) {
    return rules::Verdict::Reject(
        v1::DeadLetter::MISROUTED,
        // The keys are phone numbers: the DLQ record's key and payload
        // carry them, the message does not (it is logged and shown).
        absl::StrCat(kafka_key.empty()
                         ? std::string("the record has no key, but needs")
                         : absl::StrCat("the record's key (", kafka_key.size(),
                                        " bytes) is not"),
                     " the event's key (its normalized caller; ~<call_id> for "
                     "an anonymous caller, ~ for an alarm without one; ",
                     expected_key.size(), " bytes)", kFix));
  }
  if (options_.partitioner == Partitioner::kMurmur2 && partitions_ > 0) {
    const int32_t want = Murmur2Partition(kafka_key, partitions_);
    if (want != partition) {
      return rules::Verdict::Reject(
          v1::DeadLetter::MISROUTED,
          absl::StrCat("the record is in partition ", partition,
                       " but murmur2 of its key puts it in partition ", want,
                       " of ", partitions_, kFix,
                       ", or set [input] partitioner = \"any\" if the "
                       "producer partitions every key consistently by "
                       "another function"));
    }
  }
  return rules::Verdict::Accept();
}

}  // namespace callflow::pipeline
