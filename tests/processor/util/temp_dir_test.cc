// util::TempDir creates a fresh directory and removes it with its contents
// when destroyed, unless moved from or released.
#include "processor/util/temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

namespace callflow::util {
namespace {

namespace fs = std::filesystem;

TEST(TempDirTest, RemovedWithItsContentsWhenDestroyed) {
  std::string path;
  {
    TempDir dir = TempDir::CreateOrDie("callflow-temp-dir-test");
    path = dir.path();
    ASSERT_TRUE(fs::is_directory(path));
    EXPECT_NE(
        fs::path(path).filename().string().find("callflow-temp-dir-test-"),
        std::string::npos);
    fs::create_directories(path + "/a/b");
    std::ofstream(path + "/a/b/file") << "x";
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(TempDirTest, MoveHandsOverTheDirectory) {
  TempDir first = TempDir::CreateOrDie("callflow-temp-dir-test");
  const std::string path = first.path();
  {
    TempDir second = std::move(first);
    EXPECT_EQ(second.path(), path);
    EXPECT_TRUE(first.path().empty());
    EXPECT_TRUE(fs::is_directory(path));
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(TempDirTest, ReleaseLeavesTheDirectoryOnDisk) {
  std::string path;
  {
    TempDir dir = TempDir::CreateOrDie("callflow-temp-dir-test");
    path = dir.Release();
    EXPECT_TRUE(dir.path().empty());
  }
  ASSERT_FALSE(path.empty());
  EXPECT_TRUE(fs::is_directory(path));
  fs::remove_all(path);
}

}  // namespace
}  // namespace callflow::util
