#include "processor/replay/replay.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "callflow/v1/outputs.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "processor/app/config.h"
#include "processor/codec/codec.h"
#include "processor/rules/time.h"
#include "processor/rules/verdict.h"
#include "state/partition_store.h"
#include "tests/support/status_matchers.h"

namespace callflow::replay {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;
namespace fs = std::filesystem;
using google::protobuf::Struct;
using google::protobuf::Value;
using ::testing::HasSubstr;

const std::string kData = CALLFLOW_TEST_DATA_DIR;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> ReadLines(const fs::path& path) {
  std::vector<std::string> lines;
  std::istringstream in(ReadFile(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

Struct ParseStruct(const std::string& json) {
  Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(json, &s);
  EXPECT_THAT(status, IsOk()) << "\n" << json;
  return s;
}

std::string Show(const Value& v) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(v, &out);
  return out;
}

// Every field of `expected` must be in `actual` with the same value; a null
// means "absent"; a string ending in '*' is a prefix.
void ExpectSubset(const Struct& expected, const Struct& actual,
                  const std::string& where) {
  for (const auto& [key, want] : expected.fields()) {
    auto it = actual.fields().find(key);
    if (want.has_null_value()) {
      EXPECT_TRUE(it == actual.fields().end())
          << where << ": '" << key << "' should be absent";
      continue;
    }
    if (it == actual.fields().end()) {
      ADD_FAILURE() << where << ": '" << key << "' is missing";
      continue;
    }
    const Value& got = it->second;
    if (want.has_struct_value() && got.has_struct_value()) {
      ExpectSubset(want.struct_value(), got.struct_value(), where + "." + key);
      continue;
    }
    const std::string& w = want.string_value();
    if (want.has_string_value() && !w.empty() && w.back() == '*') {
      EXPECT_TRUE(got.has_string_value() &&
                  got.string_value().rfind(w.substr(0, w.size() - 1), 0) == 0)
          << where << ": '" << key << "' = " << Show(got) << ", want "
          << Show(want);
      continue;
    }
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(want, got))
        << where << ": '" << key << "' = " << Show(got) << ", want "
        << Show(want);
  }
}

// Compares an output JSONL file with its expected file line by line, and
// checks each line is the canonical JSON of a `Message`.
template <typename Message>
void ExpectJsonl(const fs::path& out_dir, const std::string& name) {
  const auto actual = ReadLines(out_dir / name);
  const auto expected = ReadLines(fs::path(kData) / "scenario.expected" / name);
  EXPECT_EQ(actual.size(), expected.size()) << name;
  for (size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
    const std::string where = name + ":" + std::to_string(i + 1);
    ExpectSubset(ParseStruct(expected[i]), ParseStruct(actual[i]), where);
    Message m;
    ASSERT_THAT(google::protobuf::util::JsonStringToMessage(actual[i], &m),
                IsOk())
        << where;
    EXPECT_EQ(actual[i], codec::ToJson(m)) << where;
  }
  for (size_t i = expected.size(); i < actual.size(); ++i) {
    ADD_FAILURE() << name << ": unexpected line " << i + 1 << ": " << actual[i];
  }
}

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           (std::string("replay_") + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    CALLFLOW_ASSERT_OK_AND_ASSIGN(
        config_, app::LoadConfig(kData + "/scenario.toml", {}));
  }
  void TearDown() override { fs::remove_all(dir_); }

  absl::StatusOr<rules::KpiAccumulator> Replay(const std::string& input,
                                               const std::string& out,
                                               ReplayOptions options = {}) {
    options.input = input;
    options.out_dir = (dir_ / out).string();
    return RunReplay(config_.engine, config_.state, options, nullptr);
  }

  std::string WriteInput(const std::string& text) {
    const fs::path path = dir_ / "input.jsonl";
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  fs::path dir_;
  app::Config config_;
};

TEST_F(ReplayTest, ScenarioGivesTheExpectedOutputs) {
  const std::string input = kData + "/scenario.jsonl";
  auto kpis = Replay(input, "out");
  ASSERT_THAT(kpis, IsOk());
  const fs::path out = dir_ / "out";
  ExpectJsonl<v1::Task>(out, "tasks.jsonl");
  ExpectJsonl<v1::Alert>(out, "alerts.jsonl");
  ExpectJsonl<v1::ContactContext>(out, "contacts.jsonl");
  ExpectJsonl<v1::DeadLetter>(out, "dlq.jsonl");
  for (const std::string& line : ReadLines(out / "dlq.jsonl")) {
    EXPECT_THAT(line, HasSubstr("\"source_topic\":\"" + input + "\""));
  }
  const std::string summary = ReadFile(out / "summary.json");
  ExpectSubset(
      ParseStruct(ReadFile(fs::path(kData) / "scenario.expected/summary.json")),
      ParseStruct(summary), "summary.json");
  EXPECT_EQ(summary, kpis->SummaryJson());
}

TEST_F(ReplayTest, SameInputSameBytes) {
  const std::string input = kData + "/scenario.jsonl";
  ASSERT_THAT(Replay(input, "first"), IsOk());
  ASSERT_THAT(Replay(input, "second"), IsOk());
  for (const char* name : {"tasks.jsonl", "alerts.jsonl", "contacts.jsonl",
                           "dlq.jsonl", "summary.json"}) {
    const std::string first = ReadFile(dir_ / "first" / name);
    EXPECT_FALSE(first.empty()) << name;
    EXPECT_EQ(first, ReadFile(dir_ / "second" / name)) << name;
  }
}

TEST_F(ReplayTest, MalformedLinesGoToTheDlqAndTheRunGoesOn) {
  const std::string input = WriteInput(
      R"({"event_id":"1","occurred_at":"2024-05-01T09:00:00Z","call_id":"c1","caller":"+74951230001","line":"l","direction":"INBOUND","started":{}})"
      "\n{broken\n\n"
      R"({"event_id":"2","occurred_at":"2024-05-01T09:01:00Z","call_id":"c2","caller":"+74951230002","line":"l","direction":"INBOUND","started":{}})"
      "\n"
      R"({"event_id":"3","call_id":"c3","caller":"+74951230003","started":{}})"
      "\n");
  auto kpis = Replay(input, "out");
  ASSERT_THAT(kpis, IsOk());
  const auto dlq = ReadLines(dir_ / "out" / "dlq.jsonl");
  ASSERT_EQ(dlq.size(), 2u);
  v1::DeadLetter letter;
  ASSERT_THAT(google::protobuf::util::JsonStringToMessage(dlq[0], &letter),
              IsOk());
  EXPECT_EQ(letter.offset(), 2);
  EXPECT_EQ(letter.payload(), "{broken");
  EXPECT_EQ(letter.source_topic(), input);
  EXPECT_THAT(letter.error(), testing::StartsWith("line 2: "));
  EXPECT_EQ(letter.reason(), v1::DeadLetter::UNDECODABLE);
  ASSERT_THAT(google::protobuf::util::JsonStringToMessage(dlq[1], &letter),
              IsOk());
  EXPECT_EQ(letter.offset(), 5);  // no occurred_at: rejected by the engine
  EXPECT_THAT(letter.error(), testing::StartsWith("line 5: "));
  EXPECT_EQ(letter.key(), "+74951230003");
  EXPECT_EQ(letter.reason(), v1::DeadLetter::MISSING_FIELD);
  EXPECT_EQ(ReadLines(dir_ / "out" / "contacts.jsonl").size(), 2u);
  EXPECT_EQ(kpis->events().read, 4u);
  EXPECT_EQ(kpis->events().dead_letters, 2u);
  EXPECT_EQ(kpis->events().applied, 2u);
}

// A file saved by a Windows editor starts with a UTF-8 byte-order mark: the
// first event is still an event.
TEST_F(ReplayTest, AByteOrderMarkBeforeTheFirstLineIsNotABadLine) {
  const std::string input = WriteInput(
      "\xEF\xBB\xBF"
      R"({"event_id":"1","occurred_at":"2024-05-01T09:00:00Z","call_id":"c1","caller":"+74951230001","line":"l","direction":"INBOUND","started":{}})"
      "\n");
  auto kpis = Replay(input, "out");
  ASSERT_THAT(kpis, IsOk());
  EXPECT_TRUE(ReadLines(dir_ / "out" / "dlq.jsonl").empty());
  EXPECT_EQ(kpis->events().applied, 1u);
}

// Issue 10: every DLQ reason comes out of a real bad line, typed in
// dlq.jsonl (the enum, not a parsed message). MISROUTED needs a Kafka key and
// partition: the pipeline's DLQ reasons test covers it.
TEST_F(ReplayTest, EveryReasonComesOutOfARealBadLine) {
  auto line = [](const std::string& id, const std::string& at,
                 const std::string& body) {
    return R"({"event_id":")" + id + R"(","occurred_at":")" + at +
           R"(","call_id":"c1","caller":"+74951230001","line":"l",)" +
           R"("direction":"INBOUND",)" + body + "}\n";
  };
  const std::string input = WriteInput(
      line("ok1", "2024-05-10T09:00:00Z", R"("started":{})") +
      "{\"event_id\":\n" +  // UNDECODABLE
      R"({"occurred_at":"2024-05-10T09:00:01Z","caller":"+74951230001","started":{}})"
      "\n" +  // MISSING_FIELD
      line("enum", "2024-05-10T09:00:02Z", R"("ended":{"reason":9})") +
      line("range", "1999-12-31T23:59:59Z", R"("started":{})") +
      line("skew", "2024-05-01T09:00:00Z", R"("started":{})") +
      line("future", "2024-05-10T10:00:00Z", R"("started":{})") +
      // An enum name this build does not know: UNKNOWN_ENUM, unless the
      // event is not whole otherwise (no event_id: MISSING_FIELD).
      line("name", "2024-05-10T09:00:03Z", R"("ended":{"reason":"EXPLODED"})") +
      R"({"occurred_at":"2024-05-10T09:00:04Z","call_id":"c","direction":"SIDEWAYS","started":{}})"
      "\n" +
      line("long", "2024-05-10T09:00:05Z",
           R"("disposition":{"outcome":"NEW_CASE","case_id":")" +
               std::string(300, 'c') + "\"}") +
      line("ok2", "2024-05-10T09:01:00Z",
           R"("ended":{"reason":"COMPLETED","talk_seconds":50})"));
  ReplayOptions options;
  options.now = rules::ParseTime("2024-05-10T09:01:00Z").value();
  auto kpis = Replay(input, "out", options);
  ASSERT_THAT(kpis, IsOk());
  const auto dlq = ReadLines(dir_ / "out" / "dlq.jsonl");
  const std::vector<v1::DeadLetter::Reason> want = {
      v1::DeadLetter::UNDECODABLE,    v1::DeadLetter::MISSING_FIELD,
      v1::DeadLetter::UNKNOWN_ENUM,   v1::DeadLetter::OUT_OF_RANGE,
      v1::DeadLetter::TIMESTAMP_SKEW, v1::DeadLetter::FUTURE,
      v1::DeadLetter::UNKNOWN_ENUM,   v1::DeadLetter::MISSING_FIELD,
      v1::DeadLetter::TOO_LONG};
  ASSERT_EQ(dlq.size(), want.size());
  std::set<v1::DeadLetter::Reason> seen;
  for (size_t i = 0; i < dlq.size(); ++i) {
    v1::DeadLetter letter;
    ASSERT_THAT(google::protobuf::util::JsonStringToMessage(dlq[i], &letter),
                IsOk())
        << dlq[i];
    EXPECT_EQ(letter.reason(), want[i]) << dlq[i];
    EXPECT_EQ(letter.offset(), static_cast<int64_t>(i + 2)) << dlq[i];
    EXPECT_THAT(dlq[i], HasSubstr("\"reason\":\"" +
                                  v1::DeadLetter::Reason_Name(want[i]) + "\""));
    seen.insert(letter.reason());
  }
  for (rules::RejectReason r : rules::AllRejectReasons()) {
    if (r == v1::DeadLetter::MISROUTED) continue;
    EXPECT_TRUE(seen.contains(r)) << v1::DeadLetter::Reason_Name(r);
  }
  // The good events around them were applied.
  EXPECT_EQ(kpis->events().applied, 2u);
  EXPECT_EQ(kpis->events().dead_letters, want.size());
}

// R6 + docs/RULES.md §5: --until moves the watermark at end of input, so the
// SLA of a callback task nobody attempted is breached.
TEST_F(ReplayTest, UntilFiresWhatIsDueByThen) {
  const std::string input = WriteInput(
      R"({"event_id":"s","occurred_at":"2024-05-01T09:00:00Z","call_id":"c1","caller":"+74951230001","line":"l","direction":"INBOUND","started":{}})"
      "\n"
      R"({"event_id":"e","occurred_at":"2024-05-01T09:00:30Z","call_id":"c1","caller":"+74951230001","line":"l","direction":"INBOUND","ended":{"reason":"ABANDONED"}})"
      "\n");
  ASSERT_THAT(Replay(input, "no_until"), IsOk());
  EXPECT_EQ(ReadFile(dir_ / "no_until" / "alerts.jsonl"), "");
  ReplayOptions options;
  options.until = 1714557600LL * rules::kSecond + rules::kHour + 1;  // 10:00
  ASSERT_THAT(Replay(input, "until", options), IsOk());
  const auto alerts = ReadLines(dir_ / "until" / "alerts.jsonl");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_THAT(alerts[0], HasSubstr("\"kind\":\"CALLBACK_SLA_BREACH\""));
  EXPECT_THAT(alerts[0], HasSubstr("\"task_id\":\"cb:+74951230001:e\""));
}

// Issue 10, one bad clock: 200 simulated events plus one event from a sender
// whose clock is ahead. Without --now it moves the watermark (timers fire
// early, or the real events after it fall outside max_event_skew); with
// --now it goes to dlq.jsonl as FUTURE and the outputs are those of the 200
// events alone.
class FutureEventTest : public ReplayTest {
 protected:
  // Runs the binary; `now` "" = no --now.
  void RunCli(const fs::path& input, const std::string& out,
              const std::string& now) {
    std::string cmd = std::string(CALLFLOW_BINARY) + " replay --input " +
                      input.string() + " --out " + (dir_ / out).string();
    if (!now.empty()) cmd += " --now " + now;
    cmd += " > /dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  std::string Outputs(const std::string& out) {
    std::string all;
    for (const char* name : {"tasks.jsonl", "alerts.jsonl", "contacts.jsonl"}) {
      all += std::string(name) + ":\n" + ReadFile(dir_ / out / name);
    }
    return all;
  }
  // The first 200 events of a seeded simulation.
  std::vector<v1::CallEvent> Simulated() {
    const fs::path sim = dir_ / "sim.jsonl";
    const std::string cmd = std::string(CALLFLOW_BINARY) +
                            " simulate --calls 60 --seed 10 --out " +
                            sim.string() + " > /dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::vector<v1::CallEvent> events;
    for (const std::string& line : ReadLines(sim)) {
      if (events.size() == 200) break;
      v1::CallEvent e;
      EXPECT_THAT(codec::ParseEventJson(line, &e), IsOk()) << line;
      events.push_back(e);
    }
    EXPECT_EQ(events.size(), 200u);
    return events;
  }
  fs::path Write(const std::string& name,
                 const std::vector<v1::CallEvent>& events) {
    const fs::path path = dir_ / name;
    std::ofstream out(path, std::ios::binary);
    for (const v1::CallEvent& e : events) out << codec::ToJson(e) << "\n";
    return path;
  }
  // Checks the run with the bad event at `at` against the clean run.
  void ExpectOnlyTheBadEventIsRejected(size_t at, rules::TimeNs bad_time) {
    std::vector<v1::CallEvent> events = Simulated();
    ASSERT_EQ(events.size(), 200u);
    const rules::TimeNs last = rules::FromProto(events.back().occurred_at());
    const std::string now = rules::FormatTime(last);
    const fs::path clean = Write("clean.jsonl", events);
    v1::CallEvent bad = events[at];
    bad.set_event_id("bad-clock");
    rules::ToProto(bad_time, bad.mutable_occurred_at());
    events.insert(events.begin() + static_cast<std::ptrdiff_t>(at), bad);
    const fs::path dirty = Write("dirty.jsonl", events);

    RunCli(clean, "clean", "");
    RunCli(dirty, "trusting", "");
    RunCli(dirty, "checked", now);
    // The bad event is harmful when nothing checks it...
    EXPECT_NE(Outputs("trusting"), Outputs("clean"));
    // ...and harmless with --now.
    EXPECT_EQ(Outputs("checked"), Outputs("clean"));
    const auto dlq = ReadLines(dir_ / "checked" / "dlq.jsonl");
    ASSERT_EQ(dlq.size(), 1u);
    v1::DeadLetter letter;
    ASSERT_THAT(google::protobuf::util::JsonStringToMessage(dlq[0], &letter),
                IsOk());
    EXPECT_EQ(letter.reason(), v1::DeadLetter::FUTURE);
    EXPECT_EQ(letter.offset(), static_cast<int64_t>(at + 1));
    EXPECT_THAT(dlq[0], HasSubstr("\"reason\":\"FUTURE\""));
  }
};

TEST_F(FutureEventTest, SixDaysAheadMidStreamFiresNothing) {
  std::vector<v1::CallEvent> events = Simulated();
  ASSERT_FALSE(events.empty());
  const rules::TimeNs t = rules::FromProto(events[100].occurred_at());
  ExpectOnlyTheBadEventIsRejected(100, t + 6 * rules::kDay);
}

TEST_F(FutureEventTest, Year2030AsTheFirstEventDoesNotShutThePartition) {
  ExpectOnlyTheBadEventIsRejected(
      0, rules::ParseTime("2030-01-01T00:00:00Z").value());
}

// Replay vouches for no event far ahead of the watermark: --now is one
// time for the whole file, not a clock each event was checked against, and
// vouching by it would let a clock that jumped ahead inside the file fire
// every timer. So a file whose first event is from a clock reset to 2001
// dead-letters the partition's real events (docs/RULES.md section 6 says so
// and what to do); the FUTURE message names --now, replay's reference.
TEST_F(FutureEventTest, ReplayVouchesForNothingAheadOfTheWatermark) {
  const std::string line = R"("line":"sales","direction":"INBOUND")";
  const fs::path input = dir_ / "reset.jsonl";
  std::ofstream(input)
      << R"({"event_id":"y0","occurred_at":"2001-01-01T00:00:00Z","call_id":"c0","caller":"+74951234567",)"
      << line << R"(,"started":{}})"
      << "\n"
      << R"({"event_id":"y1","occurred_at":"2024-06-03T06:00:00Z","call_id":"c1","caller":"+74951234568",)"
      << line << R"(,"started":{}})"
      << "\n"
      << R"({"event_id":"y3","occurred_at":"2024-06-03T07:30:00Z","call_id":"c2","caller":"+74951234568",)"
      << line << R"(,"started":{}})"
      << "\n";
  RunCli(input, "checked", "2024-06-03T07:00:00Z");
  const auto dlq = ReadLines(dir_ / "checked" / "dlq.jsonl");
  ASSERT_EQ(dlq.size(), 2u);
  EXPECT_THAT(dlq[0], HasSubstr("\"reason\":\"TIMESTAMP_SKEW\""));
  EXPECT_THAT(dlq[1], HasSubstr("\"reason\":\"FUTURE\""));
  EXPECT_THAT(dlq[1], HasSubstr("ahead of --now 2024-06-03T07:00:00Z"));
}

TEST_F(FutureEventTest, BadNowIsAnError) {
  const std::string cmd = std::string(CALLFLOW_BINARY) + " replay --input " +
                          kData + "/scenario.jsonl --out " +
                          (dir_ / "out").string() + " --now soon 2> " +
                          (dir_ / "stderr.txt").string();
  EXPECT_NE(std::system(cmd.c_str()), 0);
  EXPECT_THAT(ReadFile(dir_ / "stderr.txt"), HasSubstr("callflow: --now"));
}

TEST_F(ReplayTest, StateDirKeepsTheStateForInspect) {
  ReplayOptions options;
  options.state_dir = (dir_ / "state").string();
  ASSERT_THAT(Replay(kData + "/scenario.jsonl", "out", options), IsOk());
  auto record = state::InspectCaller(options.state_dir, "+74951110002");
  ASSERT_THAT(record, IsOk());
  EXPECT_EQ(record->email(), "b@example.com");
  EXPECT_EQ(record->inbound_calls(), 2u);
}

TEST_F(ReplayTest, MissingInputIsAnError) {
  EXPECT_THAT(Replay((dir_ / "nope.jsonl").string(), "out"),
              StatusIs(absl::StatusCode::kNotFound));
}

// The binary: exit code 0 with bad lines, the KPI report on stdout.
TEST_F(ReplayTest, CommandLineExitsZeroAndPrintsTheReport) {
  const fs::path out = dir_ / "cli";
  const std::string cmd = std::string(CALLFLOW_BINARY) + " replay --input " +
                          kData + "/scenario.jsonl --config " + kData +
                          "/scenario.toml --out " + out.string() + " > " +
                          (dir_ / "stdout.txt").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const std::string report = ReadFile(dir_ / "stdout.txt");
  EXPECT_THAT(report, HasSubstr("KPI report"));
  EXPECT_THAT(report, HasSubstr("TOTAL"));
  EXPECT_EQ(ReadLines(out / "dlq.jsonl").size(), 4u);
  const std::string bad = std::string(CALLFLOW_BINARY) + " replay --input " +
                          kData + "/scenario.jsonl --out " + out.string() +
                          " --until yesterday 2> " +
                          (dir_ / "stderr.txt").string();
  EXPECT_NE(std::system(bad.c_str()), 0);
  EXPECT_THAT(ReadFile(dir_ / "stderr.txt"), HasSubstr("callflow: --until"));
}

}  // namespace
}  // namespace callflow::replay
