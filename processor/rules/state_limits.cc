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
    case TrimmedList::kLineWindows:
      return "line_windows";
  }
  return "unknown";
}

Verdict CheckFieldLengths(const CallEvent& e) {
  // A few length comparisons per event; the body's only for its kind.
  if (e.event_id().size() > kMaxIdBytes) {
    return TooLong("event_id", e.event_id().size(), kMaxIdBytes);
  }
  if (e.call_id().size() > kMaxIdBytes) {
    return TooLong("call_id", e.call_id().size(), kMaxIdBytes);
  }
  if (e.line().size() > kMaxIdBytes) {
    return TooLong("line", e.line().size(), kMaxIdBytes);
  }
  switch (e.body_case()) {
    case CallEvent::kDisposition:
      if (e.disposition().case_id().size() > kMaxIdBytes) {
        return TooLong("disposition.case_id", e.disposition().case_id().size(),
                       kMaxIdBytes);
      }
      break;
    case CallEvent::kCustomerEvent:
      if (e.customer_event().customer_event_id().size() > kMaxIdBytes) {
        return TooLong("customer_event.customer_event_id",
                       e.customer_event().customer_event_id().size(),
                       kMaxIdBytes);
      }
      break;
    case CallEvent::kContact:
      if (e.contact().crm_contact_id().size() > kMaxIdBytes) {
        return TooLong("contact.crm_contact_id",
                       e.contact().crm_contact_id().size(), kMaxIdBytes);
      }
      if (e.contact().email().size() > kMaxEmailBytes) {
        return TooLong("contact.email", e.contact().email().size(),
                       kMaxEmailBytes);
      }
      break;
    default:
      break;
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
