// Outside-client feeds on the mock cluster: a raw topic written by kcat
// without keys, or keyed by the dialled line's number, goes through
// `callflow ingest --format callevent --from-topic` into the events topic;
// the processor's outputs then equal `callflow replay` of the same events.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "processor/codec/codec.h"
#include "processor/rules/stable_hash.h"
#include "processor/rules/time.h"
#include "tests/processor/ingest/ingest_test_util.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::ingest::testing {
namespace {

using ::callflow_testing::IsOk;
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

// Runs `kcat -P ... -l file` with `flags`; a test failure when it fails.
void Kcat(const std::string& brokers, const std::string& topic,
          const std::string& flags, const std::string& file) {
  const std::string cmd = absl::StrCat("kcat -P -b ", brokers, " -t ", topic,
                                       " ", flags, " -l ", file, " 2>&1");
  const ShellResult r = RunShell(cmd);
  ASSERT_EQ(r.exit_code, 0) << cmd << ": " << r.out;
}

// How many partitions of `topic` hold records (read with kcat).
int PartitionsUsed(const std::string& brokers, const std::string& topic) {
  std::set<int32_t> used;
  for (const KcatRecord& r : KcatRead(brokers, topic)) used.insert(r.partition);
  return static_cast<int>(used.size());
}

// Writes `lines` to `topic` without keys, round-robin over its partitions
// (librdkafka's own choice for keyless records sticks to one partition for
// a while, which can leave a small feed on one partition).
void KcatRoundRobin(const std::string& brokers, const std::string& topic,
                    const std::vector<std::string>& lines,
                    const std::string& dir) {
  for (int p = 0; p < kRawPartitions; ++p) {
    const std::string file = absl::StrCat(dir, "/raw.", p);
    {
      std::ofstream out(file);
      for (size_t i = p; i < lines.size(); i += kRawPartitions) {
        out << lines[i] << "\n";
      }
    }
    Kcat(brokers, topic, absl::StrCat("-p ", p), file);
  }
}

// A 3-broker mock cluster whose topic "raw" holds `records`, written
// round-robin without keys, and the callflow topics (events: one
// partition). A plain value.
struct RawFeed {
  std::unique_ptr<MockCluster> cluster;
  std::string brokers;
  KafkaProperties kafka;
  Topics topics;
};

void StartRawFeed(const std::vector<std::string>& records,
                  const std::string& dir, RawFeed* feed) {
  auto cluster = MockCluster::Start(3);
  ASSERT_THAT(cluster, IsOk());
  feed->cluster = *std::move(cluster);
  feed->brokers = feed->cluster->bootstraps();
  feed->kafka = MockKafka(*feed->cluster);
  ASSERT_THAT(feed->cluster->CreateTopic("raw", kRawPartitions), IsOk());
  KcatRoundRobin(feed->brokers, "raw", records, dir);
  feed->topics = MakeTopics(*feed->cluster, "", 1);
}

// Writes `events` (and kBadRecords) to `topic` with kcat, one record per
// line: without keys, round-robin over the partitions, or keyed by a number
// per line (librdkafka's default partitioner).
void KcatProduce(const std::string& brokers, const std::string& topic,
                 const std::vector<v1::CallEvent>& events, Keying keying,
                 const std::string& dir) {
  std::vector<std::string> records;
  for (size_t i = 0; i < events.size(); ++i) {
    if (i == events.size() / 3) records.push_back(kBadRecords[0]);
    if (i == events.size() / 2) records.push_back(kBadRecords[1]);
    records.push_back(codec::ToJson(events[i]));
  }
  if (keying == Keying::kNone) {
    KcatRoundRobin(brokers, topic, records, dir);
    return;
  }
  const std::string file = dir + "/raw.keyed";
  {
    std::ofstream out(file);
    std::map<std::string, std::string> line_numbers;
    for (const std::string& record : records) {
      v1::CallEvent e;
      std::string key = "none";
      if (codec::ParseEventJson(record, &e).ok()) {
        auto [it, fresh] = line_numbers.emplace(
            e.line(), absl::StrCat("+7495000", 1000 + line_numbers.size()));
        key = it->second;
      }
      out << key << "\t" << record << "\n";
    }
  }
  Kcat(brokers, topic, "-K '\\t'", file);
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
  ASSERT_THAT(cluster, IsOk());
  const std::string brokers = (*cluster)->bootstraps();
  const KafkaProperties kafka = MockKafka(**cluster);
  ASSERT_THAT((*cluster)->CreateTopic("raw", kRawPartitions), IsOk());
  // One events partition: the processor sees replay's order and watermark.
  const Topics topics = MakeTopics(**cluster, "", 1);
  KcatProduce(brokers, "raw", events, keying, dir.path());
  const int64_t raw_records =
      static_cast<int64_t>(events.size() + std::size(kBadRecords));
  ASSERT_EQ(EndOffsets(kafka, "raw", kRawPartitions), raw_records);
  // Either way one caller's events are spread over the partitions (the
  // simulator's four lines hash to at least two).
  EXPECT_GE(PartitionsUsed(brokers, "raw"),
            keying == Keying::kNone ? kRawPartitions : 2);

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
  ASSERT_THAT(pipeline.Stop(), IsOk());
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

// The backfill path: a queue_log file to the events topic. Keys are the
// normalized callers, malformed lines are dead letters naming their line.
TEST(IngestTopicTest, QueueLogFileToTheEventsTopicAndTheDlq) {
  TempDir dir;
  auto cluster = MockCluster::Start(3);
  ASSERT_THAT(cluster, IsOk());
  const std::string brokers = (*cluster)->bootstraps();
  const KafkaProperties kafka = MockKafka(**cluster);
  const Topics topics = MakeTopics(**cluster, "", kRawPartitions);
  const CommandResult r =
      RunCallflow({"ingest", "--format", "asterisk-queue-log", "--input",
                   "tests/data/ingest/all_verbs.queue_log", "--config",
                   WriteConfig(dir.path(), kafka, topics)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("40 events written"), std::string::npos) << r.err;
  std::map<std::string, int> by_key;
  for (const KcatRecord& rec : KcatRead(brokers, topics.events)) {
    v1::CallEvent e;
    ASSERT_TRUE(e.ParseFromString(rec.value));
    ++by_key[rec.key];
    if (e.call_id() == "1764547200.1") {
      EXPECT_EQ(e.caller(), "84951234567");  // as the PBX wrote it
      EXPECT_EQ(rec.key, "+74951234567");    // keyed normalized
    }
  }
  EXPECT_EQ(by_key["+74951234567"], 4);  // started, queued, answered, ended
  EXPECT_EQ(by_key["+74951110008"], 6);  // both visits of the re-queued call
  std::vector<std::string> errors;
  for (const KcatRecord& rec : KcatRead(brokers, topics.dlq)) {
    v1::DeadLetter dl;
    ASSERT_TRUE(dl.ParseFromString(rec.value));
    EXPECT_EQ(dl.source_topic(), "tests/data/ingest/all_verbs.queue_log");
    EXPECT_EQ(dl.partition(), -1);
    errors.push_back(absl::StrCat(dl.offset(), " ", dl.error()));
  }
  ASSERT_EQ(errors.size(), 4u);
  std::sort(errors.begin(), errors.end());
  EXPECT_EQ(errors[0].substr(0, 11), "33 line 33:") << errors[0];
  EXPECT_EQ(errors[3].substr(0, 11), "37 line 37:") << errors[3];
}

// Found by hand: a crash left 1.5 MB of NUL bytes in the log. That one
// malformed line made a dead letter the broker refused (message too large),
// ingest stopped with exit 1, and every restart stopped on it again. Its
// dead letter now carries the line's first 64 KiB (with the size and hash),
// the lines after it get through, and each dead letter has its reason.
TEST(IngestTopicTest, AMegabyteBadLineIsDeadLetteredCutAndIngestGoesOn) {
  TempDir dir;
  auto cluster = MockCluster::Start(3);
  ASSERT_THAT(cluster, IsOk());
  const std::string brokers = (*cluster)->bootstraps();
  const Topics topics = MakeTopics(**cluster, "", kRawPartitions);
  const std::string input = dir.path() + "/queue_log";
  {
    std::ofstream out(input, std::ios::binary);
    out << "1764547400|n1|support|NONE|ENTERQUEUE||+74951237777|1\n"
        << std::string(1500000, '\0') << "\n"
        << "1764547500|n2|support|NONE|ENTERQUEUE||+74951236666|1\n"
        << "1764547600|NONE|support|NONE|ENTERQUEUE||+74951235555|1\n";
  }
  const CommandResult r = RunCallflow(
      {"ingest", "--format", "asterisk-queue-log", "--input", input, "--config",
       WriteConfig(dir.path(), MockKafka(**cluster), topics)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> keys;
  for (const KcatRecord& rec : KcatRead(brokers, topics.events)) {
    keys.insert(rec.key);
  }
  EXPECT_EQ(keys, (std::set<std::string>{"+74951237777", "+74951236666"}));
  std::map<int64_t, v1::DeadLetter> letters;
  for (const KcatRecord& rec : KcatRead(brokers, topics.dlq)) {
    v1::DeadLetter dl;
    ASSERT_TRUE(dl.ParseFromString(rec.value));
    letters[dl.offset()] = dl;
  }
  ASSERT_EQ(letters.size(), 2u);
  const v1::DeadLetter& nuls = letters[2];
  EXPECT_EQ(nuls.reason(), v1::DeadLetter::UNDECODABLE);
  EXPECT_TRUE(nuls.payload_truncated());
  // Longer than ingest reads: the whole line's size and hash all the same.
  EXPECT_EQ(nuls.payload_size(), 1500000u);
  EXPECT_EQ(nuls.payload_fnv1a(),
            rules::StableHash(std::string(1500000, '\0')));
  EXPECT_EQ(nuls.payload().size(), 64u * 1024);
  EXPECT_EQ(letters[4].reason(), v1::DeadLetter::MISSING_FIELD)
      << letters[4].error();
  EXPECT_FALSE(letters[4].payload_truncated());
}

// A clean stop commits what was produced; the next run starts there: every
// event once, none lost, none repeated.
TEST(IngestTopicTest, RestartResumesFromTheCommittedOffsets) {
  TempDir dir;
  const auto events = DistinctTimes(SimulatedEvents(200, 7));
  std::vector<std::string> first, second;
  for (size_t i = 0; i < events.size(); ++i) {
    (i < events.size() / 2 ? first : second)
        .push_back(codec::ToJson(events[i]));
  }
  auto cluster = MockCluster::Start(3);
  ASSERT_THAT(cluster, IsOk());
  const std::string brokers = (*cluster)->bootstraps();
  const KafkaProperties kafka = MockKafka(**cluster);
  ASSERT_THAT((*cluster)->CreateTopic("raw", kRawPartitions), IsOk());
  const Topics topics = MakeTopics(**cluster, "", 1);
  const std::string config = WriteConfig(dir.path(), kafka, topics);
  auto run_until_committed = [&](int64_t total, const std::string& log) {
    CallflowChild ingest({"ingest", "--format", "callevent", "--from-topic",
                          "raw", "--config", config},
                         log);
    EXPECT_TRUE(WaitFor(
        [&] {
          return GroupCommitted(kafka, "callflow-ingest", "raw",
                                kRawPartitions) == total;
        },
        std::chrono::seconds(120)))
        << ingest.Log();
    EXPECT_EQ(ingest.Stop(SIGTERM), 0) << ingest.Log();
  };
  KcatRoundRobin(brokers, "raw", first, dir.path());
  run_until_committed(static_cast<int64_t>(first.size()),
                      dir.path() + "/first.log");
  KcatRoundRobin(brokers, "raw", second, dir.path());
  run_until_committed(static_cast<int64_t>(events.size()),
                      dir.path() + "/second.log");

  std::multiset<std::string> ids;
  for (const KcatRecord& r : KcatRead(brokers, topics.events)) {
    v1::CallEvent e;
    ASSERT_TRUE(e.ParseFromString(r.value));
    ids.insert(e.event_id());
  }
  std::multiset<std::string> expected;
  for (const auto& e : events) expected.insert(e.event_id());
  EXPECT_EQ(ids, expected);
}

// queue_log lines spread over partitions by a producer without keys: read
// partition by partition, a CONNECT would come before its ENTERQUEUE (an
// orphan); merged in event-time order, the output equals the file's.
TEST(IngestTopicTest, UnkeyedQueueLogLinesAreMergedInEventTimeOrder) {
  TempDir dir;
  const std::string fixture = "tests/data/ingest/all_verbs.queue_log";
  const std::string reference = dir.path() + "/reference.jsonl";
  ASSERT_EQ(RunCallflow({"ingest", "--format", "asterisk-queue-log", "--input",
                         fixture, "--out", reference})
                .exit_code,
            0);
  auto cluster = MockCluster::Start(3);
  ASSERT_THAT(cluster, IsOk());
  const std::string brokers = (*cluster)->bootstraps();
  const KafkaProperties kafka = MockKafka(**cluster);
  ASSERT_THAT((*cluster)->CreateTopic("raw", kRawPartitions), IsOk());
  KcatRoundRobin(brokers, "raw", ReadLines(fixture), dir.path());
  const int64_t lines = static_cast<int64_t>(ReadLines(fixture).size());
  ASSERT_EQ(EndOffsets(kafka, "raw", kRawPartitions), lines);
  ASSERT_EQ(PartitionsUsed(brokers, "raw"), kRawPartitions);
  const Topics topics = MakeTopics(**cluster, "", 1);
  const std::string out = dir.path() + "/events.jsonl";
  CallflowChild ingest(
      {"ingest", "--format", "asterisk-queue-log", "--from-topic", "raw",
       "--out", out, "--config", WriteConfig(dir.path(), kafka, topics)},
      dir.path() + "/ingest.log");
  EXPECT_TRUE(WaitFor(
      [&] {
        return GroupCommitted(kafka, "callflow-ingest", "raw",
                              kRawPartitions) == lines;
      },
      std::chrono::seconds(120)))
      << ingest.Log();
  EXPECT_EQ(ingest.Stop(SIGTERM), 0) << ingest.Log();
  EXPECT_NE(ingest.Log().find("41 lines read, 40 events written, 7 ignored, "
                              "2 orphans, 4 malformed"),
            std::string::npos)
      << ingest.Log();
  EXPECT_EQ(ReadLines(out), ReadLines(reference));
}

// One call's events written to one raw partition out of order (ended,
// answered, started): they reach the events topic in event-time order, as
// the merge hands out the smallest buffered event first.
TEST(IngestTopicTest, FromTopicOneCallOutOfOrderInOnePartitionComesOutInOrder) {
  TempDir dir;
  std::vector<v1::CallEvent> call;
  for (const char* body : {"started", "answered", "ended"}) {
    v1::CallEvent e;
    e.set_event_id(absl::StrCat("r7-", body));
    rules::ToProto(absl::ToUnixNanos(absl::Now()) - rules::kHour +
                       static_cast<int64_t>(call.size()) * 20 * rules::kSecond,
                   e.mutable_occurred_at());
    e.set_call_id("r7");
    e.set_caller("+74951234567");
    e.set_line("sales");
    e.set_direction(v1::CallEvent::INBOUND);
    call.push_back(e);
  }
  call[0].mutable_started();
  call[1].mutable_answered()->set_agent_id("a1");
  call[2].mutable_ended()->set_reason(v1::CallEnded::COMPLETED);
  const std::string file = dir.path() + "/raw.0";
  {
    std::ofstream out(file);
    for (auto it = call.rbegin(); it != call.rend(); ++it) {
      out << codec::ToJson(*it) << "\n";
    }
  }
  auto cluster = MockCluster::Start(1);
  ASSERT_THAT(cluster, IsOk());
  const std::string brokers = (*cluster)->bootstraps();
  const KafkaProperties kafka = MockKafka(**cluster);
  ASSERT_THAT((*cluster)->CreateTopic("raw", 2), IsOk());
  Kcat(brokers, "raw", "-p 0", file);
  const Topics topics = MakeTopics(**cluster, "", 1);
  const std::string out = dir.path() + "/events.jsonl";
  CallflowChild ingest(
      {"ingest", "--format", "callevent", "--from-topic", "raw", "--out", out,
       "--config", WriteConfig(dir.path(), kafka, topics)},
      dir.path() + "/ingest.log");
  EXPECT_TRUE(WaitFor(
      [&] { return GroupCommitted(kafka, "callflow-ingest", "raw", 2) == 3; },
      std::chrono::seconds(60)))
      << ingest.Log();
  EXPECT_EQ(ingest.Stop(SIGTERM), 0) << ingest.Log();
  std::vector<std::string> ids;
  for (const std::string& line : ReadLines(out)) {
    v1::CallEvent e;
    ASSERT_THAT(codec::ParseEventJson(line, &e), IsOk()) << line;
    ids.push_back(e.event_id());
  }
  EXPECT_EQ(
      ids, (std::vector<std::string>{"r7-started", "r7-answered", "r7-ended"}));
}

// Every broker gone and then SIGTERM: ingest --from-topic still ends at once
// (`callflow run` did not: its consumer close waited for the coordinator).
TEST(IngestTopicTest, FromTopicAStopWhileEveryBrokerIsDownEnds) {
  TempDir dir;
  std::vector<std::string> records;
  for (const auto& e : DistinctTimes(SimulatedEvents(20, 9))) {
    records.push_back(codec::ToJson(e));
  }
  RawFeed feed;
  ASSERT_NO_FATAL_FAILURE(StartRawFeed(records, dir.path(), &feed));
  const KafkaProperties& kafka = feed.kafka;
  CallflowChild ingest(
      {"ingest", "--format", "callevent", "--from-topic", "raw", "--timeout",
       "3s", "--config", WriteConfig(dir.path(), kafka, feed.topics)},
      dir.path() + "/ingest.log");
  ASSERT_TRUE(WaitFor(
      [&] {
        return GroupCommitted(kafka, "callflow-ingest", "raw",
                              kRawPartitions) ==
               static_cast<int64_t>(records.size());
      },
      std::chrono::seconds(60)))
      << ingest.Log();
  for (int32_t broker = 1; broker <= 3; ++broker) {
    ASSERT_THAT(feed.cluster->SetBrokerDown(broker), IsOk());
  }
  const auto start = std::chrono::steady_clock::now();
  const int code = ingest.Stop(SIGTERM);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30))
      << ingest.Log();
  // Everything was acknowledged and committed before the outage.
  EXPECT_EQ(code, 0) << ingest.Log();
}

// docs/RULES.md §6 from a raw topic: the reference is the wall clock. An event
// a day ahead of it is not produced; it is a FUTURE dead letter, counted in the
// summary; the rest reach the events topic.
TEST(IngestTopicTest, FromTopicAnEventAheadOfTheWallClockIsAFutureDeadLetter) {
  TempDir dir;
  std::vector<v1::CallEvent> events = DistinctTimes(SimulatedEvents(20, 9));
  v1::CallEvent future = events.back();
  future.set_event_id("from-the-future");
  rules::ToProto(absl::ToUnixNanos(absl::Now()) + rules::kDay,
                 future.mutable_occurred_at());
  std::vector<std::string> records;
  for (const auto& e : events) records.push_back(codec::ToJson(e));
  records.insert(records.begin() + records.size() / 2, codec::ToJson(future));

  RawFeed feed;
  ASSERT_NO_FATAL_FAILURE(StartRawFeed(records, dir.path(), &feed));
  const std::string& brokers = feed.brokers;
  const KafkaProperties& kafka = feed.kafka;
  const Topics& topics = feed.topics;
  const int64_t raw_records = static_cast<int64_t>(records.size());
  CallflowChild ingest(
      {"ingest", "--format", "callevent", "--from-topic", "raw", "--config",
       WriteConfig(dir.path(), kafka, topics)},
      dir.path() + "/ingest.log");
  EXPECT_TRUE(WaitFor(
      [&] {
        return GroupCommitted(kafka, "callflow-ingest", "raw",
                              kRawPartitions) == raw_records;
      },
      std::chrono::seconds(120)))
      << ingest.Log();
  EXPECT_EQ(ingest.Stop(SIGTERM), 0) << ingest.Log();
  const std::string log = ingest.Log();
  EXPECT_NE(log.find(absl::StrCat(raw_records, " lines read, ", events.size(),
                                  " events written")),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("1 events from the future"), std::string::npos) << log;
  EXPECT_EQ(EndOffsets(kafka, topics.events, 1),
            static_cast<int64_t>(events.size()));
  std::vector<v1::DeadLetter> dead;
  for (const KcatRecord& r : KcatRead(brokers, topics.dlq)) {
    v1::DeadLetter dl;
    ASSERT_TRUE(dl.ParseFromString(r.value));
    dead.push_back(dl);
  }
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].reason(), v1::DeadLetter::FUTURE);
  EXPECT_EQ(dead[0].source_topic(), "raw");
  EXPECT_NE(dead[0].error().find("ahead of the wall clock"), std::string::npos)
      << dead[0].error();
  v1::CallEvent payload;
  ASSERT_TRUE(payload.ParseFromString(dead[0].payload()));
  EXPECT_EQ(payload.event_id(), "from-the-future");
}

}  // namespace
}  // namespace callflow::ingest::testing
