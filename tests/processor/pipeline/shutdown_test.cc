// Stopping `callflow run` with real signals while its outputs cannot be
// acknowledged (the brokers refuse every Produce with a retriable error and
// message.timeout.ms = 0 never gives up): the stop ends at
// [pipeline] shutdown_timeout, or at once on a second signal, and commits
// nothing past what was acknowledged. A restart without the faults then
// produces exactly replay's outputs.
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
// A hang guard: without a bound the stop never ends (message.timeout.ms=0).
constexpr auto kExitGuard = std::chrono::seconds(120);

std::vector<v1::CallEvent> Input() {
  auto events = SimulatedEvents(600, 61);
  AppendClosingEvents(ScaleOutRun::kPartitions, &events);
  return events;
}

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

}  // namespace
}  // namespace callflow::pipeline::testing
