#include "processor/rules/state_limits.h"

#include <string_view>

#include "absl/strings/str_cat.h"

namespace callflow::rules {
namespace {

using v1::CallEvent;

Verdict TooLong(const char* field, size_t size, size_t max) {
  return Verdict::Reject(
      v1::DeadLetter::TOO_LONG,
      absl::StrCat(field, " is ", size, " bytes long, more than the ", max,
                   " callflow keeps"));
}

}  // namespace

const char* TrimmedListLabel(int list) {
  switch (static_cast<TrimmedList>(list)) {
    case TrimmedList::kOpenCases:
      return "open_cases";
    case TrimmedList::kConvertedCases:
      return "converted_cases";
    case TrimmedList::kCustomerEvents:
      return "customer_events";
    case TrimmedList::kOpenLegs:
      return "open_legs";
  }
  return "unknown";
}

Verdict CheckFieldLengths(const CallEvent& e) {
  // A few length comparisons per event (no walk over the message).
  struct Field {
    const char* name;
    const std::string& value;
    size_t max;
  };
  const Field fields[] = {
      {"event_id", e.event_id(), kMaxIdBytes},
      {"call_id", e.call_id(), kMaxIdBytes},
      {"line", e.line(), kMaxIdBytes},
      {"disposition.case_id", e.disposition().case_id(), kMaxIdBytes},
      {"customer_event.customer_event_id",
       e.customer_event().customer_event_id(), kMaxIdBytes},
      {"contact.crm_contact_id", e.contact().crm_contact_id(), kMaxIdBytes},
      {"contact.email", e.contact().email(), kMaxEmailBytes},
  };
  for (const Field& f : fields) {
    if (f.value.size() > f.max) return TooLong(f.name, f.value.size(), f.max);
  }
  return Verdict::Accept();
}

void CapText(std::string& text, size_t max) {
  if (text.size() <= max) return;
  static constexpr std::string_view kMark = "\xE2\x80\xA6";  // U+2026
  size_t cut = max >= kMark.size() ? max - kMark.size() : 0;
  // Back off continuation bytes (10xxxxxx) so a character is never split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  text.resize(cut);
  if (max >= kMark.size()) text.append(kMark);
}

}  // namespace callflow::rules
