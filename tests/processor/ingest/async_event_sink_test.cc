// AsyncEventSink: order kept across batches, errors of the inner sink seen.
#include "processor/ingest/async_event_sink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "processor/ingest/jsonl_event_sink.h"
#include "processor/util/temp_dir.h"
#include "tests/support/status_matchers.h"

namespace callflow::ingest {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;
using ::testing::HasSubstr;

v1::CallEvent Numbered(int i) {
  v1::CallEvent e;
  e.set_event_id(absl::StrCat("e", i));
  return e;
}

TEST(AsyncEventSinkTest, EventsArriveInOrderAfterFlush) {
  util::TempDir dir = util::TempDir::CreateOrDie("callflow-async");
  const std::string path = dir.path() + "/out.jsonl";
  auto file = JsonlEventSink::Open(path, false);
  ASSERT_THAT(file, IsOk());
  AsyncEventSink sink(*std::move(file), /*batch=*/7, /*max_batches=*/2);
  for (int i = 0; i < 1000; ++i) ASSERT_THAT(sink.Write(Numbered(i)), IsOk());
  ASSERT_THAT(sink.Flush(), IsOk());
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    EXPECT_NE(line.find(absl::StrCat("\"e", n, "\"")), std::string::npos)
        << line;
    ++n;
  }
  EXPECT_EQ(n, 1000);
}

TEST(AsyncEventSinkTest, AnInnerErrorComesBackFromFlush) {
  auto full = JsonlEventSink::Open("/dev/full", false);
  ASSERT_THAT(full, IsOk());
  AsyncEventSink sink(*std::move(full), 4, 2);
  for (int i = 0; i < 100; ++i) sink.Write(Numbered(i)).IgnoreError();
  absl::Status s = sink.Flush();
  EXPECT_THAT(s,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("/dev/full")));
}

}  // namespace
}  // namespace callflow::ingest
