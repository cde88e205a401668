// tail -F semantics of FileTail and the position file.
#include "processor/ingest/file_tail.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "processor/ingest/position_file.h"
#include "processor/rules/stable_hash.h"
#include "processor/util/temp_dir.h"
#include "tests/support/status_matchers.h"

namespace callflow::ingest {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;
using ::testing::HasSubstr;

void Append(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app) << text;
}

// Every line available now.
std::vector<std::string> Drain(FileTail& tail) {
  std::vector<std::string> lines;
  while (true) {
    auto line = tail.NextLine();
    EXPECT_THAT(line, IsOk());
    if (!line.ok() || !line->has_value()) return lines;
    lines.emplace_back(**line);
  }
}

using Lines = std::vector<std::string>;

class FileTailTest : public ::testing::Test {
 protected:
  // Reads log_ from its start (following it or not), expects `lines`, and
  // returns the position a finished run would save.
  FilePosition ReadAll(bool follow, const Lines& lines) {
    auto tail = FileTail::Open(log_, follow, std::nullopt);
    EXPECT_THAT(tail, IsOk());
    if (!tail.ok()) return {};
    EXPECT_EQ(Drain(**tail), lines);
    return (*tail)->position();
  }

  util::TempDir dir_ = util::TempDir::CreateOrDie("callflow-tail");
  std::string log_ = dir_.path() + "/queue_log";
};

TEST_F(FileTailTest, ReadsToTheEndWithoutFollow) {
  Append(log_, "a\nb\nlast without newline");
  auto tail = FileTail::Open(log_, false, std::nullopt);
  ASSERT_THAT(tail, IsOk());
  EXPECT_EQ(Drain(**tail), (Lines{"a", "b", "last without newline"}));
}

// A file saved by a Windows editor starts with a UTF-8 byte-order mark: it is
// not part of the first line.
// A line of megabytes with no newline (a crashed writer's run of bytes) is
// handed out cut to kMaxLineBytes, without holding the rest in memory; the
// lines around it and the position are as if it were whole.
TEST_F(FileTailTest, AnOverlongLineIsCutAndTheRestIsSkipped) {
  const std::string huge(3 * FileTail::kMaxLineBytes + 7, 'x');
  Append(log_, "a\n" + huge + "\nb\n" + huge);
  auto tail = FileTail::Open(log_, /*follow=*/false, std::nullopt);
  ASSERT_THAT(tail, IsOk());
  std::vector<std::pair<size_t, uint64_t>> got;  // size, last_line_size
  std::vector<std::string> heads;
  while (true) {
    auto line = (*tail)->NextLine();
    ASSERT_THAT(line, IsOk());
    if (!line->has_value()) break;
    got.emplace_back((*line)->size(), (*tail)->last_line_size());
    heads.emplace_back((*line)->substr(0, 1));
    if ((*tail)->last_line_size() > (*line)->size()) {
      EXPECT_EQ((*tail)->last_line_fnv1a(), rules::StableHash(huge));
    }
  }
  const std::vector<std::pair<size_t, uint64_t>> want = {
      {1, 1},
      {FileTail::kMaxLineBytes, huge.size()},
      {1, 1},
      {FileTail::kMaxLineBytes, huge.size()}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(heads, (std::vector<std::string>{"a", "x", "b", "x"}));
  EXPECT_EQ((*tail)->position().offset, 2 * huge.size() + 5);
  EXPECT_EQ((*tail)->position().lines, 4u);
}

// Followed, the over-long line arrives in pieces; reading resumes after it.
TEST_F(FileTailTest, FollowSkipsAnOverlongLineWrittenInPieces) {
  Append(log_, "a\n");
  auto tail = FileTail::Open(log_, /*follow=*/true, std::nullopt);
  ASSERT_THAT(tail, IsOk());
  EXPECT_EQ(Drain(**tail), Lines{"a"});
  const std::string piece(FileTail::kMaxLineBytes, 'y');
  for (int i = 0; i < 3; ++i) {
    Append(log_, piece);
    EXPECT_EQ(Drain(**tail), Lines{});
  }
  Append(log_, "\nb\n");
  const Lines lines = Drain(**tail);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], piece);
  EXPECT_EQ((*tail)->last_line_size(), 1u);  // of "b"
  EXPECT_EQ(lines[1], "b");
  EXPECT_EQ((*tail)->position().offset, 2 + 3 * piece.size() + 3);
}

TEST_F(FileTailTest, AByteOrderMarkIsNotPartOfTheFirstLine) {
  const std::string bom = "\xEF\xBB\xBF";
  Append(log_, bom + "a\n" + bom + "b\n");
  const FilePosition end = ReadAll(false, {"a", bom + "b"});
  EXPECT_EQ(end.offset, 10u);  // every byte is read
}

TEST_F(FileTailTest, FollowWaitsForTheRestOfALine) {
  Append(log_, "a\npart");
  auto tail = FileTail::Open(log_, true, std::nullopt);
  ASSERT_THAT(tail, IsOk());
  EXPECT_EQ(Drain(**tail), (Lines{"a"}));
  EXPECT_EQ((*tail)->position().offset, 2u);
  Append(log_, "ial\nb\n");
  EXPECT_EQ(Drain(**tail), (Lines{"partial", "b"}));
  EXPECT_EQ((*tail)->position().offset, 12u);
}

TEST_F(FileTailTest, RenameAndCreateIsFollowedToTheNewFile) {
  Append(log_, "1\n2\n");
  auto tail = FileTail::Open(log_, true, std::nullopt,
                             /*rotate_wait=*/std::chrono::milliseconds(0));
  ASSERT_THAT(tail, IsOk());
  EXPECT_EQ(Drain(**tail), (Lines{"1", "2"}));
  // The writer appends to the old file before it is renamed away.
  Append(log_, "3\n");
  ASSERT_EQ(std::rename(log_.c_str(), (log_ + ".1").c_str()), 0);
  auto rotated = (*tail)->CheckRotation();
  ASSERT_THAT(rotated, IsOk());
  EXPECT_FALSE(*rotated);  // no new file yet
  EXPECT_EQ(Drain(**tail), (Lines{"3"}));
  Append(log_, "4\n");
  rotated = (*tail)->CheckRotation();
  ASSERT_THAT(rotated, IsOk());
  EXPECT_TRUE(*rotated);
  EXPECT_EQ(Drain(**tail), (Lines{"4"}));
}

// Found by hand: logrotate's `create` renames queue_log and creates an
// empty one, but Asterisk writes to the old file until `logger reload`.
// Those lines were lost (and, in a race, the lines written while the
// position was being saved). The old file is read until it has been still
// for rotate_wait, then the new one from its start.
TEST_F(FileTailTest, AWriterStillOnTheRenamedFileIsReadToTheEnd) {
  using std::chrono::milliseconds;
  const milliseconds wait(300);
  Append(log_, "1\n");
  auto tail = FileTail::Open(log_, true, std::nullopt, wait);
  ASSERT_THAT(tail, IsOk());
  EXPECT_EQ(Drain(**tail), (Lines{"1"}));
  // logrotate: rename, then create an empty file.
  ASSERT_EQ(std::rename(log_.c_str(), (log_ + ".1").c_str()), 0);
  Append(log_, "");
  auto rotated = (*tail)->CheckRotation();
  ASSERT_THAT(rotated, IsOk());
  EXPECT_FALSE(*rotated);      // the old file is still the one read
  Append(log_ + ".1", "2\n");  // the writer has not reopened yet
  rotated = (*tail)->CheckRotation();
  ASSERT_THAT(rotated, IsOk());
  EXPECT_FALSE(*rotated);
  EXPECT_EQ(Drain(**tail), (Lines{"2"}));
  // No reload: the empty new file is taken once the old one is still.
  const auto quiet_from = std::chrono::steady_clock::now();
  while (true) {
    rotated = (*tail)->CheckRotation();
    ASSERT_THAT(rotated, IsOk());
    if (*rotated) break;
    EXPECT_EQ(Drain(**tail), Lines{});
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_GE(std::chrono::steady_clock::now() - quiet_from, wait);
  Append(log_, "3\n");
  EXPECT_EQ(Drain(**tail), (Lines{"3"}));
  // A rotation whose writer moved over at once: the old file's last lines
  // first, then the new file without waiting.
  ASSERT_EQ(std::rename(log_.c_str(), (log_ + ".2").c_str()), 0);
  Append(log_ + ".2", "4\n");
  Append(log_, "5\n");
  rotated = (*tail)->CheckRotation();
  ASSERT_THAT(rotated, IsOk());
  EXPECT_FALSE(*rotated);
  EXPECT_EQ(Drain(**tail), (Lines{"4"}));
  rotated = (*tail)->CheckRotation();
  ASSERT_THAT(rotated, IsOk());
  EXPECT_TRUE(*rotated);
  EXPECT_EQ(Drain(**tail), (Lines{"5"}));
}

// A renamed-away file whose last line has no newline will never get one:
// that line is handed out before the new file is read.
TEST_F(FileTailTest, TheUnfinishedLastLineOfARenamedFileIsKept) {
  Append(log_, "a\npart");
  auto tail = FileTail::Open(log_, true, std::nullopt,
                             /*rotate_wait=*/std::chrono::milliseconds(0));
  ASSERT_THAT(tail, IsOk());
  EXPECT_EQ(Drain(**tail), (Lines{"a"}));
  ASSERT_EQ(std::rename(log_.c_str(), (log_ + ".1").c_str()), 0);
  Append(log_, "b\n");
  auto rotated = (*tail)->CheckRotation();
  ASSERT_THAT(rotated, IsOk());
  EXPECT_FALSE(*rotated);
  EXPECT_EQ(Drain(**tail), (Lines{"part"}));
  rotated = (*tail)->CheckRotation();
  ASSERT_THAT(rotated, IsOk());
  EXPECT_TRUE(*rotated);
  EXPECT_EQ(Drain(**tail), (Lines{"b"}));
}

TEST_F(FileTailTest, CopytruncateStartsAgainFromTheTop) {
  Append(log_, "1\n2\n");
  auto tail = FileTail::Open(log_, true, std::nullopt);
  ASSERT_THAT(tail, IsOk());
  EXPECT_EQ(Drain(**tail), (Lines{"1", "2"}));
  std::ofstream(log_, std::ios::trunc) << "3\n";  // truncated, then written
  auto rotated = (*tail)->CheckRotation();
  ASSERT_THAT(rotated, IsOk());
  EXPECT_TRUE(*rotated);
  EXPECT_EQ(Drain(**tail), (Lines{"3"}));
}

TEST_F(FileTailTest, ResumesAtASavedPositionOfTheSameFile) {
  Append(log_, "1\n2\n");
  const FilePosition pos = ReadAll(true, {"1", "2"});
  const std::string pos_file = dir_.path() + "/pos";
  auto none = LoadPosition(pos_file);
  ASSERT_THAT(none, IsOk());
  EXPECT_FALSE(none->has_value());
  ASSERT_THAT(SavePosition(pos_file, pos), IsOk());
  auto loaded = LoadPosition(pos_file);
  ASSERT_THAT(loaded, IsOk());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, pos);
  Append(log_, "3\n");
  auto resumed = FileTail::Open(log_, true, **loaded);
  ASSERT_THAT(resumed, IsOk());
  EXPECT_TRUE((*resumed)->resumed());
  EXPECT_EQ(Drain(**resumed), (Lines{"3"}));
  // Line numbers go on from the saved position (messages name line 3).
  EXPECT_EQ((*resumed)->position().lines, 3u);
  // Another file at the path: from its start.
  ASSERT_EQ(std::rename(log_.c_str(), (log_ + ".1").c_str()), 0);
  Append(log_, "new\n");
  auto other = FileTail::Open(log_, true, **loaded);
  ASSERT_THAT(other, IsOk());
  EXPECT_FALSE((*other)->resumed());
  EXPECT_EQ(Drain(**other), (Lines{"new"}));
}

// Found by hand: the log was copytruncated while ingest was stopped and
// grew past the saved offset again; ingest resumed mid-line in the new
// content, skipping its first lines. A saved offset always follows a line
// end, so another byte there means the file is not the one it was saved in.
TEST_F(FileTailTest, ACopytruncatedFileThatGrewBackIsReadFromItsStart) {
  Append(log_, "1\n2\n");
  FilePosition pos = ReadAll(true, {"1", "2"});
  std::ofstream(log_, std::ios::trunc) << "new line\nmore\n";  // same inode
  auto resumed = FileTail::Open(log_, true, pos);
  ASSERT_THAT(resumed, IsOk());
  EXPECT_FALSE((*resumed)->resumed());
  EXPECT_EQ(Drain(**resumed), (Lines{"new line", "more"}));
  // A position at the end of a file whose last line has no newline (read
  // to its end without follow) is resumed: nothing is read twice.
  Append(log_, "last");
  pos = ReadAll(false, {"new line", "more", "last"});
  auto at_end = FileTail::Open(log_, false, pos);
  ASSERT_THAT(at_end, IsOk());
  EXPECT_TRUE((*at_end)->resumed());
  EXPECT_EQ(Drain(**at_end), Lines{});
}

TEST_F(FileTailTest, ABrokenPositionFileIsAClearError) {
  const std::string pos_file = dir_.path() + "/pos";
  std::ofstream(pos_file) << "not a position";
  auto loaded = LoadPosition(pos_file);
  EXPECT_THAT(loaded, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("remove the file")));
  // The format before the line count is still read.
  std::ofstream(pos_file) << "12 34\n";
  loaded = LoadPosition(pos_file);
  ASSERT_THAT(loaded, IsOk());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, (FilePosition{.inode = 12, .offset = 34, .lines = 0}));
}

TEST_F(FileTailTest, APositionFileThatCannotBeReadOrWrittenNamesItsPath) {
  // A directory where the file should be: opened, but not readable as one.
  const std::string dir_at_path = dir_.path() + "/pos.d";
  ASSERT_EQ(mkdir(dir_at_path.c_str(), 0755), 0);
  EXPECT_THAT(LoadPosition(dir_at_path),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("cannot read " + dir_at_path)));
  const std::string missing_dir = dir_.path() + "/missing/pos";
  EXPECT_THAT(SavePosition(missing_dir, FilePosition{.inode = 1, .offset = 2}),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("cannot write " + missing_dir)));
  // Saved next to the working directory (a bare file name) works too.
  const std::string cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_.path());
  EXPECT_THAT(SavePosition("pos", FilePosition{.inode = 1, .offset = 2}),
              IsOk());
  std::filesystem::current_path(cwd);
  auto loaded = LoadPosition(dir_.path() + "/pos");
  ASSERT_THAT(loaded, IsOk());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->offset, 2u);
}

}  // namespace
}  // namespace callflow::ingest
