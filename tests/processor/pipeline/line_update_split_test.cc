// A LineUpdate with more inbound starts than fit one record is split: every
// start kept in order, each record within the size, the watermark only on
// the last, and the merger ends up where the whole update takes it.
#include "processor/pipeline/internal/line_update_split.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "processor/rules/line_merger.h"
#include "processor/rules/options.h"

namespace callflow::pipeline {
namespace {

constexpr int64_t kSecond = 1000000000;
constexpr int64_t kT0 = 1717390800 * kSecond;  // 2024-06-03 05:00 UTC

v1::LineUpdate BigUpdate() {
  v1::LineUpdate update;
  update.set_source_partition(0);
  update.set_first_watermark(kT0);
  update.set_watermark(kT0 + 30000 * kSecond);
  v1::LineWindowState* w = update.add_windows();
  w->set_line("sales");
  w->set_window_start(kT0);
  w->set_inbound(3);
  w->set_missed(1);
  for (const char* line : {"sales", "support"}) {
    v1::LineStarts* starts = update.add_starts();
    starts->set_line(line);
    for (int i = 0; i < 15000; ++i) starts->add_at(kT0 + i * kSecond + 7);
  }
  return update;
}

TEST(LineUpdateSplitTest, SmallUpdatesStayWhole) {
  v1::LineUpdate update = BigUpdate();
  update.mutable_starts()->Clear();
  const auto parts = SplitLineUpdate(update, kT0, kMaxLineUpdateBytes);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].SerializeAsString(), update.SerializeAsString());
}

TEST(LineUpdateSplitTest, StartsSpreadOverRecordsWithinTheSize) {
  const v1::LineUpdate update = BigUpdate();
  ASSERT_GT(update.ByteSizeLong(), 4 * kMaxLineUpdateBytes);
  const int64_t earlier = kT0 + 10 * kSecond;
  const auto parts = SplitLineUpdate(update, earlier, kMaxLineUpdateBytes);
  ASSERT_GT(parts.size(), 4u);
  std::map<std::string, std::vector<int64_t>> starts;
  for (size_t i = 0; i < parts.size(); ++i) {
    const v1::LineUpdate& part = parts[i];
    EXPECT_LE(part.ByteSizeLong(), kMaxLineUpdateBytes) << i;
    EXPECT_EQ(part.source_partition(), 0);
    EXPECT_EQ(part.first_watermark(), kT0);
    const bool last = i + 1 == parts.size();
    EXPECT_EQ(part.watermark(), last ? update.watermark() : earlier) << i;
    EXPECT_EQ(part.windows_size(), i == 0 ? 1 : 0) << i;
    for (const v1::LineStarts& s : part.starts()) {
      starts[s.line()].insert(starts[s.line()].end(), s.at().begin(),
                              s.at().end());
    }
  }
  for (const v1::LineStarts& s : update.starts()) {
    EXPECT_EQ(starts[s.line()],
              std::vector<int64_t>(s.at().begin(), s.at().end()))
        << s.line();
  }
}

TEST(LineUpdateSplitTest, TheMergerEndsWhereTheWholeUpdateTakesIt) {
  rules::EngineOptions options;
  rules::LineMerger whole(options, 2), split(options, 2);
  const v1::LineUpdate update = BigUpdate();
  whole.Apply(update, 0);
  int64_t offset = 0;
  for (const v1::LineUpdate& part :
       SplitLineUpdate(update, -1, kMaxLineUpdateBytes)) {
    split.Apply(part, offset++);
  }
  v1::LineUpdate other;
  other.set_source_partition(1);
  other.set_first_watermark(kT0);
  other.set_watermark(kT0 + 40000 * kSecond);
  whole.Apply(other, 1);
  split.Apply(other, offset);
  EXPECT_EQ(split.watermark(), whole.watermark());
  EXPECT_EQ(split.last_inbound(), whole.last_inbound());
  EXPECT_EQ(split.DecidedFrom(0).size(), whole.DecidedFrom(0).size());
}

}  // namespace
}  // namespace callflow::pipeline
