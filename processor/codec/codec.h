#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "callflow/v1/events.pb.h"
#include "google/protobuf/message.h"

namespace callflow::codec {

// Decoding and encoding of the docs/RULES.md §2 messages. Free functions,
// stateless and thread-safe.

// Parses one CallEvent in canonical proto3 JSON (snake_case or
// lowerCamelCase field names, enums by name or number). Unknown fields are an
// error. Only decodes: required fields are the engine's to check.
absl::Status ParseEventJson(std::string_view line, v1::CallEvent* event);

// For a line ParseEventJson refused: the fields ("ended.reason", comma
// separated) that hold enum names this build does not know, when they are
// all that keeps it from decoding (a newer sender's value); nullopt when the
// line is undecodable for any other reason. `parsed` (optional) gets the
// event with those fields set to -1, for the engine's checks (a missing
// event_id is still MISSING_FIELD). For the dead-letter reason; the names
// themselves are not returned, as a shifted field could hold a phone number.
std::optional<std::string> UnknownEnumNames(std::string_view line,
                                            v1::CallEvent* parsed = nullptr);

// True when the JSON text nests objects and arrays at most `max_depth` deep
// (brackets inside strings do not count). One pass, no parse: the check
// before a parse whose cost grows faster than the depth.
bool JsonDepthAtMost(std::string_view text, int max_depth);

// `first_line` of a file without the UTF-8 byte-order mark that Windows
// editors put at the start of a text file (the line is returned unchanged
// when it has none). Only for a file's first line: nowhere else is one
// expected.
std::string_view WithoutByteOrderMark(std::string_view first_line);
// The same, in place.
void EraseByteOrderMark(std::string& first_line);

// Parses one CallEvent in protobuf wire format (the Kafka payload).
absl::Status ParseEventProto(std::string_view bytes, v1::CallEvent* event);

// One line of JSON with the proto field names, every field printed (defaults
// too) and enums by name. A message the JSON mapping cannot express (a
// timestamp outside years 1-9999) gives {"json_error":"<reason>"} instead, so
// a JSONL file stays parseable.
std::string ToJson(const google::protobuf::Message& message);

// The same, indented for people (`callflow inspect`).
std::string ToPrettyJson(const google::protobuf::Message& message);

}  // namespace callflow::codec
