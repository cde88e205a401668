// The `callflow` command line as a user meets it: a mistyped command is
// named, numbers that cannot be meant are refused before anything runs, and
// --version answers.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/processor/pipeline/pipeline_test_util.h"

namespace callflow::app {
namespace {

using pipeline::testing::Contains;
using pipeline::testing::RunCallflow;

TEST(CommandLineTest, AMistypedCommandIsNamed) {
  auto r = RunCallflow({"rnu", "--config", "x.toml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "unknown command 'rnu'")) << r.err;
  EXPECT_TRUE(Contains(r.err, "run")) << r.err;
}

TEST(CommandLineTest, VersionIsPrinted) {
  auto r = RunCallflow({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "callflow ")) << r.out;
}

// Each was accepted: a negative rate ran the demo "at -100 events/s at
// most", a negative --sim-speed as unlimited, --seed -1 as 2^64 - 1.
TEST(CommandLineTest, NegativeNumbersAreRefused) {
  // Short and on a free port, should a check be missing.
  const std::vector<std::string> demo = {"demo", "--duration", "1s",
                                         "--metrics-address", "127.0.0.1:0"};
  const std::vector<std::vector<std::string>> cases = {
      {"--rate", "-100"}, {"--sim-speed", "-5"}, {"--seed", "-1"}};
  for (const auto& flag : cases) {
    std::vector<std::string> args = demo;
    args.insert(args.end(), flag.begin(), flag.end());
    auto r = RunCallflow(args);
    EXPECT_NE(r.exit_code, 0) << flag[0];
    EXPECT_TRUE(Contains(r.err, flag[0])) << r.err;
  }
  auto r = RunCallflow({"simulate", "--out", "/dev/null", "--seed", "-1"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.err, "--seed")) << r.err;
}

// A duration or time flag that does not parse is a usage error, exit 2 in
// every command (it was 1, "the work failed", in all but ingest --now), and
// the message names the flag. Nothing is connected to: no broker is given.
TEST(CommandLineTest, AFlagValueThatDoesNotParseIsAUsageError) {
  pipeline::testing::TempDir dir;
  const std::string out = dir.path() + "/out";
  const std::vector<std::vector<std::string>> cases = {
      {"demo", "--duration", "1x"},
      {"simulate", "--out", "/dev/null", "--start", "notatime"},
      {"replay", "--input", "tests/data/scenario.jsonl", "--out", out,
       "--until", "notatime"},
      {"replay", "--input", "tests/data/scenario.jsonl", "--out", out, "--now",
       "yesterday"},
      {"produce", "--brokers", "127.0.0.1:1", "--input",
       "tests/data/scenario.jsonl", "--timeout", "soon"},
      {"ingest", "--format", "callevent", "--input",
       "tests/data/scenario.jsonl", "--out", out + ".jsonl", "--timeout",
       "0s"}};
  for (const auto& args : cases) {
    auto r = RunCallflow(args);
    const std::string& flag = args[args.size() - 2];
    EXPECT_EQ(r.exit_code, 2) << flag << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, flag + ": ")) << r.err;
  }
}

// --print-config prints the embedded configuration; with --config as well
// it used to ignore --config without a word.
TEST(CommandLineTest, PrintConfigAndConfigAreRefusedTogether) {
  auto r = RunCallflow(
      {"demo", "--config", "tests/data/scenario.toml", "--print-config"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.err, "--print-config")) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// A user replayed a PBX log as it was: exit 0 and nothing on stderr, every
// line quietly in dlq.jsonl. The counts and a hint now say so.
TEST(CommandLineTest, ReplayOfTheWrongFileSaysEverythingWasDeadLettered) {
  pipeline::testing::TempDir dir;
  auto r =
      RunCallflow({"replay", "--input", "tests/data/ingest/all_verbs.queue_log",
                   "--out", dir.path() + "/out"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, "dead-lettered")) << r.err;
  EXPECT_TRUE(Contains(r.err, "every event was dead-lettered")) << r.err;
  EXPECT_TRUE(Contains(r.err, "callflow ingest")) << r.err;
}

// Found by a review: a blank line vanished without a trace. It is not an
// event (no dead letter, not in the summary), and replay says it skipped it.
TEST(CommandLineTest, ReplaySaysHowManyBlankLinesItSkipped) {
  pipeline::testing::TempDir dir;
  const std::string input = dir.path() + "/in.jsonl";
  std::ofstream(input)
      << R"({"event_id":"a","occurred_at":"2024-06-03T06:00:00Z",)"
      << R"("call_id":"c","caller":"+74951234567","line":"sales",)"
      << R"("direction":"INBOUND","started":{}})"
      << "\n   \n\n";
  auto r =
      RunCallflow({"replay", "--input", input, "--out", dir.path() + "/out"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, "1 events read, 0 dead-lettered")) << r.err;
  EXPECT_TRUE(Contains(r.err, "2 blank line(s) skipped")) << r.err;
}

}  // namespace
}  // namespace callflow::app
