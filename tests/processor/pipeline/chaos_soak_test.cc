// Scale-out under a random schedule (docs/RULES.md §10): the scripted rows of
// scale_out_test.cc, drawn at random and in any order. Up to three `callflow
// run` instances (real child processes, own state dirs) join, stop cleanly,
// are SIGKILLed and restarted on the same dir or on an empty one, are
// SIGSTOPped past the session timeout (and then stop by themselves), and a
// broker goes down for longer than a session, while the input is produced in
// parts. Whatever happened, once everything is consumed the outputs read back
// from the topics equal `callflow replay` of the same input.
//
// The schedule is drawn from a seed before anything runs and printed first,
// so a failing seed is replayed exactly (up to the timing of the processes):
//   CALLFLOW_SOAK_SEED=<n> CALLFLOW_SOAK_ITERATIONS=<k> ctest --test-dir
//   build -R callflow_chaos_soak_test --output-on-failure
// Iteration i runs seed n + i. The default (one fixed seed) is the CI case;
// longer soaks set the two variables (ops/soak.sh).
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/processor/pipeline/instance_harness.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;

constexpr uint64_t kSoakCalls = 1500;
constexpr int kSoakParts = 5;
constexpr int kBrokers = 3;
// A fault's length, not a threshold: past the session timeout (6 s).
constexpr auto kPastSession = std::chrono::seconds(8);
const char* const kNames[] = {"a", "b", "c"};

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value == nullptr ? fallback : std::strtoull(value, nullptr, 10);
}

// One thing done to the group before a part of the input is produced.
struct ChaosStep {
  enum class Kind { kStart, kStop, kKill, kPause, kBrokerOutage };
  Kind kind;
  std::string name;    // the instance; kBrokerOutage: empty
  std::string dir;     // kStart: the state dir
  int32_t broker = 0;  // kBrokerOutage
  std::string Describe() const {
    switch (kind) {
      case Kind::kStart:
        return absl::StrCat("start ", name, " on dir ", dir);
      case Kind::kStop:
        return absl::StrCat("SIGTERM ", name);
      case Kind::kKill:
        return absl::StrCat("SIGKILL ", name);
      case Kind::kPause:
        return absl::StrCat("SIGSTOP ", name, " past the session, SIGCONT");
      case Kind::kBrokerOutage:
        return absl::StrCat("broker ", broker, " down past the session");
    }
    return "";
  }
};

// Before part `part` of the input: `steps`, then the part is produced, then
// (when `wait`) the group's commits must pass what they were.
struct ChaosRound {
  std::vector<ChaosStep> steps;
  bool wait = false;
};

// Draws a schedule from `seed`, keeping track of who runs: a stopped,
// killed or paused instance is gone until started again; a paused one exits
// by itself once resumed (it stood still past its session). At least one
// instance runs at the end, so the input is consumed.
std::vector<ChaosRound> DrawSchedule(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&rng](size_t n) {
    return static_cast<size_t>(rng() % static_cast<uint64_t>(n));
  };
  std::set<std::string> running;
  int fresh_dirs = 0;
  auto start = [&](std::vector<ChaosStep>* steps) {
    std::vector<std::string> idle;
    for (const char* name : kNames) {
      if (!running.contains(name)) idle.push_back(name);
    }
    const std::string name = idle[pick(idle.size())];
    // Same dir (a restart on its host) or an empty one (a new host).
    const std::string dir =
        pick(5) < 3 ? name : absl::StrCat(name, "-", ++fresh_dirs);
    steps->push_back({ChaosStep::Kind::kStart, name, dir});
    running.insert(name);
  };
  std::vector<ChaosRound> rounds(kSoakParts);
  for (ChaosRound& round : rounds) {
    const size_t actions = 1 + pick(2);
    for (size_t i = 0; i < actions; ++i) {
      const size_t what = pick(10);
      if (running.empty() || (what < 3 && running.size() < 3)) {
        start(&round.steps);
        continue;
      }
      if (what == 9) {
        round.steps.push_back({ChaosStep::Kind::kBrokerOutage, "", "",
                               static_cast<int32_t>(1 + pick(kBrokers))});
        continue;
      }
      std::vector<std::string> names(running.begin(), running.end());
      const std::string name = names[pick(names.size())];
      const ChaosStep::Kind kind = what < 5   ? ChaosStep::Kind::kKill
                                   : what < 7 ? ChaosStep::Kind::kStop
                                              : ChaosStep::Kind::kPause;
      round.steps.push_back({kind, name, ""});
      running.erase(name);
    }
    round.wait = !running.empty() && pick(2) == 0;
  }
  if (running.empty()) start(&rounds.back().steps);
  return rounds;
}

std::string Describe(const std::vector<ChaosRound>& rounds) {
  std::string text;
  for (size_t part = 0; part < rounds.size(); ++part) {
    std::vector<std::string> steps;
    for (const ChaosStep& step : rounds[part].steps) {
      steps.push_back(step.Describe());
    }
    absl::StrAppend(&text, "  part ", part + 1, ": ",
                    absl::StrJoin(steps, "; "), "; produce",
                    rounds[part].wait ? "; wait for commits" : "", "\n");
  }
  return text;
}

// Runs one schedule against a fresh cluster.
class ChaosRun {
 public:
  explicit ChaosRun(uint64_t seed) : run_(ScaleOutInput(kSoakCalls, seed)) {}

  void Play(const std::vector<ChaosRound>& rounds) {
    for (size_t part = 0; part < rounds.size(); ++part) {
      for (const ChaosStep& step : rounds[part].steps) {
        SCOPED_TRACE(step.Describe());
        ASSERT_NO_FATAL_FAILURE(Do(step));
      }
      const int64_t committed = run_.GroupCommitted();
      run_.Produce(run_.size() * part / rounds.size(),
                   run_.size() * (part + 1) / rounds.size());
      if (rounds[part].wait) {
        EXPECT_TRUE(run_.WaitCommittedAbove(committed)) << run_.InstanceLogs();
      }
    }
    EXPECT_TRUE(run_.WaitConsumed()) << run_.InstanceLogs();
    run_.StopAll();
    EXPECT_TRUE(run_.OutputsEqualReplay());
  }

 private:
  void Do(const ChaosStep& step) {
    switch (step.kind) {
      case ChaosStep::Kind::kStart:
        ASSERT_TRUE(run_.Start(step.name, step.dir));
        return;
      case ChaosStep::Kind::kStop:
        EXPECT_TRUE(run_.instance(step.name).Stop());
        return;
      case ChaosStep::Kind::kKill:
        EXPECT_TRUE(run_.instance(step.name).Kill());
        return;
      case ChaosStep::Kind::kPause: {
        CallflowRun& paused = run_.instance(step.name);
        paused.Pause();
        std::this_thread::sleep_for(kPastSession);
        paused.Resume();
        // It finds it stood still past its session and exits non-zero
        // without producing anything more.
        const std::optional<int> exit_code =
            paused.WaitExit(std::chrono::seconds(60));
        ASSERT_TRUE(exit_code.has_value()) << paused.LogTail();
        EXPECT_NE(*exit_code, 0) << paused.LogTail();
        return;
      }
      case ChaosStep::Kind::kBrokerOutage:
        ASSERT_THAT(run_.cluster().SetBrokerDown(step.broker), IsOk());
        std::this_thread::sleep_for(kPastSession);
        ASSERT_THAT(run_.cluster().SetBrokerUp(step.broker), IsOk());
        return;
    }
  }

  ScaleOutRun run_;
};

TEST(ChaosSoakTest, RandomSchedulesEqualReplay) {
  const uint64_t first = EnvOr("CALLFLOW_SOAK_SEED", 1);
  const uint64_t iterations = EnvOr("CALLFLOW_SOAK_ITERATIONS", 1);
  for (uint64_t seed = first; seed < first + iterations; ++seed) {
    const std::vector<ChaosRound> rounds = DrawSchedule(seed);
    const std::string schedule = Describe(rounds);
    std::printf("seed %llu:\n%s", static_cast<unsigned long long>(seed),
                schedule.c_str());
    std::fflush(stdout);
    SCOPED_TRACE(absl::StrCat("seed ", seed, ", schedule:\n", schedule));
    ChaosRun run(seed);
    ASSERT_NO_FATAL_FAILURE(run.Play(rounds));
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
}  // namespace callflow::pipeline::testing
