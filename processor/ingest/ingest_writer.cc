#include "processor/ingest/ingest_writer.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "processor/pipeline/output_limits.h"
#include "processor/rules/time.h"

namespace callflow::ingest {

absl::Status IngestWriter::Handle(const LineResult& result,
                                  std::vector<v1::CallEvent>& events,
                                  std::string_view raw,
                                  const LineOrigin& origin) {
  if (result.outcome == LineOutcome::kBlank) return absl::OkStatus();
  counts_.Count(result.outcome);
  if (result.outcome == LineOutcome::kEvents) {
    for (v1::CallEvent& e : events) {
      if (rules::Verdict v = future_.Check(e); !v.ok()) {
        ++counts_.future;
        // The raw line, or the event itself for a record decoded whole.
        std::string payload =
            raw.empty() ? e.SerializeAsString() : std::string(raw);
        if (absl::Status s =
                Reject(origin, "future", counts_.future, v.reason(),
                       absl::StrCat("event ", e.event_id(), ": ", v.message()),
                       std::move(payload));
            !s.ok()) {
          return s;
        }
        continue;
      }
      if (absl::Status s = sink_.Write(std::move(e)); !s.ok()) return s;
      ++counts_.events;
    }
    return absl::OkStatus();
  }
  if (result.outcome != LineOutcome::kMalformed) return absl::OkStatus();
  return Reject(origin, "malformed", counts_.malformed, result.reason,
                result.error, std::string(raw));
}

absl::Status IngestWriter::Reject(const LineOrigin& origin,
                                  absl::string_view kind, uint64_t count,
                                  v1::DeadLetter::Reason reason,
                                  const std::string& error,
                                  std::string payload) {
  const std::string where = origin.partition < 0
                                ? absl::StrCat("line ", origin.offset)
                                : absl::StrCat("partition ", origin.partition,
                                               " offset ", origin.offset);
  if (count <= kMaxReported) {
    log_ << source_ << ": " << where << ": " << kind << ": " << error
         << (count == kMaxReported
                 ? absl::StrCat(" (further ", kind,
                                " lines are counted, not shown)")
                 : "")
         << "\n";
  }
  v1::DeadLetter dl;
  dl.set_source_topic(source_);
  dl.set_partition(origin.partition);
  dl.set_offset(origin.offset);
  dl.set_key(std::string(origin.key));
  dl.set_payload(std::move(payload));
  dl.set_error(absl::StrCat(where, ": ", error));
  dl.set_reason(reason);
  rules::ToProto(absl::ToUnixNanos(absl::Now()), dl.mutable_received_at());
  // A line of megabytes (a crash's run of NULs) must not make a record the
  // broker refuses: ingest would stop on it at every restart.
  pipeline::LimitDeadLetter(dl);
  if (origin.whole_size > 0) {
    dl.set_payload_truncated(true);
    dl.set_payload_size(origin.whole_size);
    dl.set_payload_fnv1a(origin.whole_fnv1a);
  }
  return sink_.WriteDeadLetter(dl);
}

}  // namespace callflow::ingest
