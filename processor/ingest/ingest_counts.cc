#include "processor/ingest/ingest_counts.h"

#include "absl/strings/str_cat.h"

namespace callflow::ingest {

std::string IngestCounts::Summary() const {
  return absl::StrCat("ingest: ", lines, " lines read, ", events,
                      " events written, ", ignored, " ignored, ", orphans,
                      " orphans, ", malformed, " malformed, ", evicted,
                      " calls evicted, ", future, " events from the future");
}

}  // namespace callflow::ingest
