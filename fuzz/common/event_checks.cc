#include "fuzz/common/event_checks.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/message_differencer.h"
#include "processor/codec/codec.h"
#include "processor/rules/engine.h"
#include "processor/rules/testing/counting_sink.h"
#include "processor/rules/testing/in_memory_state.h"
#include "processor/rules/time.h"

namespace callflow::fuzz {
namespace {

// The reference time of the FUTURE check: 2030-01-01T00:00:00Z, later than
// every fixture, so seeds are applied and later events are rejected.
constexpr rules::TimeNs kReference = 1893456000 * rules::kSecond;

}  // namespace

void Check(bool ok, absl::string_view what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz check failed: %.*s\n",
               static_cast<int>(what.size()), what.data());
  std::abort();
}

void QuietProtobufLog() {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
}

void CheckJsonRoundTrip(const v1::CallEvent& event) {
  const std::string json = codec::ToJson(event);
  if (absl::StartsWith(json, "{\"json_error\":")) return;
  v1::CallEvent back;
  const absl::Status s = codec::ParseEventJson(json, &back);
  Check(s.ok(), "ToJson output does not parse back: " + s.ToString() +
                    "\n  json: " + json);
  Check(google::protobuf::util::MessageDifferencer::Equals(event, back),
        "ToJson output parses back to another event\n  json: " + json +
            "\n  back: " + codec::ToJson(back));
}

void CheckWireRoundTrip(const v1::CallEvent& event) {
  v1::CallEvent back;
  const absl::Status s =
      codec::ParseEventProto(event.SerializeAsString(), &back);
  Check(s.ok(), "the serialized event does not decode: " + s.ToString() +
                    "\n  event: " + event.ShortDebugString());
  Check(google::protobuf::util::MessageDifferencer::Equals(event, back),
        "the serialized event decodes to another event\n  event: " +
            event.ShortDebugString() + "\n  back: " + back.ShortDebugString());
}

void ApplyToEngine(const std::vector<v1::CallEvent>& events,
                   const rules::EngineOptions& options) {
  rules::Engine engine(options);
  rules::InMemoryState state;
  rules::CountingSink sink;
  uint64_t accepted = 0;
  for (const v1::CallEvent& event : events) {
    const rules::Verdict verdict =
        engine.Process(event, state, sink, kReference);
    if (verdict.ok()) {
      ++accepted;
    } else {
      Check(!verdict.message().empty(), "a rejection without a message");
    }
  }
  Check(sink.count(rules::FactKind::kApplied) +
                sink.count(rules::FactKind::kDuplicate) ==
            accepted,
        "an accepted event recorded neither kApplied nor kDuplicate");
  const rules::TimeNs watermark = state.MutablePartition().watermark();
  if (watermark != 0) {
    engine.AdvanceWatermark(watermark + 30 * rules::kDay, state, sink);
  }
}

}  // namespace callflow::fuzz
