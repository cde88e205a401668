#include "processor/sim/jsonl_writer.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "processor/codec/codec.h"

namespace callflow::sim {

JsonlWriter::JsonlWriter(std::ostream* out, const JsonlWriterOptions& options)
    : out_(out),
      malformed_rate_(options.malformed_rate),
      rng_(HashKey(options.seed, "malformed")) {}

std::string JsonlWriter::Malformed(const v1::CallEvent& event,
                                   Malformation kind) {
  v1::CallEvent copy = event;
  // A distinct id, so a bad line never shadows its good twin.
  copy.set_event_id(absl::StrCat(event.event_id(), "-bad"));
  std::string json = codec::ToJson(copy);
  if (kind == Malformation::kUnknownEnum) {
    const std::string key = "\"direction\":\"";
    if (const size_t at = json.find(key); at != std::string::npos) {
      const size_t value = at + key.size();
      return json.replace(value, json.find('"', value) - value, "SIDEWAYS");
    }
  } else if (kind == Malformation::kMissingEventId) {
    copy.clear_event_id();
    json = codec::ToJson(copy);
    const std::string key = "\"event_id\":\"\",";
    if (const size_t at = json.find(key); at != std::string::npos) {
      return json.erase(at, key.size());
    }
  }
  return json.substr(0, json.size() / 2);  // kTruncated
}

absl::Status JsonlWriter::Write(const v1::CallEvent& event) {
  if (rng_.Bernoulli(malformed_rate_)) {
    const auto kind = static_cast<Malformation>(rng_.UniformInt(0, 2));
    *out_ << Malformed(event, kind) << '\n';
    ++malformed_;
    ++lines_;
  }
  *out_ << codec::ToJson(event) << '\n';
  ++lines_;
  if (!*out_) return absl::DataLossError("write failed");
  return absl::OkStatus();
}

}  // namespace callflow::sim
