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
  // Closed windows of many lines (a hosted PBX's numbers as lines).
  for (int i = 0; i < 5000; ++i) {
    v1::LineWindowState* w = update.add_windows();
    w->set_line("did-" + std::to_string(74950000000 + i));
    w->set_window_start(kT0);
    w->set_inbound(30);
    w->set_missed(i % 2 == 0 ? 10 : 1);  // every other one MISSED_RATE_HIGH
  }
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
  update.mutable_windows()->DeleteSubrange(1, update.windows_size() - 1);
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
  std::vector<std::string> windows;
  for (size_t i = 0; i < parts.size(); ++i) {
    const v1::LineUpdate& part = parts[i];
    EXPECT_LE(part.ByteSizeLong(), kMaxLineUpdateBytes) << i;
    EXPECT_EQ(part.source_partition(), 0);
    EXPECT_EQ(part.first_watermark(), kT0);
    const bool last = i + 1 == parts.size();
    EXPECT_EQ(part.watermark(), last ? update.watermark() : earlier) << i;
    for (const v1::LineWindowState& w : part.windows()) {
      windows.push_back(w.line());
    }
    for (const v1::LineStarts& s : part.starts()) {
      starts[s.line()].insert(starts[s.line()].end(), s.at().begin(),
                              s.at().end());
    }
  }
  std::vector<std::string> want_windows;
  for (const v1::LineWindowState& w : update.windows()) {
    want_windows.push_back(w.line());
  }
  EXPECT_EQ(windows, want_windows);
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
  const auto alerts = [](const rules::LineMerger& merger) {
    std::vector<std::string> out;
    for (const v1::Alert& a : merger.DecidedFrom(0)) {
      out.push_back(a.alert_id());
    }
    return out;
  };
  EXPECT_EQ(alerts(split), alerts(whole));
  EXPECT_FALSE(alerts(whole).empty());
}

}  // namespace
}  // namespace callflow::pipeline
