// A caller record stays bounded whatever the input: over-long ids are
// dead-lettered, display text is cut, and each list forgets entries (counted
// as kStateTrimmed) to make room. A record filled to every limit with the
// longest values allowed stays under kMaxCallerRecordBytes.
#include "processor/rules/state_limits.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/processor/rules/engine_test_harness.h"

namespace callflow::rules::testing {
namespace {

using ::callflow_testing::IsOk;
using v1::DeadLetter;

// "2026-03-01T10:MM:SSZ" for the `i`-th second after 10:00 (i < 3600).
std::string At(int i) {
  return absl::StrFormat("2026-03-01T10:%02d:%02dZ", i / 60, i % 60);
}

// `text` padded with `fill` to exactly `size` bytes.
std::string Padded(const std::string& text, size_t size, char fill) {
  return text + std::string(size - text.size(), fill);
}

double Trimmed(const RecordingSink& sink, TrimmedList list) {
  double n = 0;
  for (const auto& f : sink.facts) {
    if (f.kind == FactKind::kStateTrimmed &&
        f.detail == static_cast<int32_t>(list)) {
      n += f.value;
    }
  }
  return n;
}

TEST(StateLimitsTest, OverLongIdsGoToTheDeadLetterQueue) {
  EngineHarness h;
  const std::string id_at_limit(kMaxIdBytes, 'i');
  EXPECT_THAT(h.Apply(Leg("e1", At(0), id_at_limit, kE164).Started()), IsOk());
  const Verdict call_id =
      h.Apply(Leg("e2", At(1), id_at_limit + "x", kE164).Started());
  EXPECT_EQ(call_id.reason(), DeadLetter::TOO_LONG);
  EXPECT_EQ(call_id.message(),
            "call_id is 257 bytes long, more than the 256 callflow keeps");
  const Verdict line = h.Apply(
      Leg("e3", At(2), "c3", kE164).Line(std::string(300, 'l')).Started());
  EXPECT_EQ(line.reason(), DeadLetter::TOO_LONG);
  const Verdict case_id =
      h.Apply(CallEventBuilder().Id("e4").At(At(3)).Caller(kE164).Disposition(
          v1::Disposition::NEW_CASE, std::string(kMaxIdBytes + 1, 'c')));
  EXPECT_EQ(case_id.reason(), DeadLetter::TOO_LONG);
  const Verdict email =
      h.Apply(CallEventBuilder().Id("e5").At(At(4)).Caller(kE164).Contact(
          std::string(kMaxEmailBytes + 1, 'm')));
  EXPECT_EQ(email.reason(), DeadLetter::TOO_LONG);
  // An alarm's message is not kept: it is not limited here (the alert
  // carrying it is capped on output).
  EXPECT_THAT(h.Apply(CallEventBuilder().Id("e6").At(At(5)).Line("sales").Alarm(
                  "zone", v1::Alarm::FIRE, std::string(5000, 'a'))),
              IsOk());
}

TEST(StateLimitsTest, TitlesAndNamesAreCutOnACharacterBoundary) {
  EngineHarness h;
  std::string title;
  for (int i = 0; i < 1000; ++i) title += "\xD0\x96";  // 2000 bytes of 'Ж'
  ASSERT_THAT(
      h.Apply(CallEventBuilder().Id("e1").At(At(0)).Caller(kE164).CustomerEvent(
          "ce1", "2026-03-05T10:00:00Z", title)),
      IsOk());
  const v1::CallerState& caller = h.state().callers().at(kE164);
  ASSERT_EQ(caller.customer_events_size(), 1);
  const std::string& kept = caller.customer_events(0).title();
  EXPECT_LE(kept.size(), kMaxStoredText);
  EXPECT_EQ(kept, title.substr(0, kMaxStoredText - 4) + "\xE2\x80\xA6");
  ASSERT_FALSE(h.sink().tasks.empty());
  EXPECT_EQ(h.sink().tasks[0].subject(), kept);
}

TEST(StateLimitsTest, CasesForgetTheOldestBeyondTheirBound) {
  EngineHarness h;
  for (int i = 0; i < kMaxOpenCases + 3; ++i) {
    ASSERT_THAT(h.Apply(CallEventBuilder()
                            .Id(absl::StrCat("n", i))
                            .At(At(i))
                            .Caller(kE164)
                            .Disposition(v1::Disposition::NEW_CASE,
                                         absl::StrCat("case-", i))),
                IsOk());
  }
  const v1::CallerState& caller = h.state().callers().at(kE164);
  ASSERT_EQ(caller.open_case_ids_size(), kMaxOpenCases);
  EXPECT_EQ(caller.open_case_ids(0), "case-3");
  EXPECT_EQ(Trimmed(h.sink(), TrimmedList::kOpenCases), 3);
}

TEST(StateLimitsTest, CustomerEventsForgetThoseThatAreOverFirst) {
  EngineHarness h;
  // One event in the past of the watermark (its follow-up is due), then
  // future ones up to the bound.
  ASSERT_THAT(
      h.Apply(CallEventBuilder().Id("p").At(At(0)).Caller(kE164).CustomerEvent(
          "past", "2026-02-01T10:00:00Z")),
      IsOk());
  for (int i = 1; i < kMaxCustomerEvents; ++i) {
    ASSERT_THAT(h.Apply(CallEventBuilder()
                            .Id(absl::StrCat("f", i))
                            .At(At(i))
                            .Caller(kE164)
                            .CustomerEvent(absl::StrCat("future-", i),
                                           "2026-04-01T10:00:00Z")),
                IsOk());
  }
  const auto ids = [&] {
    std::vector<std::string> out;
    for (const auto& ce : h.state().callers().at(kE164).customer_events()) {
      out.push_back(ce.customer_event_id());
    }
    return out;
  };
  ASSERT_EQ(ids().size(), static_cast<size_t>(kMaxCustomerEvents));
  ASSERT_THAT(
      h.Apply(
          CallEventBuilder().Id("n1").At(At(100)).Caller(kE164).CustomerEvent(
              "new-1", "2026-03-20T10:00:00Z")),
      IsOk());
  // The past one made room, though it is not the first added last.
  EXPECT_EQ(ids().front(), "future-1");
  EXPECT_EQ(ids().back(), "new-1");
  // None is over now: the one that starts first makes room.
  ASSERT_THAT(
      h.Apply(
          CallEventBuilder().Id("n2").At(At(101)).Caller(kE164).CustomerEvent(
              "new-2", "2026-04-02T10:00:00Z")),
      IsOk());
  EXPECT_EQ(ids().size(), static_cast<size_t>(kMaxCustomerEvents));
  EXPECT_EQ(std::count(ids().begin(), ids().end(), "new-1"), 0);
  EXPECT_EQ(Trimmed(h.sink(), TrimmedList::kCustomerEvents), 2);
}

TEST(StateLimitsTest, OpenLegsCloseTheOldestAsStale) {
  EngineHarness h;
  // A leg only queued (nothing to bill or count), then started legs.
  ASSERT_THAT(h.Apply(Leg("q", At(0), "queued-only", kE164).Answered()),
              IsOk());
  for (int i = 1; i <= kMaxOpenLegs + 1; ++i) {
    ASSERT_THAT(h.Apply(Leg(absl::StrCat("s", i), At(i),
                            absl::StrCat("call-", i), kE164)
                            .Started()),
                IsOk());
  }
  // The answered-only leg was forgotten, then call-1 closed as stale: a
  // missed call (detail 0) that opens a callback task.
  EXPECT_EQ(Trimmed(h.sink(), TrimmedList::kOpenLegs), 2);
  EXPECT_EQ(h.sink().Sum(FactKind::kMissed), 1);
  int open = 0;
  for (const auto& leg : h.state().callers().at(kE164).legs()) {
    open += leg.closed() ? 0 : 1;
    EXPECT_NE(leg.call_id(), "queued-only");
  }
  EXPECT_EQ(open, kMaxOpenLegs);
  ASSERT_EQ(h.sink().tasks.size(), 1u);
  EXPECT_EQ(h.sink().tasks[0].kind(), v1::Task::CALLBACK);
}

// One partition, calls on more distinct lines within one window than its
// record keeps windows for: the calls past the bound are billed and count
// as calls, but not in a line window, and each is counted as trimmed.
TEST(StateLimitsTest, LineWindowsOfAPartitionAreBounded) {
  EngineHarness h;
  const int lines = kMaxOpenLineWindows + 5;
  for (int i = 0; i < lines; ++i) {
    const std::string call = absl::StrCat("c", i);
    const std::string line = absl::StrCat("did-", i);
    ASSERT_THAT(
        h.Apply(Leg(absl::StrCat("s", i), "2026-03-01T10:00:00Z", call, kE164)
                    .Line(line)
                    .Started()),
        IsOk());
    ASSERT_THAT(
        h.Apply(Leg(absl::StrCat("e", i), "2026-03-01T10:00:01Z", call, kE164)
                    .Line(line)
                    .Ended(v1::CallEnded::COMPLETED, 1)),
        IsOk());
  }
  EXPECT_EQ(h.state().MutablePartition().windows_size(), kMaxOpenLineWindows);
  EXPECT_EQ(Trimmed(h.sink(), TrimmedList::kLineWindows), 5);
  EXPECT_EQ(h.sink().Sum(FactKind::kInboundClosed), lines);
}

// Every list full, every kept string as long as the limits allow: the
// record's size is what kMaxCallerRecordBytes promises.
TEST(StateLimitsTest, AFullRecordStaysUnderItsBound) {
  EngineHarness h;
  int n = 0;
  const auto id = [&](const std::string& prefix) {
    return Padded(absl::StrCat(prefix, n++, "-"), kMaxIdBytes, 'x');
  };
  const std::string line = Padded("line-", kMaxIdBytes, 'l');
  const std::string text(3 * kMaxStoredText, 't');
  const auto apply = [&](const v1::CallEvent& e) {
    ASSERT_THAT(h.Apply(e), IsOk());
  };
  // A caller's event at second `at` with the longest id and line.
  const auto caller_event = [&](int at) {
    CallEventBuilder b;
    b.Id(id("e")).At(At(at)).Caller(kE164).Line(line);
    return b;
  };
  apply(caller_event(0).Contact(Padded("a@", kMaxEmailBytes, 'm'), id("crm")));
  for (int i = 0; i < 2 * kMaxOpenCases; ++i) {
    for (auto outcome :
         {v1::Disposition::NEW_CASE, v1::Disposition::CONTRACT_SIGNED}) {
      apply(caller_event(1).Disposition(outcome, id("case")));
    }
  }
  for (int i = 0; i < 2 * kMaxCustomerEvents; ++i) {
    apply(
        caller_event(2).CustomerEvent(id("ce"), "2026-04-01T10:00:00Z", text));
  }
  // Missed calls (closed legs, a callback task), then open legs.
  for (int i = 0; i < 20; ++i) {
    const std::string call = id("call");
    apply(Leg(id("e"), At(3 + 2 * i), call, kE164).Line(line).Started());
    apply(Leg(id("e"), At(4 + 2 * i), call, kE164)
              .Line(line)
              .Ended(v1::CallEnded::ABANDONED));
  }
  for (int i = 0; i < 2 * kMaxOpenLegs; ++i) {
    apply(Leg(id("e"), At(100 + i), id("call"), kE164).Line(line).Started());
  }
  const v1::CallerState& caller = h.state().callers().at(kE164);
  EXPECT_EQ(caller.open_case_ids_size(), kMaxOpenCases);
  EXPECT_EQ(caller.converted_case_ids_size(), kMaxConvertedCases);
  EXPECT_EQ(caller.customer_events_size(), kMaxCustomerEvents);
  EXPECT_TRUE(caller.has_callback());
  const size_t size = caller.ByteSizeLong();
  EXPECT_GT(size, kMaxCallerRecordBytes / 2) << "not a full record";
  EXPECT_LE(size, kMaxCallerRecordBytes);
}

}  // namespace
}  // namespace callflow::rules::testing
