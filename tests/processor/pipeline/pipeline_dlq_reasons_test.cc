// Issue 10: every dead-letter reason comes out of a real bad record in
// `run`: typed in the DLQ record and counted under its label in
// callflow_dead_letters_total, scraped over HTTP. The reason travels as the
// enum from validation, decoding and the routing check; nothing parses it
// back out of a message.
#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "processor/metrics/call_center_metrics.h"
#include "processor/metrics/metrics_server.h"
#include "processor/metrics/pipeline_metrics.h"
#include "processor/pipeline/event_producer.h"
#include "processor/rules/verdict.h"
#include "processor/runtime/metrics_bridge.h"
#include "tests/processor/metrics/scrape.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;
using v1::CallEvent;
using v1::DeadLetter;

CallEvent Started(const std::string& id, const std::string& caller,
                  int64_t seconds) {
  CallEvent e;
  e.set_event_id(id);
  e.mutable_occurred_at()->set_seconds(seconds);
  e.set_call_id("call-" + id);
  e.set_caller(caller);
  e.set_line("sales");
  e.set_direction(CallEvent::INBOUND);
  e.mutable_started();
  return e;
}

std::string Bytes(const CallEvent& e) {
  std::string out;
  e.SerializeToString(&out);
  return out;
}

// Produces `value` to partition 0 of `topic` with the record timestamp
// `timestamp_ms`, as a producer on a host with that clock would.
absl::Status ProduceWithTimestamp(const KafkaProperties& kafka,
                                  const std::string& topic,
                                  const std::string& key,
                                  const std::string& value,
                                  int64_t timestamp_ms) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(
      RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  if (conf->set("bootstrap.servers", kafka.at("bootstrap.servers"), err) !=
      RdKafka::Conf::CONF_OK) {
    return absl::InvalidArgumentError(err);
  }
  std::unique_ptr<RdKafka::Producer> producer(
      RdKafka::Producer::create(conf.get(), err));
  if (producer == nullptr) return absl::InternalError(err);
  const RdKafka::ErrorCode code = producer->produce(
      topic, 0, RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(value.data()),
      value.size(), key.data(), key.size(), timestamp_ms, nullptr);
  if (code != RdKafka::ERR_NO_ERROR) {
    return absl::InternalError(RdKafka::err2str(code));
  }
  if (producer->flush(30000) != RdKafka::ERR_NO_ERROR) {
    return absl::DeadlineExceededError("record not acknowledged in 30 s");
  }
  return absl::OkStatus();
}

TEST(PipelineDlqReasonsTest, EveryReasonFromARealBadRecordIsTypedAndCounted) {
  TempDir dir;
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics = MakeTopics(**cluster, "", 2);
  const KafkaProperties kafka = MockKafka(**cluster);
  rules::EngineOptions engine;

  constexpr char kCaller[] = "+74951230001";
  constexpr int64_t kMay10 = 1715331600;  // 2024-05-10T09:00:00Z
  const int64_t tomorrow =
      std::chrono::duration_cast<std::chrono::seconds>(
          (std::chrono::system_clock::now() + std::chrono::hours(24))
              .time_since_epoch())
          .count();
  // One bad record per reason, all keyed by the caller (its partition, after
  // a good event that sets the watermark), but the misrouted one.
  std::map<DeadLetter::Reason, std::string> bad;
  const std::string good = Bytes(Started("good", kCaller, kMay10));
  bad[DeadLetter::UNDECODABLE] = good.substr(0, good.size() - 1);
  CallEvent e = Started("missing", kCaller, kMay10);
  e.clear_event_id();
  bad[DeadLetter::MISSING_FIELD] = Bytes(e);
  e = Started("enum", kCaller, kMay10);
  e.set_direction(static_cast<CallEvent::Direction>(9));
  bad[DeadLetter::UNKNOWN_ENUM] = Bytes(e);
  bad[DeadLetter::OUT_OF_RANGE] = Bytes(Started("range", kCaller, 100));
  bad[DeadLetter::TIMESTAMP_SKEW] =
      Bytes(Started("skew", kCaller, kMay10 - 9 * 86400));
  bad[DeadLetter::FUTURE] = Bytes(Started("future", kCaller, tomorrow));
  e = Started("long", kCaller, kMay10);
  e.set_call_id(std::string(1000, 'c'));
  bad[DeadLetter::TOO_LONG] = Bytes(e);
  const std::string misrouted = Bytes(Started("misrouted", kCaller, kMay10));
  for (rules::RejectReason r : rules::AllRejectReasons()) {
    if (r != DeadLetter::MISROUTED) {
      ASSERT_TRUE(bad.contains(r)) << DeadLetter::Reason_Name(r);
    }
  }
  {
    auto producer = EventProducer::Create(engine, kafka, topics.events);
    ASSERT_THAT(producer, IsOk());
    ASSERT_THAT((*producer)->Send(Started("good", kCaller, kMay10)), IsOk());
    for (const auto& [reason, payload] : bad) {
      ASSERT_THAT((*producer)->SendRaw(kCaller, payload), IsOk());
    }
    ASSERT_THAT((*producer)->SendRaw("+74950000000", misrouted), IsOk());
    ASSERT_THAT((*producer)->WaitAcknowledged(std::chrono::seconds(30)),
                IsOk());
  }
  bad[DeadLetter::MISROUTED] = misrouted;
  const int64_t total = 1 + static_cast<int64_t>(bad.size());
  ASSERT_EQ(EndOffsets(kafka, topics.events, 2), total);

  auto server = metrics::MetricsServer::Start("127.0.0.1:0");
  ASSERT_THAT(server, IsOk());
  metrics::CallCenterMetrics calls((*server)->registry(), engine);
  metrics::PipelineMetrics pipeline_metrics((*server)->registry());
  runtime::MetricsBridge bridge(calls, pipeline_metrics);
  PipelineConfig config = TestConfig(topics, kafka);
  config.engine = engine;
  {
    PipelineThread pipeline(dir.path(), config, &bridge);
    ASSERT_TRUE(WaitCommitted(pipeline.stats(), total));
    ASSERT_THAT(pipeline.Stop(), IsOk());
  }

  const Outputs got = ReadOutputs(kafka, topics);
  std::map<DeadLetter::Reason, int> by_reason;
  for (const DeadLetter& d : got.dead_letters) {
    ++by_reason[d.reason()];
    ASSERT_TRUE(bad.contains(d.reason())) << d.ShortDebugString();
    EXPECT_EQ(d.payload(), bad.at(d.reason()))
        << DeadLetter::Reason_Name(d.reason()) << ": " << d.error();
  }
  auto scraped = metrics::testing::Scrape((*server)->port());
  ASSERT_THAT(scraped, IsOk());
  for (rules::RejectReason r : rules::AllRejectReasons()) {
    EXPECT_EQ(by_reason[r], 1) << DeadLetter::Reason_Name(r);
    EXPECT_EQ(scraped->Value("callflow_dead_letters_total",
                             {{"reason", std::string(rules::ReasonLabel(r))}}),
              1.0)
        << rules::ReasonLabel(r);
  }
  EXPECT_EQ(got.dead_letters.size(), bad.size());
  EXPECT_EQ(got.contacts.size(), 1u);  // the good event ran
}

// A PBX whose clock had reset to 2001 sends a partition's first event; it
// sets the watermark. The real events after it, vouched for by their
// records' timestamps and this process's clock, are applied: the missed
// call becomes a task. One more event from a clock 30 days ahead, whose
// record carries the same wrong clock (ingest next to the PBX), is
// vouched for by neither clock: TIMESTAMP_SKEW, and no timer fires early.
TEST(PipelineDlqReasonsTest, AClockResetAsThePartitionsFirstEventLocksNothing) {
  TempDir dir;
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  const Topics topics = MakeTopics(**cluster, "", 1);
  const KafkaProperties kafka = MockKafka(**cluster);
  rules::EngineOptions engine;
  constexpr char kCaller[] = "+74951230001";
  constexpr char kRealCaller[] = "+74951230002";  // a task of its own
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t in_2001 = 978307200;
  CallEvent ended = Started("e1", kRealCaller, now - 3600 + 30);
  ended.set_call_id("call-s1");
  ended.mutable_ended()->set_reason(v1::CallEnded::ABANDONED);
  {
    auto producer = EventProducer::Create(engine, kafka, topics.events);
    ASSERT_THAT(producer, IsOk());
    ASSERT_THAT((*producer)->Send(Started("old", kCaller, in_2001)), IsOk());
    ASSERT_THAT((*producer)->Send(Started("s1", kRealCaller, now - 3600)),
                IsOk());
    ASSERT_THAT((*producer)->Send(ended), IsOk());
    ASSERT_THAT((*producer)->WaitAcknowledged(std::chrono::seconds(30)),
                IsOk());
  }
  // Produced with its record's timestamp 30 days ahead, as that clock says.
  CallEvent ahead = Started("ahead", kCaller, now + 30 * 86400);
  ASSERT_THAT(ProduceWithTimestamp(kafka, topics.events, kCaller, Bytes(ahead),
                                   (now + 30 * 86400) * 1000),
              IsOk());
  PipelineConfig config = TestConfig(topics, kafka);
  config.engine = engine;
  {
    PipelineThread pipeline(dir.path(), config);
    ASSERT_TRUE(WaitCommitted(pipeline.stats(), 4));
    ASSERT_THAT(pipeline.Stop(), IsOk());
  }
  const Outputs got = ReadOutputs(kafka, topics);
  ASSERT_EQ(got.dead_letters.size(), 1u);
  EXPECT_EQ(got.dead_letters[0].reason(), DeadLetter::TIMESTAMP_SKEW)
      << got.dead_letters[0].error();
  EXPECT_EQ(got.dead_letters[0].payload(), Bytes(ahead));
  bool callback_for_the_real_call = false;
  for (const std::string& t : got.tasks) {
    if (t.find(R"("source_call_id":"call-s1")") != std::string::npos) {
      callback_for_the_real_call = true;
    }
    // Nothing fired as if 30 days had passed.
    EXPECT_EQ(t.find(R"("status":"UNREACHABLE")"), std::string::npos) << t;
  }
  EXPECT_TRUE(callback_for_the_real_call);
}

}  // namespace
}  // namespace callflow::pipeline::testing
