// docs/RULES.md §10, scale-out: whatever the number of instances, their starts,
// clean stops, SIGKILLs, pauses and broker outages, the outputs equal `callflow
// replay` of the same input once everything is consumed. The rows of issue 8's
// table, one test each, plus the 3-instance case.
//
// Every instance is the real `callflow run` binary in a child process with
// its own config and its own state dir (as on its own host); the test process
// hosts the mock cluster (8 event partitions, session.timeout.ms 6000). The
// input is seeded simulator traffic, produced in parts around each instance
// change. At the end the group has committed the end offsets, every
// instance is stopped with SIGTERM, and kcat reads the outputs back. Compared
// with replay (SameOutputs): the last message per task_id, the set of
// alert_ids (MISSED_RATE_HIGH and LINE_SILENT included: every line has
// business hours and max_silence 20m), the last screen-pop per call_id.
// Alerts are compared by id and content (OutputView).
//
// The oracle. The pipeline keeps a watermark per partition, replay one for
// the whole file, so at the end of the input what falls due between a
// partition's last event and the file's last one fires in replay only. The
// input therefore ends with one closing event per partition at the file's
// last event time (AppendClosingEvents: a CRM contact update, no output):
// every partition's watermark ends where replay's does and every output is
// still compared. (On this input, today's binary gives the same per-caller
// outputs with or without them; they keep the oracle exact for line windows
// closed over all partitions and for other seeds.)
//
// Today's binary (CALLFLOW_TEST_LEGACY_CONFIG=1, no changelog): every row
// fails, the control on line alerts only (the in-memory line windows open at
// A's stop are lost: 4 MISSED_RATE_HIGH missing); even one uninterrupted
// instance over 8 partitions matches few line alerts, see issue 8's hub bugs.
//
// Rows and what each proves:
// - CleanStopThenEmptyHost: A runs the first half and stops cleanly; B, on an
//   empty state dir, runs the rest. State moves with the partition
//   (changelog restore), including line-window partials.
// - JoinMidStream: B (own dir) joins while A is consuming. Partitions that
//   move to B restore A's state; windows close only when every partition's
//   watermark passed them, whichever instance owns it.
// - PausedOwnerComesBackThenNewHostJoins: A is SIGSTOPped past its session
//   timeout in the middle of its input (events consumed, not processed);
//   B takes over; A resumes, finds it stood still longer than the session
//   and exits with an error before processing or producing anything more
//   (FreezeWatch), then C joins on an empty dir. Before that check, A
//   processed what it had consumed when it woke and such a late output
//   could land after B's newer one for the same task (a CI run: 2 tasks of
//   561). The changelog side of a zombie's late writes (ignored by a
//   restore) is ChangelogRestoreTest.ZombieWritesAndTornCyclesAreIgnored.
// - OutputsQueuedBeforeAPauseAreNeverSent: the same pause, with A's outputs
//   still queued in its producers when it stops (a 5 s linger keeps them
//   there; EMERGENCY alerts never linger, so those have left before the
//   pause), so they are due the instant it resumes. librdkafka's threads
//   would send them before any check of the process could run (a CI run: 5
//   tasks of 561 in the row above, every changed task here); the send fence
//   fails the sends of a process that stood still past its session.
// - KilledRepeatedly: one instance, one dir, SIGKILLed 4 times mid-stream.
//   Nothing is lost or duplicated differently, line alerts included (durable
//   window partials, silence clock read back).
// - BrokerDownThenSlow: one broker (not the group coordinator) down 8 s as
//   the instance starts, then 500 ms round trips for a while: its partitions
//   lag far behind the others. No crash, and no window closes before the
//   lagging partitions passed it.
// - ControlSameDir: B reuses A's dir; passes with today's single-host mode,
//   so a failure of the others is about state moving, not the harness.
// - ThreeInstancesKillAddStop: A, B, C; B is SIGKILLed, D joins on an empty
//   dir at once, C stops cleanly.
// - StopWhileOwnerMarkersWaitForADownBroker: A is stopped while the owner
//   markers of the partitions a down broker leads wait for it; the broker
//   comes back during the stop. A exits 0 (or 1 past the stop deadline),
//   never by a crash.
#include <gtest/gtest.h>
#include <signal.h>

#include <optional>
#include <thread>

#include "tests/processor/pipeline/instance_harness.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;

constexpr uint64_t kCalls = 2000;
constexpr uint64_t kSeed = 7;
// Fault durations, not thresholds: past the session timeout (6 s).
constexpr auto kPastSessionTimeout = std::chrono::seconds(8);

std::vector<v1::CallEvent> Input() { return ScaleOutInput(kCalls, kSeed); }

class ScaleOutTest : public ::testing::Test {
 protected:
  ScaleOutTest() : run_(Input()) {}

  // Index of the input's `n`th of `parts` boundary.
  size_t Part(size_t n, size_t parts) const { return run_.size() * n / parts; }

  // The end of every row: all consumed, everyone stopped, outputs compared.
  void FinishAndCompare() {
    EXPECT_TRUE(run_.WaitConsumed());
    run_.StopAll();
    EXPECT_TRUE(run_.OutputsEqualReplay());
  }

  // A runs the first half and stops cleanly; B on `b_dir` runs the rest.
  void HandOver(const std::string& b_dir) {
    const size_t half = Part(1, 2);
    run_.Produce(0, half);
    ASSERT_TRUE(run_.Start("a"));
    EXPECT_TRUE(run_.WaitConsumed());
    EXPECT_TRUE(run_.instance("a").Stop());
    run_.Produce(half, run_.size());
    ASSERT_TRUE(run_.Start("b", b_dir));
    FinishAndCompare();
  }

  ScaleOutRun run_;
};

TEST_F(ScaleOutTest, CleanStopThenEmptyHost) { HandOver("b"); }

TEST_F(ScaleOutTest, ControlSameDir) { HandOver("a"); }

TEST_F(ScaleOutTest, JoinMidStream) {
  const size_t half = Part(1, 2);
  run_.Produce(0, half);
  ASSERT_TRUE(run_.Start("a"));
  ASSERT_TRUE(run_.WaitCommittedAbove(0));
  ASSERT_TRUE(run_.Start("b"));
  run_.Produce(half, run_.size());
  FinishAndCompare();
}

TEST_F(ScaleOutTest, PausedOwnerComesBackThenNewHostJoins) {
  run_.Produce(0, Part(1, 3));
  ASSERT_TRUE(run_.Start("a"));
  ASSERT_TRUE(run_.WaitCommittedAbove(0));
  ASSERT_TRUE(run_.Start("b"));
  // A stops answering in the middle of the second third: events consumed
  // and not processed, a cycle not committed.
  run_.Produce(Part(1, 3), Part(2, 3));
  run_.instance("a").Pause();
  std::this_thread::sleep_for(kPastSessionTimeout);
  EXPECT_TRUE(run_.WaitConsumed());  // B took A's partitions over
  run_.instance("a").Resume();
  // A finds it stood still longer than the session and stops by itself
  // without producing anything more (its late outputs would land after B's
  // newer ones for the same tasks); a supervisor would restart it.
  const std::optional<int> exit_code =
      run_.instance("a").WaitExit(std::chrono::seconds(60));
  ASSERT_TRUE(exit_code.has_value()) << run_.instance("a").LogTail();
  EXPECT_NE(*exit_code, 0);
  EXPECT_NE(run_.instance("a").LogTail(40).find("stood still"),
            std::string::npos)
      << run_.instance("a").LogTail(40);
  ASSERT_TRUE(run_.Start("c"));
  run_.Produce(Part(2, 3), run_.size());
  FinishAndCompare();
}

TEST_F(ScaleOutTest, OutputsQueuedBeforeAPauseAreNeverSent) {
  run_.Produce(0, Part(1, 2));
  // Fault set-up, not a threshold: A's records wait 5 s in its producers,
  // longer than it takes to process the first half once its partitions are
  // active, shorter than the pause.
  run_.SetChildTuning({{"producer.linger.ms", "5000"}}, "");
  ASSERT_TRUE(run_.Start("a"));
  ASSERT_TRUE(
      run_.instance("a").WaitLogged("active from", ScaleOutRun::kPartitions));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  run_.instance("a").Pause();
  run_.SetChildTuning({}, "");
  ASSERT_TRUE(run_.Start("b"));
  run_.Produce(Part(1, 2), run_.size());
  EXPECT_TRUE(run_.WaitConsumed());  // B redid A's cycle and went on
  run_.instance("a").Resume();
  const std::optional<int> exit_code =
      run_.instance("a").WaitExit(std::chrono::seconds(60));
  ASSERT_TRUE(exit_code.has_value()) << run_.instance("a").LogTail();
  EXPECT_NE(*exit_code, 0);
  FinishAndCompare();
}

TEST_F(ScaleOutTest, KilledRepeatedly) {
  constexpr size_t kKills = 4;
  for (size_t kill = 0; kill < kKills; ++kill) {
    const int64_t committed = run_.GroupCommitted();
    run_.Produce(Part(kill, kKills + 1), Part(kill + 1, kKills + 1));
    ASSERT_TRUE(run_.Start("a"));
    ASSERT_TRUE(run_.WaitCommittedAbove(committed));
    EXPECT_TRUE(run_.instance("a").Kill());
  }
  run_.Produce(Part(kKills, kKills + 1), run_.size());
  ASSERT_TRUE(run_.Start("a"));
  FinishAndCompare();
}

TEST_F(ScaleOutTest, BrokerDownThenSlow) {
  constexpr int32_t kDown = 1;
  constexpr int32_t kAllBrokers = -1;
  // The group forms during the outage: the partitions led by the other
  // brokers run ahead while broker 1's wait.
  ASSERT_THAT(run_.cluster().SetGroupCoordinator(run_.group(), 2), IsOk());
  run_.Produce(0, Part(1, 3));
  ASSERT_THAT(run_.cluster().SetBrokerDown(kDown), IsOk());
  ASSERT_TRUE(run_.Start("a"));
  std::this_thread::sleep_for(kPastSessionTimeout);
  ASSERT_THAT(run_.cluster().SetBrokerUp(kDown), IsOk());
  ASSERT_THAT(run_.cluster().SetBrokerRtt(kAllBrokers, 500), IsOk());
  const int64_t committed = run_.GroupCommitted();
  run_.Produce(Part(1, 3), run_.size());
  EXPECT_TRUE(run_.WaitCommittedAbove(committed));
  ASSERT_THAT(run_.cluster().SetBrokerRtt(kAllBrokers, 0), IsOk());
  EXPECT_TRUE(run_.instance("a").Running()) << run_.instance("a").LogTail();
  FinishAndCompare();
}

// Three instances; B is SIGKILLed while it holds partitions, D joins on an
// empty dir at once (while B's session still runs), C stops cleanly. Before
// the group offsets went through librdkafka's auto-commit, this row churned
// in about half the runs: an application commit that crossed a rebalance
// came back "illegal generation", librdkafka 2.0.2 took the assignment as
// lost and rejoined, which restarted the rebalance for every member, and the
// group's offsets stalled for minutes.
TEST_F(ScaleOutTest, ThreeInstancesKillAddStop) {
  run_.Produce(0, Part(1, 4));
  ASSERT_TRUE(run_.Start("a"));
  ASSERT_TRUE(run_.Start("b"));
  ASSERT_TRUE(run_.Start("c"));
  ASSERT_TRUE(run_.WaitCommittedAbove(0));
  run_.Produce(Part(1, 4), Part(2, 4));
  EXPECT_TRUE(run_.instance("b").Kill());
  ASSERT_TRUE(run_.Start("d"));
  const int64_t committed = run_.GroupCommitted();
  run_.Produce(Part(2, 4), Part(3, 4));
  EXPECT_TRUE(run_.WaitCommittedAbove(committed));  // then the diff as well
  EXPECT_TRUE(run_.instance("c").Stop());
  run_.Produce(Part(3, 4), run_.size());
  FinishAndCompare();
}

// Found by the chaos soak (a seed of its timeline variant, then reduced to
// this): the stop cancels the loads still waiting for their owner markers;
// when the broker came back, each marker's delivery report wrote into the
// tracker of a WriteMarker call that had returned (a dead stack frame):
// "terminate called after throwing an instance of 'std::system_error'
// what(): Invalid argument", or a silently corrupted loader stack.
TEST_F(ScaleOutTest, StopWhileOwnerMarkersWaitForADownBroker) {
  ASSERT_THAT(run_.cluster().SetGroupCoordinator(run_.group(), 2), IsOk());
  run_.Produce(0, Part(1, 4));
  // The mock broker leaves some connections open through its outage and
  // never answers what was sent on them; librdkafka gives such a request
  // up after socket.timeout.ms (60 s by default, past the 45 s stop
  // deadline). Fault set-up, not a threshold.
  run_.SetChildTuning({{"socket.timeout.ms", "10000"}}, "");
  // Broker 1 leads some changelog partitions: their owner markers wait.
  ASSERT_THAT(run_.cluster().SetBrokerDown(1), IsOk());
  ASSERT_TRUE(run_.Start("a"));
  CallflowRun& a = run_.instance("a");
  ASSERT_TRUE(a.WaitLogged("loading its state", ScaleOutRun::kPartitions));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  a.Signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_THAT(run_.cluster().SetBrokerUp(1), IsOk());
  const std::optional<int> code = a.WaitExit(std::chrono::seconds(90));
  ASSERT_TRUE(code.has_value()) << a.LogTail(40);
  // 0, or 1 when the mock kept a request unanswered past the stop deadline
  // (the documented bounded stop); never a crash.
  EXPECT_TRUE(*code == 0 || *code == 1) << *code << "\n" << a.LogTail(40);
  EXPECT_EQ(a.LogTail(200).find("terminate called"), std::string::npos)
      << a.LogTail(40);
}

}  // namespace
}  // namespace callflow::pipeline::testing
