#include "tests/processor/pipeline/pipeline_test_util.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "processor/codec/codec.h"
#include "processor/pipeline/event_producer.h"
#include "processor/pipeline/topic_reader.h"
#include "processor/sim/traffic_simulator.h"

namespace callflow::pipeline::testing {

TempDir::TempDir() {
  std::string t =
      (std::filesystem::temp_directory_path() / "callflow-pipe-XXXXXX").string();
  EXPECT_NE(mkdtemp(t.data()), nullptr);
  path_ = t;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<v1::CallEvent> SimulatedEvents(uint64_t calls, uint64_t seed) {
  sim::SimulatorOptions options;
  options.seed = seed;
  options.max_calls = calls;
  sim::TrafficSimulator sim(options);
  std::vector<v1::CallEvent> events;
  v1::CallEvent e;
  while (sim.Next(&e)) events.push_back(e);
  return events;
}

void WriteJsonl(const std::vector<v1::CallEvent>& events,
                const std::string& path) {
  std::ofstream out(path);
  for (const auto& e : events) out << codec::ToJson(e) << "\n";
}

Topics MakeTopics(MockCluster& cluster, const std::string& prefix,
                  int partitions, const std::string& events) {
  Topics t;
  t.events = events;
  t.tasks = prefix + "tasks";
  t.alerts = prefix + "alerts";
  t.contacts = prefix + "contacts";
  t.dlq = prefix + "dlq";
  for (const std::string& name : {t.events, t.tasks, t.alerts, t.contacts,
                                  t.dlq}) {
    // Creating an existing topic fails harmlessly (shared events topic).
    cluster.CreateTopic(name, partitions).IgnoreError();
  }
  return t;
}

KafkaProperties MockKafka(const MockCluster& cluster) {
  return {{"bootstrap.servers", cluster.bootstraps()},
          {"session.timeout.ms", "6000"},
          {"heartbeat.interval.ms", "500"},
          {"log_level", "3"}};
}

void ProduceEvents(const KafkaProperties& kafka, const std::string& topic,
                   const std::vector<v1::CallEvent>& events) {
  rules::EngineOptions options;
  auto producer = EventProducer::Create(options, kafka, topic);
  ASSERT_TRUE(producer.ok()) << producer.status();
  for (const auto& e : events) ASSERT_TRUE((*producer)->Send(e).ok());
  ASSERT_TRUE((*producer)->WaitAcknowledged(std::chrono::seconds(60)).ok());
}

namespace {

template <typename Message>
void ReadJson(const KafkaProperties& kafka, const std::string& topic,
              std::multiset<std::string>* out) {
  auto reader = TopicReader::Open(kafka, topic);
  ASSERT_TRUE(reader.ok()) << reader.status();
  Message m;
  absl::Status s = (*reader)->ReadToEnd(
      [&](const TopicRecord& r) {
        ASSERT_TRUE(m.ParseFromString(r.value)) << topic;
        out->insert(codec::ToJson(m));
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(s.ok()) << s;
}

void ReadLines(const std::string& path, std::multiset<std::string>* out) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out->insert(line);
  }
}

}  // namespace

Outputs ReadOutputs(const KafkaProperties& kafka, const Topics& topics) {
  Outputs o;
  ReadJson<v1::Task>(kafka, topics.tasks, &o.tasks);
  ReadJson<v1::Alert>(kafka, topics.alerts, &o.alerts);
  ReadJson<v1::ContactContext>(kafka, topics.contacts, &o.contacts);
  auto reader = TopicReader::Open(kafka, topics.dlq);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (reader.ok()) {
    EXPECT_TRUE((*reader)
                    ->ReadToEnd(
                        [&](const TopicRecord& r) {
                          v1::DeadLetter d;
                          EXPECT_TRUE(d.ParseFromString(r.value));
                          o.dead_letters.push_back(d);
                        },
                        std::chrono::seconds(60))
                    .ok());
  }
  return o;
}

Outputs ReadReplayOutputs(const std::string& dir) {
  Outputs o;
  ReadLines(dir + "/tasks.jsonl", &o.tasks);
  ReadLines(dir + "/alerts.jsonl", &o.alerts);
  ReadLines(dir + "/contacts.jsonl", &o.contacts);
  return o;
}

std::set<std::string> Distinct(const std::multiset<std::string>& m) {
  return std::set<std::string>(m.begin(), m.end());
}

int64_t EndOffsets(const KafkaProperties& kafka, const std::string& topic,
                   int partitions) {
  auto conf = MakeKafkaConf({{"group.id", "callflow-test-offsets"}}, kafka);
  EXPECT_TRUE(conf.ok());
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> c(
      RdKafka::KafkaConsumer::create(conf->get(), err));
  int64_t total = 0;
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0, high = 0;
    EXPECT_EQ(c->query_watermark_offsets(topic, p, &low, &high, 10000),
              RdKafka::ERR_NO_ERROR);
    total += high;
  }
  c->close();
  return total;
}

bool WaitCommitted(const PipelineStats& stats, int64_t total,
                   std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int64_t sum = 0;
    for (const auto& p : stats.partitions) {
      sum += std::max<int64_t>(p.committed_offset.load(), 0);
    }
    if (sum >= total) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int64_t GroupCommitted(const KafkaProperties& kafka, const std::string& group,
                       const std::string& topic, int partitions) {
  auto conf = MakeKafkaConf({{"group.id", group}}, kafka);
  EXPECT_TRUE(conf.ok());
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> c(
      RdKafka::KafkaConsumer::create(conf->get(), err));
  std::vector<RdKafka::TopicPartition*> tps;
  for (int p = 0; p < partitions; ++p) {
    tps.push_back(RdKafka::TopicPartition::create(topic, p));
  }
  int64_t total = 0;
  if (c->committed(tps, 10000) == RdKafka::ERR_NO_ERROR) {
    for (auto* tp : tps) total += std::max<int64_t>(tp->offset(), 0);
  }
  for (auto* tp : tps) delete tp;
  c->close();
  return total;
}

}  // namespace callflow::pipeline::testing
