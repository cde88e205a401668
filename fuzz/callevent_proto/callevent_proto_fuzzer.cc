// libFuzzer target: one Kafka payload (a CallEvent in protobuf wire format)
// through codec::ParseEventProto, validation and the rules engine (a fresh
// one per input), and codec::ToJson, which the DLQ, `inspect` and the replay
// outputs use to print it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/common/event_checks.h"
#include "processor/codec/codec.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  callflow::fuzz::QuietProtobufLog();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  callflow::v1::CallEvent event;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (!callflow::codec::ParseEventProto(bytes, &event).ok()) return 0;
  // Unknown fields have no JSON form; the rest must survive the trip.
  callflow::v1::CallEvent known = event;
  known.DiscardUnknownFields();
  callflow::fuzz::CheckJsonRoundTrip(known);
  callflow::fuzz::ApplyToEngine({event});
  return 0;
}
