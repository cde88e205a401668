// `callflow ingest` on files: the queue_log fixture, a call cut off by the
// end of the file (closed as a stale leg by replay --until), following a
// rotated log, and a restart with --position-file.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "processor/codec/codec.h"
#include "tests/processor/ingest/ingest_test_util.h"
#include "tests/processor/metrics/prometheus_process.h"
#include "tests/processor/metrics/scrape.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::ingest::testing {
namespace {

using ::callflow_testing::IsOk;
using pipeline::testing::Contains;
using pipeline::testing::RunCallflow;
using pipeline::testing::TempDir;
using pipeline::testing::WaitFor;

constexpr char kFixture[] = "tests/data/ingest/all_verbs.queue_log";

// The fixture converted in one go, the reference for the follow runs.
std::vector<std::string> Reference(const std::string& dir) {
  const std::string out = dir + "/reference.jsonl";
  auto r = RunCallflow({"ingest", "--format", "asterisk-queue-log", "--input",
                        kFixture, "--out", out});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return ReadLines(out);
}

void AppendLines(const std::string& path, const std::vector<std::string>& all,
                 size_t from, size_t to) {
  std::ofstream out(path, std::ios::app);
  for (size_t i = from; i < to; ++i) out << all[i] << "\n";
}

// The position file's offset once it reached `size` bytes of the file now
// at `path` (the run has flushed everything written so far).
bool Caught(const std::string& position_file, const std::string& path) {
  std::ifstream in(position_file);
  uint64_t inode = 0, offset = 0;
  if (!(in >> inode >> offset)) return false;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  struct stat st {};
  return !ec && stat(path.c_str(), &st) == 0 && st.st_ino == inode &&
         offset == size;
}

TEST(IngestCommandTest, QueueLogFixtureGivesEveryMappedEventAndASummary) {
  TempDir dir;
  const std::string out = dir.path() + "/events.jsonl";
  auto r = RunCallflow({"ingest", "--format", "asterisk-queue-log", "--input",
                        kFixture, "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err,
                       "41 lines read, 40 events written, 7 ignored, "
                       "2 orphans, 4 malformed"))
      << r.err;
  for (int line : {33, 34, 35, 37}) {
    EXPECT_TRUE(Contains(
        r.err, absl::StrCat(kFixture, ": line ", line, ": malformed: ")))
        << line << "\n"
        << r.err;
  }
  const auto events = ReadEvents(out);
  ASSERT_EQ(events.size(), 40u);
  std::map<std::string, v1::CallEvent> by_id;
  for (const auto& e : events) by_id[e.event_id()] = e;
  EXPECT_EQ(by_id.size(), 40u);  // ids are unique
  const auto& requeued = by_id["aq:1764548600.8:EXITEMPTY:1764548960"];
  EXPECT_EQ(requeued.call_id(), "1764548600.8#2");
  EXPECT_EQ(requeued.line(), "overflow");
  EXPECT_EQ(requeued.ended().reason(), v1::CallEnded::NO_ANSWER);
  EXPECT_EQ(by_id["aq:1764548000.5:ATTENDEDTRANSFER:1764548100"]
                .ended()
                .talk_seconds(),
            92u);
  // The output is the canonical form: converting it again is the identity.
  for (const std::string& line : ReadLines(out)) {
    v1::CallEvent e;
    ASSERT_THAT(codec::ParseEventJson(line, &e), IsOk());
    EXPECT_EQ(codec::ToJson(e), line);
  }
}

TEST(IngestCommandTest, CallCutOffByTheEndOfTheFileIsAStaleLegInReplay) {
  TempDir dir;
  const std::string out = dir.path() + "/events.jsonl";
  ASSERT_EQ(RunCallflow({"ingest", "--format", "asterisk-queue-log", "--input",
                         kFixture, "--out", out})
                .exit_code,
            0);
  const std::string stale_task =
      "cb:+74951110014:aq:1764549500.14:ENTERQUEUE:1764549500";
  auto tasks_of = [&](const std::vector<std::string>& extra) {
    const std::string replay_dir =
        dir.path() + "/replay" + std::to_string(extra.size());
    std::vector<std::string> args = {"replay", "--input", out, "--out",
                                     replay_dir};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = RunCallflow(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::set<std::string> ids;
    for (const std::string& line : ReadLines(replay_dir + "/tasks.jsonl")) {
      v1::Task t;
      EXPECT_THAT(google::protobuf::util::JsonStringToMessage(line, &t),
                  IsOk());
      ids.insert(t.task_id());
    }
    return ids;
  };
  // The call is still open at the end of the input...
  EXPECT_EQ(tasks_of({}).count(stale_task), 0u);
  // ...and a missed call once max_call_duration (4h) has passed.
  const auto closed = tasks_of({"--until", "2025-12-01T06:00:00Z"});
  EXPECT_EQ(closed.count(stale_task), 1u);
  // The abandoned calls are callbacks too (their ended event's id).
  EXPECT_EQ(closed.count("cb:+74951110006:aq:1764548200.6:ABANDON:1764548230"),
            1u);
}

// An ingest of a queue_log with `args` that must be refused: exit 2 with a
// message containing `message`.
struct UsageCase {
  std::vector<std::string> args;
  std::string message;
};
void ExpectRefused(const UsageCase& c) {
  std::vector<std::string> args = {"ingest", "--format", "asterisk-queue-log"};
  args.insert(args.end(), c.args.begin(), c.args.end());
  auto r = RunCallflow(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, c.message)) << r.err;
}

TEST(IngestCommandTest, FlagMistakesSayWhatToFix) {
  const std::vector<UsageCase> cases = {
      {{"--input", kFixture}, "give --out FILE"},
      {{"--input", "-", "--follow", "--out", "x"}, "--follow needs --input"},
      {{"--out", "x"}, "exactly one input"},
      {{"--input", kFixture, "--from-topic", "raw", "--out", "x"},
       "exactly one input"},
      {{"--from-topic", "raw", "--out", "x"}, "--from-topic needs --brokers"},
      {{"--input", kFixture, "--metrics-address", "127.0.0.1:0", "--out", "x"},
       "use it with --follow"},
  };
  for (const UsageCase& c : cases) ExpectRefused(c);
  auto r = RunCallflow(
      {"ingest", "--format", "cdr", "--input", kFixture, "--out", "x"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.err, "--format")) << r.err;
}

// A user ran `--input log --out log` and lost the log: the output was opened
// (truncated) before the input was read. Such mistakes are refused before
// anything is opened, and the input is left as it was.
TEST(IngestCommandTest, OutputOrPositionFileOverTheInputIsRefused) {
  TempDir dir;
  const std::string log = dir.path() + "/queue_log";
  std::filesystem::copy_file(kFixture, log);
  const std::vector<std::string> before = ReadLines(log);
  ASSERT_FALSE(before.empty());
  const std::string link = dir.path() + "/same";  // another name of `log`
  std::filesystem::create_symlink(log, link);
  const std::string out = dir.path() + "/events.jsonl";
  const std::vector<UsageCase> cases = {
      {{"--input", log, "--out", log}, "--out is the --input file"},
      {{"--input", log, "--out", link}, "--out is the --input file"},
      {{"--input", log, "--position-file", log, "--out", out},
       "--position-file is the --input file"},
      {{"--input", log, "--position-file", out, "--out", out},
       "--position-file is the --out file"},
      {{"--input", log, "--position-file", dir.path() + "/no/such/pos", "--out",
        out},
       "directory of --position-file"},
  };
  for (const UsageCase& c : cases) {
    ExpectRefused(c);
    EXPECT_EQ(ReadLines(log), before) << "the input changed";
  }
}

// Found by hand: a typo in --input emptied the previous run's --out before
// ingest failed to open the input.
TEST(IngestCommandTest, AMissingInputLeavesTheOutputAlone) {
  TempDir dir;
  const std::string out = dir.path() + "/events.jsonl";
  std::ofstream(out) << "{\"keep\":\"me\"}\n";
  const auto r = RunCallflow({"ingest", "--format", "asterisk-queue-log",
                              "--input", dir.path() + "/typo", "--out", out});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(Contains(r.err, "cannot open " + dir.path() + "/typo")) << r.err;
  EXPECT_EQ(ReadLines(out), std::vector<std::string>{"{\"keep\":\"me\"}"});
}

// A queue_log being written to (`log`), with the files of the ingest runs
// that follow it.
class FollowTest : public ::testing::Test {
 protected:
  TempDir dir;
  const std::vector<std::string> lines = ReadLines(kFixture);
  const std::string log = dir.path() + "/queue_log";
  const std::string pos = dir.path() + "/position";
  const std::string out = dir.path() + "/events.jsonl";
};

TEST_F(FollowTest, FollowSurvivesRenameAndCopytruncateRotation) {
  const auto reference = Reference(dir.path());
  AppendLines(log, lines, 0, 12);
  CallflowChild child({"ingest", "--format", "asterisk-queue-log", "--input",
                       log, "--follow", "--position-file", pos, "--out", out},
                      dir.path() + "/ingest.log");
  const auto guard = std::chrono::seconds(60);
  ASSERT_TRUE(WaitFor([&] { return Caught(pos, log); }, guard));
  // logrotate's default: rename, then the writer creates a new file.
  AppendLines(log, lines, 12, 20);  // written before the rename
  ASSERT_EQ(std::rename(log.c_str(), (log + ".1").c_str()), 0);
  AppendLines(log, lines, 20, 30);
  ASSERT_TRUE(WaitFor([&] { return Caught(pos, log); }, guard));
  // copytruncate: the file is copied away and emptied in place; the writer
  // goes on writing. The truncation is seen while the file is shorter than
  // what was read (tail -F's limit too), so the writer's next lines are
  // fewer bytes than the 10 lines read.
  std::filesystem::copy_file(log, log + ".2");
  std::ofstream(log, std::ios::trunc).close();
  AppendLines(log, lines, 30, 33);
  ASSERT_TRUE(WaitFor([&] { return Caught(pos, log); }, guard));
  AppendLines(log, lines, 33, lines.size());
  ASSERT_TRUE(WaitFor([&] { return Caught(pos, log); }, guard));
  EXPECT_EQ(child.Stop(SIGTERM), 0) << child.Log();
  EXPECT_EQ(ReadLines(out), reference);
  EXPECT_TRUE(Contains(child.Log(), "rotated or truncated")) << child.Log();
  EXPECT_TRUE(Contains(child.Log(), "40 events written")) << child.Log();
}

// tail -F waits for a log that is not there yet (a fresh PBX, or the moment
// between a rotation's rename and the new file): so does --follow.
TEST_F(FollowTest, FollowWaitsForAnInputThatDoesNotExistYet) {
  const auto reference = Reference(dir.path());
  CallflowChild child({"ingest", "--format", "asterisk-queue-log", "--input",
                       log, "--follow", "--position-file", pos, "--out", out},
                      dir.path() + "/ingest.log");
  const auto guard = std::chrono::seconds(60);
  ASSERT_TRUE(WaitFor(
      [&] { return Contains(child.Log(), "waiting for " + log); }, guard))
      << child.Log();
  AppendLines(log, lines, 0, lines.size());
  ASSERT_TRUE(WaitFor([&] { return Caught(pos, log); }, guard)) << child.Log();
  EXPECT_EQ(child.Stop(SIGTERM), 0) << child.Log();
  EXPECT_EQ(ReadLines(out), reference);
}

TEST_F(FollowTest, RestartWithPositionFileLeavesNoGap) {
  const auto reference = Reference(dir.path());
  const std::vector<std::string> args = {
      "ingest", "--format", "asterisk-queue-log", "--input",
      log,      "--follow", "--position-file",    pos,
      "--out",  out};
  const auto guard = std::chrono::seconds(60);
  // Every cut is between calls: a restart forgets the calls open at that
  // moment (RestartMidCallMakesOrphans).
  AppendLines(log, lines, 0, 16);
  {
    CallflowChild first(args, dir.path() + "/first.log");
    ASSERT_TRUE(WaitFor([&] { return Caught(pos, log); }, guard));
    AppendLines(log, lines, 16, 22);
    // A crash: whatever was written after the last checkpoint is repeated.
    EXPECT_EQ(first.Stop(SIGKILL), -1);
  }
  AppendLines(log, lines, 22, 28);  // written while ingest was down
  {
    CallflowChild second(args, dir.path() + "/second.log");
    ASSERT_TRUE(WaitFor([&] { return Caught(pos, log); }, guard));
    EXPECT_EQ(second.Stop(SIGTERM), 0) << second.Log();
  }
  AppendLines(log, lines, 28, lines.size());
  {
    CallflowChild third(args, dir.path() + "/third.log");
    ASSERT_TRUE(WaitFor([&] { return Caught(pos, log); }, guard));
    EXPECT_EQ(third.Stop(SIGINT), 0) << third.Log();
  }
  // No gap: every reference event is there, in order; a repeat is a line
  // identical to the one before it for the same id.
  const auto got = ReadLines(out);
  std::map<std::string, std::string> first_seen;
  std::vector<std::string> distinct;
  for (const std::string& line : got) {
    v1::CallEvent e;
    ASSERT_THAT(codec::ParseEventJson(line, &e), IsOk()) << line;
    auto [it, fresh] = first_seen.emplace(e.event_id(), line);
    if (fresh) {
      distinct.push_back(line);
    } else {
      EXPECT_EQ(it->second, line);
    }
  }
  EXPECT_EQ(distinct, reference);
}

TEST(IngestCommandTest, StdinIsReadToItsEnd) {
  TempDir dir;
  const std::string out = dir.path() + "/events.jsonl";
  const std::string cmd = absl::StrCat(
      "cat ", kFixture, " ", kFixture, " | ", CALLFLOW_BINARY,
      " ingest --format asterisk-queue-log --input - --out ", out, " 2>&1");
  const ShellResult r = RunShell(cmd);
  const std::string& err = r.out;
  ASSERT_EQ(r.exit_code, 0) << err;
  // The second copy repeats every id: its ENTERQUEUEs are visits #2.
  EXPECT_TRUE(Contains(err, "82 lines read, 80 events written")) << err;
  EXPECT_TRUE(Contains(err, "-: line 74: malformed")) << err;
  EXPECT_EQ(ReadEvents(out).size(), 80u);
}

// A corrupted log with a 5 MB stretch and no newline (a crash's NULs):
// reported as one malformed line, in bounded memory, and every line after
// it is read.
TEST(IngestCommandTest, AnOverlongLineIsOneMalformedLine) {
  TempDir dir;
  const std::string input = dir.path() + "/queue_log";
  const std::string out = dir.path() + "/events.jsonl";
  {
    std::ifstream fixture(kFixture);
    std::ofstream log(input);
    log << std::string(5 << 20, '\0') << "\n" << fixture.rdbuf();
  }
  auto r = RunCallflow({"ingest", "--format", "asterisk-queue-log", "--input",
                        input, "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, "42 lines read, 40 events written")) << r.err;
  EXPECT_TRUE(Contains(r.err,
                       "line 1: malformed: a line of 5242880 bytes, "
                       "longer than the 1048576 ingest reads"))
      << r.err;
  EXPECT_EQ(ReadEvents(out).size(), 40u);
}

TEST_F(FollowTest, FollowServesMetrics) {
  std::filesystem::copy_file(kFixture, log);
  const int port = metrics::testing::FreePort();
  CallflowChild child({"ingest", "--format", "asterisk-queue-log", "--input",
                       log, "--follow", "--position-file", pos, "--out", out,
                       "--metrics-address", absl::StrCat("127.0.0.1:", port)},
                      dir.path() + "/ingest.log");
  metrics::testing::Exposition scraped;
  EXPECT_TRUE(WaitFor(
      [&] {
        auto e = metrics::testing::Scrape(port);
        if (!e.ok()) return false;
        scraped = *e;
        return e->Value("callflow_ingest_lines_total") == 41.0;
      },
      std::chrono::seconds(60)))
      << child.Log();
  EXPECT_EQ(scraped.Value("callflow_ingest_events_total"), 40.0);
  EXPECT_EQ(
      scraped.Value("callflow_ingest_skipped_total", {{"reason", "ignored"}}),
      7.0);
  EXPECT_EQ(
      scraped.Value("callflow_ingest_skipped_total", {{"reason", "orphan"}}),
      2.0);
  EXPECT_EQ(
      scraped.Value("callflow_ingest_skipped_total", {{"reason", "malformed"}}),
      4.0);
  // The cut-off call is still in progress; the others ended.
  EXPECT_EQ(scraped.Value("callflow_ingest_open_calls"), 1.0);
  EXPECT_EQ(scraped.types["callflow_ingest_lines_total"], "counter");
  EXPECT_EQ(child.Stop(SIGTERM), 0) << child.Log();
}

TEST_F(FollowTest, RestartMidCallMakesOrphans) {
  const std::vector<std::string> args = {
      "ingest",  "--format", "asterisk-queue-log",
      "--input", log,        "--position-file",
      pos,       "--out",    out};
  AppendLines(log, lines, 0, 4);  // ends with the ENTERQUEUE of 1764547200.1
  auto first = RunCallflow(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(Contains(first.err, "2 events written")) << first.err;
  AppendLines(log, lines, 4, 7);  // its RINGNOANSWER, CONNECT, COMPLETECALLER
  auto second = RunCallflow(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(Contains(second.err,
                       "3 lines read, 0 events written, 1 ignored, 2 orphans"))
      << second.err;
}

}  // namespace
}  // namespace callflow::ingest::testing
