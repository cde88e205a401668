// `callflow run`'s start-up errors: each is a clear message and a non-zero
// exit, never a hang. (Clean stops on SIGINT/SIGTERM: the restart test.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "processor/pipeline/pipeline.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;
using ::testing::HasSubstr;

std::string WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

TEST(RunCommandTest, HelpExplainsEveryFlag) {
  const CommandResult r = RunCallflow({"run", "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string flag :
       {"--config", "--state-dir", "--metrics-address"}) {
    bool explained = false;
    for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
      const size_t at = line.find(flag);
      if (at != absl::string_view::npos &&
          line.size() > at + flag.size() + 30) {
        explained = true;
      }
    }
    EXPECT_TRUE(explained) << flag << " in\n" << r.out;
  }
}

TEST(RunCommandTest, NoBrokersNamesTheKeyAndTheVariable) {
  TempDir dir;
  // Not set at all, and set to nothing (a variable left empty by a
  // template): both are the same mistake, said at once.
  for (const char* kafka : {"", "[kafka]\n\"bootstrap.servers\" = \" \"\n"}) {
    const std::string config =
        WriteFile(dir.path() + "/callflow.toml",
                  absl::StrCat("[pipeline]\nshards = 1\n", kafka));
    const CommandResult r = RunCallflow(
        {"run", "--config", config, "--state-dir", dir.path() + "/state"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("[kafka] bootstrap.servers"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("CALLFLOW_KAFKA_BOOTSTRAP_SERVERS"), std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("no answer"), std::string::npos) << r.err;
  }
}

TEST(RunCommandTest, ChangelogWithOtherPartitionCountIsAStartUpError) {
  TempDir dir;
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  Topics topics;
  ASSERT_THAT((*cluster)->CreateCallflowTopics(topics, 4), IsOk());
  topics.changelog = "other.changelog";
  ASSERT_THAT((*cluster)->CreateTopic(topics.changelog, 3), IsOk());
  const std::string config = WriteFile(
      dir.path() + "/callflow.toml",
      "[kafka]\n\"bootstrap.servers\" = \"" + (*cluster)->bootstraps() +
          "\"\n[topics]\nchangelog = \"other.changelog\"\n");
  const CommandResult r =
      RunCallflow({"run", "--config", config, "--state-dir",
                   dir.path() + "/state", "--metrics-address", "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the changelog topic other.changelog has 3 "
                       "partition(s) but the events topic callflow.events "
                       "has 4"),
            std::string::npos)
      << r.err;
}

TEST(RunCommandTest, MissingTopicsAreNamedAndTheProcessExits) {
  TempDir dir;
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  ASSERT_THAT((*cluster)->CreateTopic("callflow.events", 2), IsOk());
  ASSERT_THAT((*cluster)->CreateTopic("callflow.tasks", 2), IsOk());
  const std::string config =
      WriteFile(dir.path() + "/callflow.toml",
                "[kafka]\n\"bootstrap.servers\" = \"" +
                    (*cluster)->bootstraps() + "\"\n\"log_level\" = \"3\"\n");
  const CommandResult r =
      RunCallflow({"run", "--config", config, "--state-dir",
                   dir.path() + "/state", "--metrics-address", "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("callflow.alerts, callflow.contacts, callflow.dlq, "
                       "callflow.lines, callflow.changelog do not exist on "
                       "the Kafka brokers"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("callflow.tasks,"), std::string::npos) << r.err;
}

TEST(RunCommandTest, UnreachableBrokersEndRunWithAnError) {
  TempDir dir;
  auto env = state::StateEnv::Create(StateAt(dir.path()));
  ASSERT_THAT(env, IsOk());
  PipelineConfig config = TestConfig(
      Topics{}, {{"bootstrap.servers", "127.0.0.1:9"}, {"log_level", "0"}});
  config.options.metadata_timeout_ms = 1000;
  auto pipeline = Pipeline::Create(config, **env);
  ASSERT_THAT(pipeline, IsOk());
  EXPECT_THAT(
      (*pipeline)->Run(),
      StatusIs(absl::StatusCode::kUnavailable,
               HasSubstr("no answer from the Kafka brokers 127.0.0.1:9")));
}

}  // namespace
}  // namespace callflow::pipeline::testing
