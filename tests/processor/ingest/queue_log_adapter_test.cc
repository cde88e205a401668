// The queue_log mapping of `callflow ingest`, verb by verb.
#include "processor/ingest/queue_log_adapter.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "processor/ingest/ingest_counts.h"

namespace callflow::ingest {
namespace {

using v1::CallEnded;
using v1::CallEvent;

class QueueLogAdapterTest : public ::testing::Test {
 protected:
  // Converts one line; returns its events.
  std::vector<CallEvent> Feed(const std::string& line,
                              LineOutcome expected = LineOutcome::kEvents) {
    std::vector<CallEvent> out;
    last_ = adapter_.Convert(line, &out);
    EXPECT_EQ(last_.outcome, expected) << line << ": " << last_.error;
    return out;
  }
  void Enter(const std::string& epoch, const std::string& callid,
             const std::string& caller, const std::string& queue = "support") {
    ASSERT_EQ(Feed(epoch + "|" + callid + "|" + queue + "|NONE|ENTERQUEUE||" +
                   caller + "|1")
                  .size(),
              2u);
  }

  IngestOptions options_;
  QueueLogAdapter adapter_{options_};
  LineResult last_;
};

TEST_F(QueueLogAdapterTest, EnterQueueGivesStartedAndQueued) {
  auto events =
      Feed("1764547200|1764547200.1|support|NONE|ENTERQUEUE||84951234567|1");
  ASSERT_EQ(events.size(), 2u);
  const CallEvent& started = events[0];
  EXPECT_TRUE(started.has_started());
  EXPECT_EQ(started.event_id(), "aq:1764547200.1:ENTERQUEUE:1764547200");
  EXPECT_EQ(started.call_id(), "1764547200.1");
  EXPECT_EQ(started.caller(), "84951234567");
  EXPECT_EQ(started.line(), "support");
  EXPECT_EQ(started.direction(), CallEvent::INBOUND);
  EXPECT_EQ(started.occurred_at().seconds(), 1764547200);
  const CallEvent& queued = events[1];
  ASSERT_TRUE(queued.has_queued());
  EXPECT_EQ(queued.queued().queue(), "support");
  EXPECT_EQ(queued.event_id(), "aq:1764547200.1:QUEUED:1764547200");
  EXPECT_EQ(queued.call_id(), "1764547200.1");
  EXPECT_EQ(queued.occurred_at().seconds(), 1764547200);
  EXPECT_EQ(adapter_.open_calls(), 1u);
}

TEST_F(QueueLogAdapterTest, ConnectAndCompleteOfAKnownCall) {
  Enter("1764547200", "c1", "+74951234567");
  auto answered = Feed("1764547215|c1|support|SIP/1002|CONNECT|15|c1.2|3");
  ASSERT_EQ(answered.size(), 1u);
  ASSERT_TRUE(answered[0].has_answered());
  EXPECT_EQ(answered[0].answered().agent_id(), "SIP/1002");
  EXPECT_EQ(answered[0].answered().queue(), "support");
  EXPECT_EQ(answered[0].answered().wait_seconds(), 15u);
  EXPECT_EQ(answered[0].event_id(), "aq:c1:CONNECT:1764547215");
  EXPECT_EQ(answered[0].caller(), "+74951234567");
  EXPECT_EQ(answered[0].line(), "support");
  EXPECT_EQ(answered[0].call_id(), "c1");
  auto ended = Feed("1764547300|c1|support|SIP/1002|COMPLETEAGENT|15|85|1");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].ended().reason(), CallEnded::COMPLETED);
  EXPECT_EQ(ended[0].ended().talk_seconds(), 85u);
  EXPECT_EQ(ended[0].event_id(), "aq:c1:COMPLETEAGENT:1764547300");
  EXPECT_EQ(ended[0].caller(), "+74951234567");
}

TEST_F(QueueLogAdapterTest, EveryEndVerbHasItsReasonAndTalkTime) {
  struct Case {
    std::string data;  // VERB|d1|...
    CallEnded::EndReason reason;
    uint32_t talk;
  };
  const std::vector<Case> cases = {
      {"COMPLETECALLER|15|85|1", CallEnded::COMPLETED, 85},
      {"COMPLETEAGENT|15|86|1", CallEnded::COMPLETED, 86},
      {"TRANSFER|200|default|10|90|1", CallEnded::COMPLETED, 90},
      {"BLINDTRANSFER|300|default|5|60|1", CallEnded::COMPLETED, 60},
      {"ATTENDEDTRANSFER|BRIDGE|17645.16|8|92|1", CallEnded::COMPLETED, 92},
      {"ABANDON|1|1|30", CallEnded::ABANDONED, 0},
      {"EXITWITHKEY|5|1|1|20", CallEnded::ABANDONED, 0},
      {"EXITWITHTIMEOUT|1|1|300", CallEnded::TIMEOUT, 0},
      {"EXITEMPTY|1|1|59", CallEnded::NO_ANSWER, 0},
  };
  int n = 0;
  for (const Case& c : cases) {
    const std::string callid = absl::StrCat("c", ++n);
    Enter("1764547200", callid, "+74951234567");
    auto ended =
        Feed(absl::StrCat("1764547300|", callid, "|support|SIP/1|", c.data));
    ASSERT_EQ(ended.size(), 1u) << c.data;
    EXPECT_EQ(ended[0].ended().reason(), c.reason) << c.data;
    EXPECT_EQ(ended[0].ended().talk_seconds(), c.talk) << c.data;
    EXPECT_EQ(ended[0].call_id(), callid);
    // The call is forgotten: a second end verb is an orphan.
    Feed(absl::StrCat("1764547301|", callid, "|support|SIP/1|", c.data),
         LineOutcome::kOrphan);
  }
}

TEST_F(QueueLogAdapterTest, RequeuedCallGetsNumberedCallIds) {
  Enter("1764548600", "c8", "+74951110008");
  Feed("1764548900|c8|support|NONE|EXITWITHTIMEOUT|1|1|300");
  auto again = Feed("1764548901|c8|overflow|NONE|ENTERQUEUE||+74951110008|1");
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].call_id(), "c8#2");
  EXPECT_EQ(again[1].call_id(), "c8#2");
  EXPECT_EQ(again[0].line(), "overflow");
  EXPECT_EQ(again[0].event_id(), "aq:c8:ENTERQUEUE:1764548901");
  auto ended = Feed("1764548960|c8|overflow|NONE|EXITEMPTY|1|1|59");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].call_id(), "c8#2");
  Enter("1764549000", "c8", "+74951110008", "third");
  auto third = Feed("1764549001|c8|third|NONE|ABANDON|1|1|1");
  EXPECT_EQ(third[0].call_id(), "c8#3");
}

TEST_F(QueueLogAdapterTest, OrphansAndIgnoredVerbs) {
  Feed("1764549100|unknown.1|support|SIP/1001|CONNECT|3|x.2|1",
       LineOutcome::kOrphan);
  Feed("1764549100|unknown.1|support|NONE|ABANDON|1|1|3", LineOutcome::kOrphan);
  for (const char* line : {
           "1764547000|NONE|NONE|NONE|QUEUESTART|",
           "1764547010|NONE|support|SIP/1001|ADDMEMBER|",
           "1764547011|NONE|support|SIP/1001|REMOVEMEMBER|",
           "1764547020|NONE|support|Agent/1001|AGENTLOGIN|SIP/1001",
           "1764547205|c1|support|SIP/1001|RINGNOANSWER|5000",
           "1764549320|NONE|support|SIP/1002|PAUSE||",
           "1764549321|NONE|support|SIP/1002|UNPAUSE||",
           "1764549400|NONE|NONE|NONE|CONFIGRELOAD|",
           "1764549000|c9|support|NONE|DID|+74950000777",
       }) {
    Feed(line, LineOutcome::kIgnored);
  }
  Feed("", LineOutcome::kBlank);
}

TEST_F(QueueLogAdapterTest, MalformedLinesSayWhatIsWrong) {
  Enter("1764549300", "c12", "+74951110012");
  struct Case {
    std::string line;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"this is not a queue_log line", "got 1 field(s)"},
      {"17645x9200|c10|support|NONE|ENTERQUEUE||+7495|1", "epoch"},
      {"1764549210|c11|support|NONE|ENTERQUEUE", "callerid"},
      {"1764549310|c12|support|SIP/1002|CONNECT|ten|x|2", "holdtime"},
      {"1764549310|c12|support|SIP/1002|COMPLETECALLER|10", "calltime"},
      {"1764549310||support|NONE|ENTERQUEUE||+7495|1", "callid"},
      {"1764549310|c13||NONE|ENTERQUEUE||+7495|1", "queue"},
      {"100|c14|support|NONE|ENTERQUEUE||+7495|1", "occurred_at"},
      // Out of range on the verbs after ENTERQUEUE too: an epoch past the
      // year 9999 went out as an event no JSON or protobuf reader accepts.
      {"300000000000|c12|support|SIP/1002|CONNECT|15|c12.2|3", "occurred_at"},
      {"300000000000|c12|support|NONE|ABANDON|1|1|60", "occurred_at"},
  };
  for (const Case& c : cases) {
    Feed(c.line, LineOutcome::kMalformed);
    EXPECT_NE(last_.error.find(c.error), std::string::npos)
        << c.line << " -> " << last_.error;
  }
  // Issue 10: the error (logged, in the DLQ record) never quotes the line's
  // fields: a shifted line puts the caller's number where the epoch goes.
  Feed("+74951230006|c10|support|NONE|ENTERQUEUE||+7495|1",
       LineOutcome::kMalformed);
  EXPECT_EQ(last_.error.find("495123"), std::string::npos) << last_.error;
  // Nor in a seconds field: there too a shifted line may hold a number or
  // an address.
  for (const std::string line :
       {"1764549310|c12|support|SIP/1002|CONNECT|+74951230006|x|2",
        "1764549310|c12|support|SIP/1002|COMPLETECALLER|10|user@example.com"}) {
    Feed(line, LineOutcome::kMalformed);
    EXPECT_EQ(last_.error.find("495123"), std::string::npos) << last_.error;
    EXPECT_EQ(last_.error.find("example"), std::string::npos) << last_.error;
    EXPECT_NE(last_.error.find("character(s)"), std::string::npos)
        << last_.error;
  }
  // A malformed line does not end the call.
  EXPECT_EQ(Feed("1764549360|c12|support|NONE|ABANDON|1|1|60").size(), 1u);
}

// Found by fuzz/queue_log: bytes that are not UTF-8 (a callerid name in
// CP1251) went into CallEvent string fields, which protobuf refuses to
// decode, so the processor dead-lettered the whole call as undecodable.
TEST_F(QueueLogAdapterTest, LinesThatAreNotUtf8AreMalformed) {
  Enter("1764549300", "c20", "+74951110020");
  const std::vector<std::string> lines = {
      "1764549310|c21|support|NONE|ENTERQUEUE||\xcf\xe5\xf2\xf0 "
      "<84951110021>|1",
      "1764549310|c22|supp\xffort|NONE|ENTERQUEUE||+74951110022|1",
      "1764549310|c2\xc3|support|NONE|ENTERQUEUE||+74951110023|1",
      "1764549320|c20|support|SIP/\xe0\x80\x80|CONNECT|10|c20.1|1",
      "1764549320|c20|support|NONE|DID|+7495\xed\xa0\x80",
  };
  for (const std::string& line : lines) {
    EXPECT_TRUE(Feed(line, LineOutcome::kMalformed).empty()) << line;
    EXPECT_NE(last_.error.find("UTF-8"), std::string::npos) << last_.error;
  }
  EXPECT_EQ(adapter_.open_calls(), 1u);
  // UTF-8 is fine, and a line the adapter ignores is not checked.
  Enter("1764549330", "c24", "Пётр <+74951110024>", "поддержка");
  Feed("1764549330|NONE|NONE|SIP/\xcf|PAUSEALL|", LineOutcome::kIgnored);
  auto ended = Feed("1764549390|c24|поддержка|NONE|ABANDON|1|1|60");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].line(), "поддержка");
}

TEST_F(QueueLogAdapterTest, DidLineGivesTheLineWhenConfigured) {
  options_.line = LineFrom::kDid;
  QueueLogAdapter did(options_);
  std::vector<CallEvent> out;
  EXPECT_EQ(
      did.Convert("1764549000|c9|support|NONE|DID|+74950000777", &out).outcome,
      LineOutcome::kIgnored);
  did.Convert("1764549001|c9|support|NONE|ENTERQUEUE||+74951110009|1", &out);
  did.Convert("1764549002|c10|support|NONE|ENTERQUEUE||+74951110010|1", &out);
  did.Convert("1764549030|c9|support|NONE|ABANDON|1|1|29", &out);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].line(), "+74950000777");
  EXPECT_EQ(out[2].line(), "support");  // no DID line: the queue
  EXPECT_EQ(out[4].line(), "+74950000777");
  // The default ignores DID lines.
  Feed("1764549000|c9|support|NONE|DID|+74950000777", LineOutcome::kIgnored);
  Enter("1764549001", "c9", "+74951110009");
}

TEST_F(QueueLogAdapterTest, MemoryIsBoundedOldestCallFirst) {
  options_.max_open_calls = 2;
  QueueLogAdapter small(options_);
  std::vector<CallEvent> out;
  for (const char* callid : {"a", "b", "c"}) {
    small.Convert(
        absl::StrCat("1764549001|", callid, "|q|NONE|ENTERQUEUE||+7495111|1"),
        &out);
  }
  EXPECT_EQ(small.open_calls(), 2u);
  EXPECT_EQ(small.evicted(), 1u);
  EXPECT_EQ(small.Convert("1764549002|a|q|NONE|ABANDON|1|1|1", &out).outcome,
            LineOutcome::kOrphan);
  EXPECT_EQ(small.Convert("1764549002|c|q|NONE|ABANDON|1|1|1", &out).outcome,
            LineOutcome::kEvents);
}

TEST_F(QueueLogAdapterTest, VisitCountsOfEndedCallsAreKeptWithinTheirBound) {
  options_.max_closed_calls = 1;
  QueueLogAdapter small(options_);
  std::vector<CallEvent> out;
  auto visit = [&](const std::string& callid) {
    out.clear();
    small.Convert(absl::StrCat("1764549001|", callid,
                               "|q|NONE|ENTERQUEUE||+74951110009|1"),
                  &out);
    small.Convert(absl::StrCat("1764549002|", callid, "|q|NONE|ABANDON|1|1|1"),
                  &out);
    return out.front().call_id();
  };
  EXPECT_EQ(visit("a"), "a");
  EXPECT_EQ(visit("a"), "a#2");
  EXPECT_EQ(visit("b"), "b");  // a's count is forgotten now
  EXPECT_EQ(visit("a"), "a");
  EXPECT_EQ(small.open_calls(), 0u);
  EXPECT_EQ(small.evicted(), 0u);
}

TEST_F(QueueLogAdapterTest, FixtureCountsMatchItsReadme) {
  std::ifstream in("tests/data/ingest/all_verbs.queue_log");
  ASSERT_TRUE(in);
  IngestCounts counts;
  std::string line;
  std::vector<CallEvent> out;
  std::vector<uint64_t> malformed_lines;
  while (std::getline(in, line)) {
    const size_t before = out.size();
    LineResult r = adapter_.Convert(line, &out);
    counts.Count(r.outcome);
    counts.events += out.size() - before;
    if (r.outcome == LineOutcome::kMalformed) {
      malformed_lines.push_back(counts.lines);
    }
  }
  EXPECT_EQ(counts.lines, 41u);
  EXPECT_EQ(counts.events, 40u);
  EXPECT_EQ(counts.ignored, 7u);
  EXPECT_EQ(counts.orphans, 2u);
  EXPECT_EQ(counts.malformed, 4u);
  EXPECT_EQ(malformed_lines, (std::vector<uint64_t>{33, 34, 35, 37}));
  // The cut-off call is still open at the end.
  EXPECT_EQ(adapter_.open_calls(), 1u);
  EXPECT_EQ(out.back().call_id(), "1764549500.14");
  EXPECT_TRUE(out.back().has_queued());
}

TEST(QueueLogEventTime, ReadsTheEpochField) {
  EXPECT_EQ(QueueLogAdapter::EventTime("1764549001|c|q|NONE|ENTERQUEUE||1|1"),
            1764549001LL * 1'000'000'000LL);
  EXPECT_FALSE(QueueLogAdapter::EventTime("garbage").has_value());
  EXPECT_FALSE(QueueLogAdapter::EventTime("").has_value());
}

}  // namespace
}  // namespace callflow::ingest
