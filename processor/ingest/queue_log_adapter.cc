#include "processor/ingest/queue_log_adapter.h"

#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "callflow/v1/state.pb.h"
#include "processor/rules/time.h"
#include "processor/rules/validation.h"

namespace callflow::ingest {
namespace {

using rules::kSecond;
using v1::CallEnded;
using v1::CallEvent;

// Field positions of a queue_log line.
constexpr size_t kEpoch = 0, kCallId = 1, kQueue = 2, kAgent = 3, kVerb = 4,
                 kData1 = 5;

enum class Verb {
  kEnterQueue,
  kConnect,
  kCompleted,  // holdtime, calltime at d1, d2
  kTransfer,   // holdtime, calltime at d3, d4
  kAbandoned,
  kTimeout,
  kNoAnswer,
  kDid,
  kOther,
};

Verb VerbOf(absl::string_view verb) {
  static const auto* const kVerbs =
      new absl::flat_hash_map<absl::string_view, Verb>{
          {"ENTERQUEUE", Verb::kEnterQueue},
          {"CONNECT", Verb::kConnect},
          {"COMPLETECALLER", Verb::kCompleted},
          {"COMPLETEAGENT", Verb::kCompleted},
          {"TRANSFER", Verb::kTransfer},
          {"BLINDTRANSFER", Verb::kTransfer},
          {"ATTENDEDTRANSFER", Verb::kTransfer},
          {"ABANDON", Verb::kAbandoned},
          {"EXITWITHKEY", Verb::kAbandoned},
          {"EXITWITHTIMEOUT", Verb::kTimeout},
          {"EXITEMPTY", Verb::kNoAnswer},
          {"DID", Verb::kDid},
      };
  auto it = kVerbs->find(verb);
  return it == kVerbs->end() ? Verb::kOther : it->second;
}

// ValidateEvent's options; only the skew bound is read, and it is skipped
// without a watermark.
const rules::EngineOptions& NoOptions() {
  static const auto* const kOptions = new rules::EngineOptions();
  return *kOptions;
}

// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF), which protobuf requires of every
// string field when it decodes a CallEvent.
bool IsUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = [&](size_t at) {
      return static_cast<unsigned char>(text[at]);
    };
    const unsigned char c = byte(i);
    size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // range of the second byte
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;   // overlong
      if (c == 0xED) high = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;   // overlong
      if (c == 0xF4) high = 0x8F;  // past U+10FFFF
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    if (byte(i + 1) < low || byte(i + 1) > high) return false;
    for (size_t k = 2; k < length; ++k) {
      if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return false;
    }
    i += length;
  }
  return true;
}

LineResult Malformed(std::string error, v1::DeadLetter::Reason reason =
                                            v1::DeadLetter::UNDECODABLE) {
  return {LineOutcome::kMalformed, std::move(error), reason};
}

// The data field `index` (0 = d1) of `verb` as a number of seconds.
absl::Status Seconds(const std::vector<absl::string_view>& fields, size_t index,
                     absl::string_view name, absl::string_view verb,
                     uint32_t* out) {
  const size_t at = kData1 + index;
  if (at >= fields.size() || !absl::SimpleAtoi(fields[at], out)) {
    return absl::InvalidArgumentError(absl::StrCat(
        verb, ": field ", at + 1, " (", name, ") must be a number of seconds",
        // Not the field's text: a shifted line may put a number or an
        // address there, and the error is logged and dead-lettered.
        at < fields.size()
            ? absl::StrCat(", got ", fields[at].size(), " character(s)")
            : ", but the line ends before it"));
  }
  return absl::OkStatus();
}

// CONNECT's holdtime, COMPLETE*'s and TRANSFER's calltime (0 for the rest).
absl::Status VerbSeconds(Verb verb,
                         const std::vector<absl::string_view>& fields,
                         uint32_t* hold, uint32_t* talk) {
  const absl::string_view verb_name = fields[kVerb];
  if (verb == Verb::kConnect) {
    return Seconds(fields, 0, "holdtime", verb_name, hold);
  }
  if (verb == Verb::kCompleted) {
    return Seconds(fields, 1, "calltime", verb_name, talk);
  }
  if (verb == Verb::kTransfer) {
    return Seconds(fields, 3, "calltime", verb_name, talk);
  }
  return absl::OkStatus();
}

// The body of the event an open call's verb maps to.
void SetBody(Verb verb, const std::vector<absl::string_view>& fields,
             uint32_t hold, uint32_t talk, CallEvent& event) {
  switch (verb) {
    case Verb::kConnect: {
      auto* answered = event.mutable_answered();
      answered->set_agent_id(std::string(fields[kAgent]));
      answered->set_queue(std::string(fields[kQueue]));
      answered->set_wait_seconds(hold);
      break;
    }
    case Verb::kCompleted:
    case Verb::kTransfer:
      event.mutable_ended()->set_reason(CallEnded::COMPLETED);
      event.mutable_ended()->set_talk_seconds(talk);
      break;
    case Verb::kAbandoned:
      event.mutable_ended()->set_reason(CallEnded::ABANDONED);
      break;
    case Verb::kTimeout:
      event.mutable_ended()->set_reason(CallEnded::TIMEOUT);
      break;
    default:  // kNoAnswer
      event.mutable_ended()->set_reason(CallEnded::NO_ANSWER);
      break;
  }
}

}  // namespace

std::optional<int64_t> QueueLogAdapter::EventTime(std::string_view text) {
  const absl::string_view line(text.data(), text.size());
  int64_t epoch = 0;
  if (!absl::SimpleAtoi(line.substr(0, line.find('|')), &epoch) || epoch <= 0 ||
      epoch > std::numeric_limits<int64_t>::max() / kSecond) {
    return std::nullopt;
  }
  return epoch * kSecond;
}

QueueLogAdapter::QueueLogAdapter(const IngestOptions& options)
    : options_(options) {}

const std::string* QueueLogAdapter::Intern(absl::string_view name) {
  return &*names_.emplace(name).first;
}

QueueLogAdapter::Call& QueueLogAdapter::Remember(absl::string_view callid) {
  return calls_.try_emplace(callid).first->second;
}

bool QueueLogAdapter::Forget(const Entry& e, bool open) {
  auto it = calls_.find(e.callid);
  if (it == calls_.end() || it->second.seq != e.seq ||
      it->second.open != open) {
    return false;  // stale: the call moved on since
  }
  calls_.erase(it);
  return true;
}

void QueueLogAdapter::Open(absl::string_view callid, Call& call) {
  if (!call.open) ++open_calls_;
  call.open = true;
  call.seq = next_seq_++;
  open_order_.push_back({std::string(callid), call.seq});
  while (open_calls_ > options_.max_open_calls) {
    const Entry oldest = std::move(open_order_.front());
    open_order_.pop_front();
    if (Forget(oldest, true)) {
      ++evicted_;
      --open_calls_;
    }
  }
  // Entries of calls that ended leave from the front; a long call at the
  // front holds them back, so compact once they outnumber the open calls.
  if (open_order_.size() > 2 * open_calls_ + 1024) {
    std::deque<Entry> live;
    for (Entry& e : open_order_) {
      auto it = calls_.find(e.callid);
      if (it != calls_.end() && it->second.open && it->second.seq == e.seq) {
        live.push_back(std::move(e));
      }
    }
    open_order_.swap(live);
  }
}

void QueueLogAdapter::Close(absl::string_view callid, Call& call) {
  if (call.open) --open_calls_;
  call.open = false;
  call.caller.clear();
  call.seq = next_seq_++;
  closed_order_.push_back({std::string(callid), call.seq});
  while (closed_order_.size() > options_.max_closed_calls) {
    Forget(closed_order_.front(), false);
    closed_order_.pop_front();
  }
}

LineResult QueueLogAdapter::EnterQueue(
    const std::vector<absl::string_view>& fields, CallEvent event,
    std::vector<CallEvent>* out) {
  const absl::string_view callid = fields[kCallId];
  const absl::string_view queue = fields[kQueue];
  const int64_t epoch = event.occurred_at().seconds();
  const size_t at = kData1 + 1;
  if (fields.size() <= at) {
    return Malformed("ENTERQUEUE: field 7 (callerid) is missing",
                     v1::DeadLetter::MISSING_FIELD);
  }
  // The range of epoch is checked before the call is remembered.
  event.set_call_id(std::string(callid));
  event.mutable_started();
  if (rules::Verdict v =
          rules::ValidateEvent(event, v1::PartitionState(), NoOptions());
      !v.ok()) {
    return Malformed(v.message(), v.reason());
  }
  Call& call = Remember(callid);
  ++call.enters;
  call.caller.assign(fields[at].data(), fields[at].size());
  call.line = options_.line == LineFrom::kDid && call.did != nullptr
                  ? call.did
                  : Intern(queue);
  if (call.enters > 1) {
    event.set_call_id(absl::StrCat(callid, "#", call.enters));
  }
  event.set_caller(call.caller);
  event.set_line(*call.line);
  Open(callid, call);
  out->push_back(event);
  event.set_event_id(absl::StrCat("aq:", callid, ":QUEUED:", epoch));
  event.mutable_queued()->set_queue(std::string(queue));
  out->push_back(std::move(event));
  return {LineOutcome::kEvents, ""};
}

LineResult QueueLogAdapter::Convert(std::string_view line,
                                    std::vector<CallEvent>* out) {
  absl::string_view text(line.data(), line.size());
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (text.find_first_not_of(" \t") == absl::string_view::npos) {
    return {LineOutcome::kBlank, ""};
  }
  const std::vector<absl::string_view> fields = absl::StrSplit(text, '|');
  if (fields.size() <= kVerb) {
    return Malformed(
        absl::StrCat("expected epoch|callid|queue|agent|VERB|data..., got ",
                     fields.size(), " field(s)"));
  }
  int64_t epoch = 0;
  if (!absl::SimpleAtoi(fields[kEpoch], &epoch) || epoch <= 0) {
    // Not the field's text: a shifted line may put a phone number there.
    return Malformed(absl::StrCat("field 1 (epoch) must be Unix seconds, got ",
                                  fields[kEpoch].size(), " character(s)"));
  }
  const absl::string_view callid = fields[kCallId];
  const absl::string_view queue = fields[kQueue];
  const absl::string_view verb_name = fields[kVerb];
  const Verb verb = VerbOf(verb_name);
  if (verb == Verb::kOther) return {LineOutcome::kIgnored, ""};
  if (!IsUtf8(text)) {
    return Malformed(absl::StrCat(
        verb_name, ": not valid UTF-8 (event fields must be UTF-8)"));
  }
  if (callid.empty() || callid == "NONE") {
    return Malformed(absl::StrCat(verb_name, ": field 2 (callid) is empty"),
                     v1::DeadLetter::MISSING_FIELD);
  }
  if (verb == Verb::kDid) {
    if (options_.line == LineFrom::kDid && fields.size() > kData1 &&
        !fields[kData1].empty()) {
      Call& call = Remember(callid);
      call.did = Intern(fields[kData1]);
      if (!call.open) Close(callid, call);
    }
    return {LineOutcome::kIgnored, ""};
  }
  if (queue.empty() || queue == "NONE") {
    return Malformed(absl::StrCat(verb_name, ": field 3 (queue) is empty"),
                     v1::DeadLetter::MISSING_FIELD);
  }

  CallEvent event;
  event.mutable_occurred_at()->set_seconds(epoch);
  event.set_direction(CallEvent::INBOUND);
  event.set_event_id(absl::StrCat("aq:", callid, ":", verb_name, ":", epoch));

  if (verb == Verb::kEnterQueue) {
    return EnterQueue(fields, std::move(event), out);
  }

  // Every other mapped verb belongs to an open call.
  uint32_t hold = 0, talk = 0;
  if (absl::Status s = VerbSeconds(verb, fields, &hold, &talk); !s.ok()) {
    return Malformed(std::string(s.message()));
  }
  auto it = calls_.find(callid);
  if (it == calls_.end() || !it->second.open) {
    return {LineOutcome::kOrphan, ""};
  }
  Call& call = it->second;
  event.set_call_id(call.enters > 1 ? absl::StrCat(callid, "#", call.enters)
                                    : std::string(callid));
  event.set_caller(call.caller);
  event.set_line(*call.line);
  SetBody(verb, fields, hold, talk, event);
  // The same range checks as ENTERQUEUE's: an epoch far in the future on a
  // CONNECT or an end would otherwise pass as an event no consumer can read
  // (timestamps end at 9999). The call stays open for a good end.
  if (rules::Verdict v =
          rules::ValidateEvent(event, v1::PartitionState(), NoOptions());
      !v.ok()) {
    return Malformed(v.message(), v.reason());
  }
  if (event.has_ended()) Close(callid, call);
  out->push_back(std::move(event));
  return {LineOutcome::kEvents, ""};
}

}  // namespace callflow::ingest
