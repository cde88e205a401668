// libFuzzer target: CallEvent JSON lines (the `replay` input and the
// `ingest --format callevent` feed) through codec::ParseEventJson, the JSON
// round trip, and validation plus the rules engine. The input is JSONL: each
// line is decoded on its own, and the decoded events are applied in order
// to one fresh engine, so a crash reproduces from its input alone.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "fuzz/common/event_checks.h"
#include "processor/codec/codec.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  callflow::fuzz::QuietProtobufLog();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<callflow::v1::CallEvent> events;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    callflow::v1::CallEvent event;
    const std::string_view view(line.data(), line.size());
    if (!callflow::codec::ParseEventJson(view, &event).ok()) {
      // The dead-letter reason's check must cope with anything refused.
      (void)callflow::codec::UnknownEnumNames(view);
      continue;
    }
    callflow::fuzz::CheckJsonRoundTrip(event);
    events.push_back(std::move(event));
  }
  callflow::fuzz::ApplyToEngine(events);
  return 0;
}
