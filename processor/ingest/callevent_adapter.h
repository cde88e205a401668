#pragma once

#include <string_view>
#include <vector>

#include "processor/ingest/line_adapter.h"

namespace callflow::ingest {

// CallEvents from any producer: one canonical JSON CallEvent per line (a
// file) or a protobuf or JSON payload (a raw topic's record), validated as
// the processor validates them (event_id, occurred_at, body, call_id and
// direction of a leg, known enum values); anything else is malformed.
//
// Lifecycle: any number of calls. Stateless, so thread-safe.
class CallEventAdapter : public LineAdapter {
 public:
  LineResult Convert(std::string_view line,
                     std::vector<v1::CallEvent>* out) override;

  // A topic record's value: JSON when its first non-blank byte is '{',
  // else protobuf wire format.
  LineResult ConvertPayload(std::string_view payload,
                            std::vector<v1::CallEvent>* out);
};

}  // namespace callflow::ingest
