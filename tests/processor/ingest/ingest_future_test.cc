// Events from the future (docs/RULES.md §6) in `callflow ingest`: an event more
// than max_future_skew ahead of the reference time (--now for a file read to
// its end, the wall clock when following) is not written; it is counted,
// reported with its line and, in Kafka mode, dead-lettered (see
// ingest_topic_test.cc). What is written equals the input without it.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "processor/codec/codec.h"
#include "processor/rules/time.h"
#include "tests/processor/ingest/ingest_test_util.h"
#include "tests/processor/pipeline/pipeline_test_util.h"

namespace callflow::ingest::testing {
namespace {

using pipeline::testing::Contains;
using pipeline::testing::ReplayOutputs;
using pipeline::testing::RunCallflow;
using pipeline::testing::SimulatedEvents;
using pipeline::testing::TempDir;
using pipeline::testing::WaitFor;
using pipeline::testing::WriteJsonl;

std::vector<std::string> Jsonl(const std::vector<v1::CallEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(codec::ToJson(e));
  return out;
}

// A copy of `e` at `at`, with its own id (a clock-broken PBX's event).
v1::CallEvent At(v1::CallEvent e, rules::TimeNs at) {
  e.set_event_id(absl::StrCat(e.event_id(), "-future"));
  rules::ToProto(at, e.mutable_occurred_at());
  return e;
}

// Issue 10's case: one event 6 days ahead (inside max_event_skew) in the
// middle of a day's calls, read with --now at the last genuine event.
TEST(IngestFutureTest, FileWithNowDropsTheEventAndReplayEqualsTheCleanInput) {
  TempDir dir;
  const std::vector<v1::CallEvent> clean = SimulatedEvents(60, 3);
  ASSERT_GT(clean.size(), 100u);
  const rules::TimeNs last = rules::FromProto(clean.back().occurred_at());
  std::vector<v1::CallEvent> input = clean;
  const size_t bad_at = clean.size() / 2;
  input.insert(input.begin() + bad_at,
               At(clean[bad_at], last + 6 * rules::kDay));
  const std::string in = dir.path() + "/in.jsonl";
  WriteJsonl(input, in);

  const std::string out = dir.path() + "/out.jsonl";
  auto r = RunCallflow({"ingest", "--format", "callevent", "--input", in,
                        "--out", out, "--now", rules::FormatTime(last)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, absl::StrCat(input.size(), " lines read, ",
                                           clean.size(), " events written")))
      << r.err;
  EXPECT_TRUE(Contains(r.err, "1 events from the future")) << r.err;
  EXPECT_TRUE(Contains(
      r.err, absl::StrCat(in, ": line ", bad_at + 1, ": future: event ",
                          input[bad_at].event_id(), ": occurred_at ")))
      << r.err;
  EXPECT_TRUE(Contains(r.err, "ahead of --now")) << r.err;
  EXPECT_EQ(ReadLines(out), Jsonl(clean));

  // Downstream, the outputs are those of the input without the bad event.
  const std::string clean_in = dir.path() + "/clean.jsonl";
  WriteJsonl(clean, clean_in);
  const auto expected = ReplayOutputs(clean_in, dir.path() + "/r1");
  const auto got = ReplayOutputs(out, dir.path() + "/r2");
  EXPECT_EQ(got.tasks, expected.tasks);
  EXPECT_EQ(got.alerts, expected.alerts);
  EXPECT_EQ(got.contacts, expected.contacts);

  // Without --now a file has no reference time: everything is written.
  const std::string unchecked = dir.path() + "/unchecked.jsonl";
  r = RunCallflow(
      {"ingest", "--format", "callevent", "--input", in, "--out", unchecked});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadLines(unchecked), Jsonl(input));
  EXPECT_TRUE(Contains(r.err, "0 events from the future")) << r.err;
}

// Following a file, the reference is the wall clock: an event dated a day
// after it is dropped, the past ones pass.
TEST(IngestFutureTest, FollowChecksAgainstTheWallClock) {
  TempDir dir;
  const rules::TimeNs wall = absl::ToUnixNanos(absl::Now());
  std::vector<v1::CallEvent> input = SimulatedEvents(5, 4);
  input.push_back(At(input.back(), wall + rules::kDay));
  const std::string in = dir.path() + "/in.jsonl";
  WriteJsonl(input, in);
  const std::string out = dir.path() + "/out.jsonl";
  CallflowChild child({"ingest", "--format", "callevent", "--input", in,
                       "--follow", "--out", out},
                      dir.path() + "/ingest.log");
  EXPECT_TRUE(WaitFor([&] { return Contains(child.Log(), ": future: "); },
                      std::chrono::seconds(60)))
      << child.Log();
  EXPECT_EQ(child.Stop(SIGTERM), 0) << child.Log();
  const std::string log = child.Log();
  EXPECT_TRUE(Contains(log, absl::StrCat(input.size() - 1, " events written")))
      << log;
  EXPECT_TRUE(Contains(log, "1 events from the future")) << log;
  EXPECT_TRUE(Contains(log, "ahead of the wall clock")) << log;
  input.pop_back();
  EXPECT_EQ(ReadLines(out), Jsonl(input));
}

TEST(IngestFutureTest, NowGoesWithAFileReadToItsEndOnly) {
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--follow"},
        std::vector<std::string>{"--from-topic", "raw", "--brokers", "b:1"}}) {
    std::vector<std::string> args = {
        "ingest", "--format", "callevent",           "--out",
        "x",      "--now",    "2024-06-03T12:00:00Z"};
    if (extra[0] == "--follow") {
      args.insert(args.end(), {"--input", "in.jsonl"});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = RunCallflow(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(Contains(r.err, "--now is the reference time of a file"))
        << r.err;
  }
  std::filesystem::remove("x");
  auto r = RunCallflow({"ingest", "--format", "callevent", "--input",
                        "in.jsonl", "--out", "x", "--now", "yesterday"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "--now: ")) << r.err;
  // A flag mistake is reported before the output file is created.
  EXPECT_FALSE(std::filesystem::exists("x"));
}

}  // namespace
}  // namespace callflow::ingest::testing
