#include "processor/ingest/ingest_writer.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
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
      if (absl::Status s = sink_.Write(std::move(e)); !s.ok()) return s;
    }
    counts_.events += events.size();
    return absl::OkStatus();
  }
  if (result.outcome != LineOutcome::kMalformed) return absl::OkStatus();
  const std::string where = origin.partition < 0
                                ? absl::StrCat("line ", origin.offset)
                                : absl::StrCat("partition ", origin.partition,
                                               " offset ", origin.offset);
  if (counts_.malformed <= kMaxReported) {
    log_ << source_ << ": " << where << ": malformed: " << result.error
         << (counts_.malformed == kMaxReported
                 ? " (further malformed lines are counted, not shown)"
                 : "")
         << "\n";
  }
  v1::DeadLetter dl;
  dl.set_source_topic(source_);
  dl.set_partition(origin.partition);
  dl.set_offset(origin.offset);
  dl.set_key(std::string(origin.key));
  dl.set_payload(std::string(raw));
  dl.set_error(absl::StrCat(where, ": ", result.error));
  rules::ToProto(absl::ToUnixNanos(absl::Now()), dl.mutable_received_at());
  return sink_.WriteDeadLetter(dl);
}

}  // namespace callflow::ingest
