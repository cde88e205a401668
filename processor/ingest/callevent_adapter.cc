#include "processor/ingest/callevent_adapter.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "callflow/v1/state.pb.h"
#include "processor/codec/codec.h"
#include "processor/rules/options.h"
#include "processor/rules/validation.h"

namespace callflow::ingest {
namespace {

size_t FirstNonBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n");
}

// §6's checks without a watermark (ingest keeps none).
LineResult Validated(v1::CallEvent event, std::vector<v1::CallEvent>* out) {
  static const auto* const kOptions = new rules::EngineOptions();
  const rules::Verdict v =
      rules::ValidateEvent(event, v1::PartitionState(), *kOptions);
  if (!v.ok()) return {LineOutcome::kMalformed, v.message(), v.reason()};
  out->push_back(std::move(event));
  return {LineOutcome::kEvents, ""};
}

}  // namespace

LineResult CallEventAdapter::Convert(std::string_view line,
                                     std::vector<v1::CallEvent>* out) {
  if (FirstNonBlank(line) == std::string_view::npos) {
    return {LineOutcome::kBlank, ""};
  }
  v1::CallEvent event;
  if (absl::Status s = codec::ParseEventJson(line, &event); !s.ok()) {
    v1::CallEvent known;
    if (std::optional<std::string> enums =
            codec::UnknownEnumNames(line, &known)) {
      const rules::Verdict v = rules::UnknownEnumVerdict(known, *enums);
      return {LineOutcome::kMalformed, v.message(), v.reason()};
    }
    return {LineOutcome::kMalformed,
            absl::StrCat("not a CallEvent JSON: ", s.message())};
  }
  return Validated(std::move(event), out);
}

LineResult CallEventAdapter::ConvertPayload(std::string_view payload,
                                            std::vector<v1::CallEvent>* out) {
  const size_t first = FirstNonBlank(payload);
  if (first != std::string_view::npos && payload[first] == '{') {
    return Convert(payload, out);
  }
  v1::CallEvent event;
  if (absl::Status s = codec::ParseEventProto(payload, &event); !s.ok()) {
    return {LineOutcome::kMalformed,
            absl::StrCat("not a CallEvent protobuf: ", s.message())};
  }
  return Validated(std::move(event), out);
}

}  // namespace callflow::ingest
