// The Kafka pipeline against the replay oracle: same engine, same outputs.
#include <gtest/gtest.h>
#include <stdio.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "google/protobuf/util/json_util.h"

#include "processor/codec/codec.h"
#include "processor/pipeline/pipeline.h"
#include "processor/replay/replay.h"
#include "tests/processor/pipeline/pipeline_test_util.h"

namespace callflow::pipeline::testing {
namespace {

// Reads a topic with kcat (an outside client) and decodes each payload with
// the project's proto.
std::multiset<std::string> KcatTaskIds(const std::string& brokers,
                                       const std::string& topic) {
  const std::string cmd = "kcat -b " + brokers + " -C -t " + topic +
                          " -e -q -f '%S %s' 2>/dev/null";
  FILE* f = popen(cmd.c_str(), "r");
  EXPECT_NE(f, nullptr);
  std::string data;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) data.append(buf, n);
  EXPECT_EQ(pclose(f), 0);
  std::multiset<std::string> ids;
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t space = data.find(' ', pos);
    EXPECT_NE(space, std::string::npos);
    if (space == std::string::npos) break;
    const size_t len = std::stoul(data.substr(pos, space - pos));
    v1::Task task;
    EXPECT_TRUE(task.ParseFromString(data.substr(space + 1, len)));
    ids.insert(task.task_id());
    pos = space + 1 + len;
  }
  return ids;
}

// Runs `input` through replay and through Kafka (one partition, so the
// partition sees the same event order and watermark as replay's partition 0)
// and compares every output.
void ExpectKafkaEqualsReplay(const std::vector<v1::CallEvent>& events,
                             const std::string& input) {
  TempDir dir;
  rules::EngineOptions engine;
  state::StateOptions replay_state;
  replay::ReplayOptions replay_options;
  replay_options.input = input;
  replay_options.out_dir = dir.path() + "/replay";
  auto kpis =
      replay::RunReplay(engine, replay_state, replay_options, nullptr);
  ASSERT_TRUE(kpis.ok()) << kpis.status();
  const Outputs expected = ReadReplayOutputs(dir.path() + "/replay");
  ASSERT_FALSE(expected.tasks.empty());

  auto cluster = MockCluster::Start(3);
  ASSERT_TRUE(cluster.ok());
  const Topics topics = MakeTopics(**cluster, "", 1);
  const KafkaProperties kafka = MockKafka(**cluster);
  ProduceEvents(kafka, topics.events, events);

  auto env = state::StateEnv::Create(StateAt(dir.path() + "/state"));
  ASSERT_TRUE(env.ok());
  PipelineConfig config;
  config.engine = engine;
  config.topics = topics;
  config.kafka = kafka;

  config.options.shards = 2;
  config.options.ring_capacity = 64;  // small: the ring fills, pausing runs
  config.options.commit_interval_ms = 50;
  auto pipeline = Pipeline::Create(config, **env);
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  absl::Status run_status;
  std::thread runner([&] { run_status = (*pipeline)->Run(); });
  const bool done = WaitCommitted((*pipeline)->stats(),
                                  static_cast<int64_t>(events.size()));
  (*pipeline)->Stop();
  runner.join();
  ASSERT_TRUE(done);
  ASSERT_TRUE(run_status.ok()) << run_status;

  const Outputs got = ReadOutputs(kafka, topics);
  EXPECT_EQ(got.tasks, expected.tasks);
  EXPECT_EQ(got.alerts, expected.alerts);
  EXPECT_EQ(got.contacts, expected.contacts);

  std::multiset<std::string> expected_ids;
  for (const std::string& json : expected.tasks) {
    v1::Task t;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &t).ok());
    expected_ids.insert(t.task_id());
  }
  EXPECT_EQ(KcatTaskIds((*cluster)->bootstraps(), topics.tasks), expected_ids);
}

TEST(PipelineReplayTest, SimulatedTrafficGivesReplayOutputs) {
  TempDir dir;
  const auto events = SimulatedEvents(1500, 11);
  const std::string input = dir.path() + "/input.jsonl";
  WriteJsonl(events, input);
  ExpectKafkaEqualsReplay(events, input);
}

TEST(PipelineReplayTest, ScenarioFileGivesReplayOutputs) {
  const std::string input = "tests/data/scenario.jsonl";
  if (!std::filesystem::exists(input)) {
    GTEST_SKIP() << input << " not written yet";
  }
  std::vector<v1::CallEvent> events;
  std::ifstream in(input);
  std::string line;
  while (std::getline(in, line)) {
    v1::CallEvent e;
    if (codec::ParseEventJson(line, &e).ok()) events.push_back(e);
  }
  ExpectKafkaEqualsReplay(events, input);
}

}  // namespace
}  // namespace callflow::pipeline::testing
