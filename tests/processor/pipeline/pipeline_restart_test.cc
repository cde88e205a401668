// `callflow run` as a child process, stopped mid-stream by SIGTERM and by
// SIGKILL and started again: nothing missing, state as in an uninterrupted
// run, duplicates only as identical records; a clean stop, even one while
// partitions are still loading, leaves no write-ahead log to replay.
#include <gtest/gtest.h>

#include "processor/pipeline/pipeline.h"
#include "processor/rules/engine.h"
#include "state/partition_store.h"
#include "tests/processor/pipeline/instance_harness.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;

constexpr int kRestartPartitions = 8;

TEST(PipelineRestartTest, KilledAndStoppedProcessorResumesExactly) {
  TempDir reference_dir, restarted_dir;
  auto cluster = MockCluster::Start(3);
  ASSERT_THAT(cluster, IsOk());
  const KafkaProperties kafka = MockKafka(**cluster);
  const Topics ref_topics = MakeTopics(**cluster, "ref.", kRestartPartitions);
  const Topics topics = MakeTopics(**cluster, "r.", kRestartPartitions);
  const auto events = SimulatedEvents(6000, 17);
  ProduceEvents(kafka, topics.events, events);
  const int64_t total = static_cast<int64_t>(events.size());

  // Uninterrupted reference run, in process.
  {
    PipelineConfig config = TestConfig(ref_topics, kafka);
    config.options.group_id = "reference";
    PipelineThread reference(reference_dir.path() + "/state", config);
    ASSERT_TRUE(WaitCommitted(reference.stats(), total));
    ASSERT_THAT(reference.Stop(), IsOk());
  }

  // The child: killed as soon as it committed something, then stopped
  // cleanly while loading and mid-stream, then run to the end.
  const std::string config = restarted_dir.path() + "/callflow.toml";
  const std::string state_dir = restarted_dir.path() + "/state";
  ChildConfig child;
  child.kafka = kafka;
  child.topics = topics;
  child.group_id = "restarted";
  child.commit_interval_ms = 20;
  // Group commits as often as cycles, so the first one is seen (and the
  // child killed) long before it has processed everything.
  child.kafka["auto.commit.interval.ms"] = "20";
  WriteChildConfig(child, state_dir, config);
  auto committed = [&] {
    return GroupCommitted(kafka, "restarted", topics.events,
                          kRestartPartitions);
  };
  const std::string log = restarted_dir.path() + "/run.log";
  {
    CallflowRun killed(config, state_dir, log);
    ASSERT_TRUE(
        WaitFor([&] { return committed() > 0; }, std::chrono::seconds(60)));
    EXPECT_TRUE(killed.Kill());
  }
  // A clean stop flushes every partition it opened, whether it was active
  // or still loading: the next start replays no write-ahead log.
  auto expect_no_log = [&](std::string_view when, const CallflowRun& run) {
    for (int p = 0; p < kRestartPartitions; ++p) {
      EXPECT_EQ(state::WalBytes(state_dir, p), 0u)
          << "partition " << p << " " << when << "\n"
          << run.LogTail(30);
    }
  };
  {
    // Stopped as soon as one partition is active: the others are still
    // being loaded (the killed run's log replayed, the changelog read).
    CallflowRun loading(config, state_dir, log);
    ASSERT_TRUE(loading.WaitLogged(" active from ", 1));
    ASSERT_TRUE(loading.Stop());
    expect_no_log("after a stop while loading", loading);
  }
  const int64_t after_kill = committed();
  {
    CallflowRun stopped(config, state_dir, log);
    ASSERT_TRUE(WaitFor([&] { return committed() > after_kill; },
                        std::chrono::seconds(60)))
        << "group offsets " << committed() << ", after the kill " << after_kill
        << "\n"
        << stopped.LogTail(30);
    ASSERT_TRUE(stopped.Stop());
    expect_no_log("after a stop mid-stream", stopped);
  }
  CallflowRun finished(config, state_dir, log);
  ASSERT_TRUE(
      WaitFor([&] { return committed() >= total; }, std::chrono::seconds(90)));
  ASSERT_TRUE(finished.Stop());

  const Outputs reference = ReadOutputs(kafka, ref_topics);
  const Outputs restarted = ReadOutputs(kafka, topics);
  ASSERT_FALSE(reference.tasks.empty());
  // Every record is there; repeats are byte-identical records (same ids).
  EXPECT_EQ(Distinct(restarted.tasks), Distinct(reference.tasks));
  EXPECT_EQ(Distinct(restarted.contacts), Distinct(reference.contacts));
  EXPECT_EQ(PerCallerAlerts(restarted.alerts),
            PerCallerAlerts(reference.alerts));
  EXPECT_GE(restarted.tasks.size(), reference.tasks.size());

  // State: the callers' committed records equal the uninterrupted run's.
  rules::EngineOptions engine_options;
  rules::Engine keys(engine_options);
  std::set<std::string> callers;
  for (const auto& e : events) {
    const std::string key = keys.KeyFor(e);
    if (!key.empty() && key[0] == '+') callers.insert(key);
    if (callers.size() >= 40) break;
  }
  ASSERT_FALSE(callers.empty());
  for (const std::string& caller : callers) {
    auto want = state::InspectCaller(reference_dir.path() + "/state", caller);
    auto got = state::InspectCaller(restarted_dir.path() + "/state", caller);
    ASSERT_EQ(want.ok(), got.ok())
        << caller << ": " << want.status() << " vs " << got.status();

    if (want.ok()) {
      EXPECT_EQ(got->SerializeAsString(), want->SerializeAsString()) << caller;
    }
  }
}

}  // namespace
}  // namespace callflow::pipeline::testing
