#include "processor/codec/codec.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

// Protobuf's parse error, without the input it quotes: the error is logged
// and put in DLQ records, and the input holds phone numbers and e-mails. It
// keeps what is wrong and where ("(caller): invalid value for type
// TYPE_STRING"), drops the offending text protobuf puts on the lines after
// the first and the value it quotes, and blanks any digit run of 7 or more
// and any word with an '@' that is left (e.g. a field name that is a phone
// number).
std::string WithoutInput(std::string reason) {
  reason = reason.substr(0, reason.find('\n'));
  constexpr std::string_view kValue = "invalid value ";
  constexpr std::string_view kType = " for type ";
  if (size_t v = reason.find(kValue); v != std::string::npos) {
    if (size_t t = reason.rfind(kType); t != std::string::npos && t > v) {
      reason.erase(v + kValue.size() - 1, t - (v + kValue.size() - 1));
    }
  }
  std::string words;  // words with an '@' blanked
  for (size_t i = 0; i < reason.size();) {
    size_t end = reason.find_first_of(" \"'", i);
    if (end == i) {
      words += reason[i++];
      continue;
    }
    if (end == std::string::npos) end = reason.size();
    const std::string_view word(reason.data() + i, end - i);
    words += word.find('@') == std::string_view::npos ? std::string(word)
                                                      : "<email>";
    i = end;
  }
  std::string out;  // and digit runs of 7 or more
  for (size_t i = 0; i < words.size();) {
    size_t j = i;
    while (j < words.size() && absl::ascii_isdigit(words[j])) ++j;
    if (j == i) {
      out += words[i++];
    } else {
      out += j - i >= 7 ? std::string("<number>") : words.substr(i, j - i);
      i = j;
    }
  }
  return out;
}

// Sets every enum name `type` does not know, in the JSON object `object` of
// that type and the messages in it, to the number -1 (no enum of ours has
// it, so it stays unknown to validation), and appends each such
// field's path to `paths`. Fields `type` does not have are left for the
// parse to report.
void MarkUnknownEnumNames(const google::protobuf::Descriptor& type,
                          google::protobuf::Struct& object,
                          const std::string& prefix,
                          std::vector<std::string>& paths) {
  using google::protobuf::FieldDescriptor;
  using google::protobuf::Value;
  for (auto& [key, value] : *object.mutable_fields()) {
    const FieldDescriptor* field = type.FindFieldByName(key);
    if (field == nullptr) field = type.FindFieldByCamelcaseName(key);
    if (field == nullptr) continue;
    const std::string path = prefix.empty()
                                 ? field->name()
                                 : absl::StrCat(prefix, ".", field->name());
    auto visit = [&](Value& item) {
      if (field->type() == FieldDescriptor::TYPE_ENUM &&
          item.kind_case() == Value::kStringValue &&
          field->enum_type()->FindValueByName(item.string_value()) == nullptr) {
        item.set_number_value(-1);
        paths.push_back(path);
      } else if (field->type() == FieldDescriptor::TYPE_MESSAGE &&
                 item.kind_case() == Value::kStructValue &&
                 field->message_type()->file()->package() !=
                     "google.protobuf") {
        MarkUnknownEnumNames(*field->message_type(),
                             *item.mutable_struct_value(), path, paths);
      }
    };
    if (field->is_repeated() && value.kind_case() == Value::kListValue) {
      for (Value& item : *value.mutable_list_value()->mutable_values()) {
        visit(item);
      }
    } else {
      visit(value);
    }
  }
}

json::JsonParseOptions StrictParse() {
  json::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  return options;
}

}  // namespace

bool JsonDepthAtMost(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, a quote included
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

std::optional<std::string> UnknownEnumNames(std::string_view line,
                                            v1::CallEvent* parsed) {
  // A CallEvent nests 3 deep at most. protobuf's parse into a Value takes
  // time that grows faster than the square of the depth (a 32 KB line of
  // 16,000 brackets: 6.8 s in replay, a stalled ingest --from-topic), and
  // no line that deep is a CallEvent.
  constexpr int kMaxEventDepth = 8;
  if (!JsonDepthAtMost(line, kMaxEventDepth)) return std::nullopt;
  google::protobuf::Value root;
  const google::protobuf::StringPiece text(line.data(), line.size());
  if (!json::JsonStringToMessage(text, &root).ok() ||
      root.kind_case() != google::protobuf::Value::kStructValue) {
    return std::nullopt;
  }
  std::vector<std::string> paths;
  MarkUnknownEnumNames(*v1::CallEvent::descriptor(),
                       *root.mutable_struct_value(), "", paths);
  std::string known;
  v1::CallEvent event;
  if (paths.empty() || !json::MessageToJsonString(root, &known).ok() ||
      !json::JsonStringToMessage(known, &event, StrictParse()).ok()) {
    return std::nullopt;
  }
  if (parsed != nullptr) *parsed = std::move(event);
  std::sort(paths.begin(), paths.end());  // the object's order is not kept
  return absl::StrJoin(paths, ", ");
}

absl::Status ParseEventJson(std::string_view line, v1::CallEvent* event) {
  event->Clear();
  auto status = json::JsonStringToMessage(
      google::protobuf::StringPiece(line.data(), line.size()), event,
      StrictParse());
  if (status.ok()) return absl::OkStatus();
  event->Clear();
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid CallEvent JSON: ", WithoutInput(status.message().as_string())));
}

std::string_view WithoutByteOrderMark(std::string_view first_line) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (first_line.substr(0, kBom.size()) == kBom) {
    first_line.remove_prefix(kBom.size());
  }
  return first_line;
}

void EraseByteOrderMark(std::string& first_line) {
  first_line.erase(0,
                   first_line.size() - WithoutByteOrderMark(first_line).size());
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
