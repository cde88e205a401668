// Stopping `callflow run` with real signals while its outputs cannot be
// acknowledged (the brokers refuse every Produce with a retriable error and
// message.timeout.ms = 0 never gives up): the stop ends at
// [pipeline] shutdown_timeout, or at once on a second signal, and commits
// nothing past what was acknowledged. A restart without the faults then
// produces exactly replay's outputs. And a stop while the group is still
// being formed, before the first assignment, exits cleanly.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "tests/processor/pipeline/instance_harness.h"

namespace callflow::pipeline::testing {
namespace {

constexpr int16_t kProduceApiKey = 0;
constexpr int16_t kSyncGroupApiKey = 14;
// A hang guard: without a bound the stop never ends (message.timeout.ms=0).
constexpr auto kExitGuard = std::chrono::seconds(120);

std::vector<v1::CallEvent> Input() { return ScaleOutInput(600, 61); }

// Starts instance "a" with `pipeline_toml`, has it commit the first half,
// then makes every later delivery hang and feeds it the second half; returns
// once "a" says it waits for acknowledgements.
void StallDeliveries(ScaleOutRun& run, const std::string& pipeline_toml) {
  run.SetChildTuning({{"message.timeout.ms", "0"}}, pipeline_toml);
  const size_t half = run.size() / 2;
  run.Produce(0, half);
  ASSERT_TRUE(run.Start("a"));
  ASSERT_TRUE(run.WaitConsumed()) << run.InstanceLogs();
  CallflowRun& a = run.instance("a");
  a.Pause();  // the second half waits until the faults are in place
  run.Produce(half, run.size());
  run.cluster().PushRequestErrors(
      kProduceApiKey,
      std::vector<int>(200000, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS));
  a.Resume();
  ASSERT_TRUE(WaitFor(
      [&] {
        return absl::StrContains(a.LogTail(400), "deliveries before commit");
      },
      std::chrono::seconds(120)))
      << a.LogTail();
}

// The faults gone, a restart on a's state dir finishes the input; the
// outputs must equal replay's (none lost to a commit past them).
void RestartAndCompare(ScaleOutRun& run) {
  run.cluster().ClearRequestErrors(kProduceApiKey);
  run.SetChildTuning({}, "");
  ASSERT_TRUE(run.Start("a-again", "a"));
  ASSERT_TRUE(run.WaitConsumed()) << run.InstanceLogs();
  EXPECT_TRUE(run.OutputsEqualReplay());
  run.StopAll();
}

TEST(ShutdownTest, DeadlineStopsWithoutCommittingUnacknowledged) {
  ScaleOutRun run(Input());
  ASSERT_NO_FATAL_FAILURE(StallDeliveries(run, "shutdown_timeout = \"3s\"\n"));
  CallflowRun& a = run.instance("a");
  a.Signal(SIGTERM);
  const std::optional<int> exit_code = a.WaitExit(kExitGuard);
  ASSERT_TRUE(exit_code.has_value()) << "still running\n" << a.LogTail();
  EXPECT_NE(*exit_code, 0) << a.LogTail();
  EXPECT_TRUE(
      absl::StrContains(a.LogTail(400), "shutdown_timeout (3 s) passed"))
      << a.LogTail();
  RestartAndCompare(run);
}

TEST(ShutdownTest, SecondSignalStopsAtOnce) {
  ScaleOutRun run(Input());
  // The default deadline (45 s) is far; the second signal comes first.
  ASSERT_NO_FATAL_FAILURE(StallDeliveries(run, ""));
  CallflowRun& a = run.instance("a");
  a.Signal(SIGTERM);
  ASSERT_TRUE(WaitFor(
      [&] { return absl::StrContains(a.LogTail(400), "pipeline stopping"); },
      std::chrono::seconds(60)))
      << a.LogTail();
  a.Signal(SIGTERM);
  const std::optional<int> exit_code = a.WaitExit(kExitGuard);
  ASSERT_TRUE(exit_code.has_value()) << "still running\n" << a.LogTail();
  EXPECT_TRUE(absl::StrContains(a.LogTail(400), "second stop signal"))
      << a.LogTail();
  RestartAndCompare(run);
}

// Every broker down (the Kafka hosts lost) and then SIGTERM: leaving the
// group cannot complete, and librdkafka's consumer close waits for the
// coordinator without end. A reviewer's run sat for minutes and ignored a
// second signal. The stop must still end soon after shutdown_timeout, and
// the state must be as safe as after a crash.
TEST(ShutdownTest, AStopWhileEveryBrokerIsDownEndsAfterTheDeadline) {
  ScaleOutRun run(Input());
  run.SetChildTuning({}, "shutdown_timeout = \"3s\"\n");
  run.Produce(0, run.size() / 2);
  ASSERT_TRUE(run.Start("a"));
  ASSERT_TRUE(run.WaitConsumed()) << run.InstanceLogs();
  for (int32_t broker = 1; broker <= 3; ++broker) {
    ASSERT_TRUE(run.cluster().SetBrokerDown(broker).ok());
  }
  CallflowRun& a = run.instance("a");
  a.Signal(SIGTERM);
  // 3 s of deadline, then a few seconds for what follows it.
  const std::optional<int> exit_code = a.WaitExit(std::chrono::seconds(40));
  ASSERT_TRUE(exit_code.has_value()) << "still running\n" << a.LogTail();
  EXPECT_EQ(*exit_code, 1) << a.LogTail();
  EXPECT_TRUE(
      absl::StrContains(a.LogTail(400), "exiting without leaving the group"))
      << a.LogTail();
  for (int32_t broker = 1; broker <= 3; ++broker) {
    ASSERT_TRUE(run.cluster().SetBrokerUp(broker).ok());
  }
  run.Produce(run.size() / 2, run.size());
  RestartAndCompare(run);
}

// librdkafka 2.0.2 aborts (an assertion in the cooperative-sticky assignor)
// when a consumer is destroyed after its group answered JoinGroup and before
// the first SyncGroup answer (confluentinc/librdkafka#4312, fixed in 2.3.0).
// A user hit it stopping an instance that waited for its first partitions:
// exit 134 instead of 0. Here the coordinator holds the SyncGroup answer
// 30 s, and the SIGTERM comes in between.
TEST(ShutdownTest, StopBeforeTheFirstAssignmentExitsCleanly) {
  ScaleOutRun run(Input());
  ASSERT_TRUE(run.cluster().SetGroupCoordinator(run.group(), 1).ok());
  run.cluster().DelayNextResponse(1, kSyncGroupApiKey, 30000);
  // The group protocol's debug lines say when JoinGroup was answered.
  run.SetChildTuning({{"debug", "cgrp"}, {"log_level", "7"}}, "");
  ASSERT_TRUE(run.Start("a"));
  CallflowRun& a = run.instance("a");
  ASSERT_TRUE(a.WaitLogged("JoinGroup response: GenerationId", 1));
  ASSERT_FALSE(absl::StrContains(a.LogTail(2000), "assigned so.events"))
      << "assigned before the stop: the SyncGroup answer was not held\n"
      << a.LogTail();
  a.Signal(SIGTERM);
  const std::optional<int> exit_code = a.WaitExit(kExitGuard);
  ASSERT_TRUE(exit_code.has_value()) << "still running\n" << a.LogTail();
  EXPECT_EQ(*exit_code, 0) << a.LogTail();
}

}  // namespace
}  // namespace callflow::pipeline::testing
