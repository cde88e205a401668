#pragma once

#include <vector>

#include "absl/strings/string_view.h"
#include "callflow/v1/events.pb.h"
#include "processor/rules/options.h"

namespace callflow::fuzz {

// The checks the fuzz targets run on every CallEvent they decode or build,
// besides "no crash and no sanitizer report". A failed check prints what
// failed and aborts, which libFuzzer reports as a crash with its input.
// Free functions; not thread-safe (libFuzzer runs one input at a time).

// Aborts with `what` unless `ok`.
void Check(bool ok, absl::string_view what);

// Silences protobuf's error log (it logs every string with invalid UTF-8).
// Call once, from LLVMFuzzerInitialize.
void QuietProtobufLog();

// codec::ToJson of `event` either says {"json_error":...} (a timestamp the
// JSON mapping cannot express) or decodes back to `event` itself.
void CheckJsonRoundTrip(const v1::CallEvent& event);

// `event` serializes to a Kafka payload that codec::ParseEventProto decodes
// back to the same event (protobuf refuses strings that are not UTF-8).
void CheckWireRoundTrip(const v1::CallEvent& event);

// Applies `events` in order to a fresh engine with `options` and an empty
// partition, as a shard would, with a fixed reference time for the FUTURE
// check; then moves the watermark past every timer and window. Every event
// is either applied (a fact is recorded) or rejected with a typed reason.
void ApplyToEngine(const std::vector<v1::CallEvent>& events,
                   const rules::EngineOptions& options = {});

}  // namespace callflow::fuzz
