// Idle partitions: after a missed call and then nothing at all, the wall
// clock moves the caught-up partitions' watermarks, so the callback SLA
// breach still comes, and a line whose calls stopped (every other line
// quiet too, one partition never had an event) still raises LINE_SILENT.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "date/tz.h"
#include "processor/pipeline/topic_reader.h"
#include "processor/rules/time.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;

v1::CallEvent Leg(const std::string& id, rules::TimeNs at,
                  const std::string& call) {
  v1::CallEvent e;
  e.set_event_id(id);
  rules::ToProto(at, e.mutable_occurred_at());
  e.set_call_id(call);
  e.set_caller("+74951234567");
  e.set_line("sales");
  e.set_direction(v1::CallEvent::INBOUND);
  return e;
}

// Alert ids on `topic` now.
std::set<std::string> AlertIds(const KafkaProperties& kafka,
                               const std::string& topic) {
  std::set<std::string> ids;
  auto reader = TopicReader::Open(kafka, topic);
  if (!reader.ok()) return ids;
  (*reader)
      ->ReadToEnd(
          [&](const TopicRecord& r) {
            v1::Alert a;
            if (a.ParseFromString(r.value)) ids.insert(a.alert_id());
          },
          std::chrono::seconds(20))
      .IgnoreError();
  return ids;
}

rules::TimeNs WallNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A line open round the clock (UTC) that is silent after `max_silence`.
rules::LineOptions RoundTheClock(rules::DurationNs max_silence) {
  rules::LineOptions line;
  line.time_zone = "UTC";
  line.tz = date::locate_zone("UTC");
  line.business_open_minute = 0;
  line.business_close_minute = 24 * 60;
  line.max_silence = max_silence;
  return line;
}

v1::CallEvent Started(const std::string& id, rules::TimeNs at,
                      const std::string& call) {
  v1::CallEvent e = Leg(id, at, call);
  e.mutable_started();
  return e;
}

// The id of the LINE_SILENT alert of `line` silent since `since`.
std::string SilentSince(const std::string& line, rules::TimeNs since) {
  return "silent:" + line + ":" + std::to_string(since / rules::kSecond);
}

// Waits until every alert id of `want` is on `topic`; a test failure if not.
void ExpectAlertsSoon(const KafkaProperties& kafka, const std::string& topic,
                      const std::set<std::string>& want) {
  std::set<std::string> ids;
  EXPECT_TRUE(WaitFor(
      [&] {
        ids = AlertIds(kafka, topic);
        return std::includes(ids.begin(), ids.end(), want.begin(), want.end());
      },
      std::chrono::seconds(90)))
      << "alerts seen: " << ids.size();
}

TEST(PipelineIdleTest, WallClockMovesIdlePartitions) {
  TempDir dir;
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics = MakeTopics(**cluster, "idle.", 2, "idle.events");
  const KafkaProperties kafka = MockKafka(**cluster);

  // Event time a little behind the wall clock, as a live feed is.
  const rules::TimeNs now = WallNow();
  const rules::TimeNs t0 = now - 2 * rules::kSecond;
  const v1::CallEvent started = Started("s1", t0, "c1");
  v1::CallEvent ended = Leg("e1", t0 + rules::kSecond, "c1");
  ended.mutable_ended()->set_reason(v1::CallEnded::ABANDONED);
  ProduceEvents(kafka, topics.events, {started, ended});

  PipelineConfig config = TestConfig(topics, kafka, /*shards=*/1);
  config.options.idle_after_ns = rules::kSecond;
  config.engine.callback.first_due = 3 * rules::kSecond;
  config.engine.lines["sales"] = RoundTheClock(5 * rules::kSecond);
  PipelineThread pipeline(dir.path() + "/state", config);

  ExpectAlertsSoon(kafka, topics.alerts,
                   {"sla:cb:+74951234567:e1", SilentSince("sales", t0)});
  ASSERT_THAT(pipeline.Stop(), IsOk());
}

// With idle_after = "0s" (old data replayed through Kafka) watermarks move
// by event time only, but a partition that never had an event must still not
// hold the line windows back forever: its LINE_SILENT came only once some
// event landed in the empty partition.
TEST(PipelineIdleTest, AnEmptyPartitionHoldsNoLineAlertBackWithIdleOff) {
  TempDir dir;
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics = MakeTopics(**cluster, "empty.", 2, "empty.events");
  const KafkaProperties kafka = MockKafka(**cluster);

  const rules::TimeNs now = WallNow();
  const rules::TimeNs t0 = now - 2 * rules::kHour;
  // One caller, so one partition; the other never gets an event.
  const v1::CallEvent started = Started("s1", t0, "c1");
  v1::CallEvent later = Started("s2", t0 + rules::kHour, "c2");
  later.set_line("support");
  ProduceEvents(kafka, topics.events, {started, later});

  PipelineConfig config = TestConfig(topics, kafka, /*shards=*/1);
  config.options.idle_after_ns = 0;
  config.options.empty_partition_after_ns = rules::kSecond;
  config.engine.lines["sales"] = RoundTheClock(30 * rules::kMinute);
  PipelineThread pipeline(dir.path() + "/state", config);

  ExpectAlertsSoon(kafka, topics.alerts, {SilentSince("sales", t0)});
  ASSERT_THAT(pipeline.Stop(), IsOk());
}

}  // namespace
}  // namespace callflow::pipeline::testing
