// Outside-client feeds on the mock cluster: a raw topic written by kcat
// without keys, or keyed by the dialled line's number, goes through
// `callflow ingest --format callevent --from-topic` into the events topic;
// the processor's outputs then equal `callflow replay` of the same events.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "processor/codec/codec.h"
#include "processor/rules/time.h"
#include "tests/processor/ingest/ingest_test_util.h"
#include "tests/processor/pipeline/pipeline_test_util.h"

namespace callflow::ingest::testing {
namespace {

using namespace pipeline::testing;  // NOLINT: the test toolkit
using pipeline::KafkaProperties;
using pipeline::MockCluster;
using pipeline::PipelineConfig;
using pipeline::Topics;

constexpr int kRawPartitions = 4;
// Bad records among the good ones: not JSON, and no event_id.
const char* const kBadRecords[] = {
    "this is not a CallEvent",
    R"({"occurred_at":"2025-12-01T00:00:00Z","call_id":"c","direction":"INBOUND","started":{}})",
};

enum class Keying { kNone, kLineNumber };

// Writes `events` (and kBadRecords) to `topic` with kcat, one record per
// line, keyed as `keying` says.
void KcatProduce(const std::string& brokers, const std::string& topic,
                 const std::vector<v1::CallEvent>& events, Keying keying,
                 const std::string& dir) {
  const std::string file = dir + "/raw.txt";
  {
    std::ofstream out(file);
    std::map<std::string, std::string> line_numbers;
    for (size_t i = 0; i < events.size(); ++i) {
      if (i == events.size() / 3) out << "none\t" << kBadRecords[0] << "\n";
      if (i == events.size() / 2) out << "none\t" << kBadRecords[1] << "\n";
      if (keying == Keying::kLineNumber) {
        auto [it, fresh] = line_numbers.emplace(
            events[i].line(),
            absl::StrCat("+7495000", 1000 + line_numbers.size()));
        out << it->second << "\t";
      }
      out << codec::ToJson(events[i]) << "\n";
    }
  }
  // Without keys, the bad records' "none\t" prefix is part of the value,
  // which keeps them undecodable either way.
  const std::string cmd = absl::StrCat(
      "kcat -P -b ", brokers, " -t ", topic,
      keying == Keying::kLineNumber ? " -K '\t'" : "", " -l ", file, " 2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  std::string output;
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) output.append(buf, n);
  ASSERT_EQ(pclose(p), 0) << cmd << ": " << output;
}

std::string WriteConfig(const std::string& dir, const KafkaProperties& kafka,
                        const Topics& topics) {
  const std::string path = dir + "/callflow.toml";
  std::ofstream out(path);
  out << "[topics]\nevents = \"" << topics.events << "\"\ndlq = \""
      << topics.dlq << "\"\n[kafka]\n";
  for (const auto& [k, v] : kafka) out << "\"" << k << "\" = \"" << v << "\"\n";
  return path;
}

// Simulated traffic with no two events at the same instant. The simulator
// writes, e.g., a caller's ContactUpdated and the call's started at one
// instant; once a producer spreads them over partitions, no one can tell
// their order again (the merge breaks ties by partition, docs/INGEST.md),
// so a tie moves 1 ms later, for the oracle and the feed alike.
std::vector<v1::CallEvent> DistinctTimes(std::vector<v1::CallEvent> events) {
  for (size_t i = 1; i < events.size(); ++i) {
    const int64_t prev = rules::FromProto(events[i - 1].occurred_at());
    if (rules::FromProto(events[i].occurred_at()) <= prev) {
      rules::ToProto(prev + rules::kSecond / 1000,
                     events[i].mutable_occurred_at());
    }
  }
  return events;
}

void ExpectIngestedFeedEqualsReplay(Keying keying) {
  TempDir dir;
  const auto events =
      DistinctTimes(SimulatedEvents(400, keying == Keying::kNone ? 5 : 6));
  const std::string input = dir.path() + "/input.jsonl";
  WriteJsonl(events, input);
  const Outputs expected = ReplayOutputs(input, dir.path() + "/replay");
  ASSERT_FALSE(expected.tasks.empty());

  auto cluster = MockCluster::Start(3);
  ASSERT_TRUE(cluster.ok());
  const std::string brokers = (*cluster)->bootstraps();
  const KafkaProperties kafka = MockKafka(**cluster);
  ASSERT_TRUE((*cluster)->CreateTopic("raw", kRawPartitions).ok());
  // One events partition: the processor sees replay's order and watermark.
  const Topics topics = MakeTopics(**cluster, "", 1);
  KcatProduce(brokers, "raw", events, keying, dir.path());
  const int64_t raw_records =
      static_cast<int64_t>(events.size() + std::size(kBadRecords));
  ASSERT_EQ(EndOffsets(kafka, "raw", kRawPartitions), raw_records);

  CallflowChild ingest(
      {"ingest", "--format", "callevent", "--from-topic", "raw", "--config",
       WriteConfig(dir.path(), kafka, topics)},
      dir.path() + "/ingest.log");
  const auto guard = std::chrono::seconds(120);
  EXPECT_TRUE(WaitFor(
      [&] {
        return GroupCommitted(kafka, "callflow-ingest", "raw",
                              kRawPartitions) == raw_records;
      },
      guard))
      << ingest.Log();
  EXPECT_EQ(ingest.Stop(SIGTERM), 0) << ingest.Log();
  const std::string log = ingest.Log();
  EXPECT_NE(log.find(absl::StrCat(raw_records, " lines read, ", events.size(),
                                  " events written, 0 ignored, 0 orphans, 2 "
                                  "malformed")),
            std::string::npos)
      << log;
  ASSERT_EQ(EndOffsets(kafka, topics.events, 1),
            static_cast<int64_t>(events.size()));

  PipelineConfig config = TestConfig(topics, kafka);
  PipelineThread pipeline(dir.path() + "/state", config);
  ASSERT_TRUE(
      WaitCommitted(pipeline.stats(), static_cast<int64_t>(events.size())));
  ASSERT_TRUE(pipeline.Stop().ok());
  const Outputs got = ReadOutputs(kafka, topics);
  EXPECT_EQ(got.tasks, expected.tasks);
  EXPECT_EQ(got.alerts, expected.alerts);
  EXPECT_EQ(got.contacts, expected.contacts);

  // The two bad records are in the DLQ, named by where they came from.
  std::vector<v1::DeadLetter> dead;
  for (const KcatRecord& r : KcatRead(brokers, topics.dlq)) {
    v1::DeadLetter dl;
    ASSERT_TRUE(dl.ParseFromString(r.value));
    if (dl.source_topic() == "raw") dead.push_back(dl);
  }
  ASSERT_EQ(dead.size(), 2u);
  for (const auto& dl : dead) {
    EXPECT_GE(dl.partition(), 0);
    EXPECT_NE(dl.error().find("offset"), std::string::npos) << dl.error();
  }
}

TEST(IngestTopicTest, UnkeyedFeedThroughIngestEqualsReplay) {
  ExpectIngestedFeedEqualsReplay(Keying::kNone);
}

TEST(IngestTopicTest, FeedKeyedByLineNumberThroughIngestEqualsReplay) {
  ExpectIngestedFeedEqualsReplay(Keying::kLineNumber);
}

}  // namespace
}  // namespace callflow::ingest::testing
