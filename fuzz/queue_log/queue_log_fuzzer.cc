// libFuzzer target: Asterisk queue_log lines through ingest::QueueLogAdapter
// (`callflow ingest --format asterisk-queue-log`), and the events it builds
// through the Kafka payload round trip and the rules engine. The input is a
// queue_log file; it is converted twice: with the default options, and with DID
// lines as the call's line and memory bounds of 3 open and 2 closed calls, so
// eviction runs on short inputs.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "fuzz/common/event_checks.h"
#include "processor/ingest/queue_log_adapter.h"

namespace {

using callflow::fuzz::Check;
using callflow::ingest::LineOutcome;

void Convert(absl::string_view text,
             const callflow::ingest::IngestOptions& options) {
  callflow::ingest::QueueLogAdapter adapter(options);
  std::vector<callflow::v1::CallEvent> events;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const std::string_view view(line.data(), line.size());
    callflow::ingest::QueueLogAdapter::EventTime(view);
    const size_t before = events.size();
    const callflow::ingest::LineResult result = adapter.Convert(view, &events);
    Check((result.outcome == LineOutcome::kEvents) == (events.size() > before),
          "events were appended if and only if the outcome is kEvents");
    Check((result.outcome == LineOutcome::kMalformed) != result.error.empty(),
          "an error if and only if the line is malformed");
    Check(adapter.open_calls() <= options.max_open_calls,
          "more open calls than max_open_calls");
  }
  for (const callflow::v1::CallEvent& event : events) {
    callflow::fuzz::CheckWireRoundTrip(event);
  }
  callflow::fuzz::ApplyToEngine(events);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  callflow::fuzz::QuietProtobufLog();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  Convert(text, {});
  callflow::ingest::IngestOptions bounded;
  bounded.line = callflow::ingest::LineFrom::kDid;
  bounded.max_open_calls = 3;
  bounded.max_closed_calls = 2;
  Convert(text, bounded);
  return 0;
}
