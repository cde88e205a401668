#include "processor/codec/codec.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace callflow::codec {
namespace {

namespace json = google::protobuf::util;

std::string Print(const google::protobuf::Message& message, bool pretty) {
  json::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  auto status = json::MessageToJsonString(message, &out, options);
  if (status.ok()) return out;
  google::protobuf::Value reason;  // prints as an escaped JSON string
  reason.set_string_value(status.message().as_string());
  std::string quoted;
  if (!json::MessageToJsonString(reason, &quoted).ok()) quoted = "\"\"";
  return absl::StrCat("{\"json_error\":", quoted, "}");
}

}  // namespace

absl::Status ParseEventJson(std::string_view line, v1::CallEvent* event) {
  event->Clear();
  json::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = json::JsonStringToMessage(
      google::protobuf::StringPiece(line.data(), line.size()), event, options);
  if (status.ok()) return absl::OkStatus();
  event->Clear();
  // Protobuf puts the offending text on extra lines: keep the error on one.
  std::string reason = status.message().as_string();
  std::replace(reason.begin(), reason.end(), '\n', ' ');
  return absl::InvalidArgumentError(
      absl::StrCat("invalid CallEvent JSON: ", reason));
}

absl::Status ParseEventProto(std::string_view bytes, v1::CallEvent* event) {
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !event->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    event->Clear();
    return absl::InvalidArgumentError(
        absl::StrCat("invalid CallEvent protobuf (", bytes.size(), " bytes)"));
  }
  return absl::OkStatus();
}

std::string ToJson(const google::protobuf::Message& message) {
  return Print(message, /*pretty=*/false);
}

std::string ToPrettyJson(const google::protobuf::Message& message) {
  return Print(message, /*pretty=*/true);
}

}  // namespace callflow::codec
