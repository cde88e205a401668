#include "bench/kafka_clients.h"

#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "processor/pipeline/topic_partition_list.h"

namespace callflow::bench {
namespace {

// Queue limits of the bench's clients: large, so that neither the producer
// nor a consumer's prefetch throttles a throughput measurement.
constexpr char kBatchMessages[] = "10000";
constexpr char kQueueMessages[] = "1000000";
constexpr char kQueueKbytes[] = "1048576";  // 1 GiB

std::unique_ptr<RdKafka::Conf> KafkaConf(
    const std::vector<std::pair<std::string, std::string>>& props) {
  std::unique_ptr<RdKafka::Conf> conf(
      RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : props) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      Progress("kafka property {}={}: {}", k, v, err);
      std::exit(2);
    }
  }
  return conf;
}

// Takes ownership of a librdkafka client, or exits naming what failed.
template <typename Client>
std::unique_ptr<Client> OrExit(Client* client, const char* what,
                               const std::string& err) {
  if (client == nullptr) {
    Progress("{}: {}", what, err);
    std::exit(2);
  }
  return std::unique_ptr<Client>(client);
}

}  // namespace

std::unique_ptr<RdKafka::Producer> MakeProducer(
    const std::string& brokers, const std::string& linger_ms,
    const std::string& compression) {
  auto conf = KafkaConf({{"bootstrap.servers", brokers},
                         {"linger.ms", linger_ms},
                         {"compression.type", compression},
                         {"batch.num.messages", kBatchMessages},
                         {"queue.buffering.max.messages", kQueueMessages},
                         {"queue.buffering.max.kbytes", kQueueKbytes}});
  std::string err;
  RdKafka::Producer* p = RdKafka::Producer::create(conf.get(), err);
  return OrExit(p, "producer", err);
}

void ProduceOne(RdKafka::Producer& producer, const std::string& topic,
                int32_t partition, const std::string& key,
                const std::string& payload) {
  // How long to serve delivery reports while the queue is full.
  constexpr int kQueueFullPollMs = 1;
  while (true) {
    RdKafka::ErrorCode err =
        producer.produce(topic, partition, RdKafka::Producer::RK_MSG_COPY,
                         const_cast<char*>(payload.data()), payload.size(),
                         key.data(), key.size(), 0, nullptr);
    if (err == RdKafka::ERR_NO_ERROR) break;
    if (err != RdKafka::ERR__QUEUE_FULL) {
      Progress("produce: {}", RdKafka::err2str(err));
      std::exit(2);
    }
    producer.poll(kQueueFullPollMs);
  }
  producer.poll(0);
}

std::unique_ptr<RdKafka::KafkaConsumer> MakeConsumer(const std::string& brokers,
                                                     const std::string& group,
                                                     int fetch_wait_ms) {
  std::vector<std::pair<std::string, std::string>> props = {
      {"bootstrap.servers", brokers},
      {"group.id", group},
      {"enable.auto.commit", "false"},
      {"auto.offset.reset", "earliest"},
      {"queued.min.messages", kQueueMessages},
      {"queued.max.messages.kbytes", kQueueKbytes}};
  if (fetch_wait_ms > 0) {
    props.emplace_back("fetch.wait.max.ms", absl::StrCat(fetch_wait_ms));
  }
  auto conf = KafkaConf(props);
  std::string err;
  RdKafka::KafkaConsumer* c = RdKafka::KafkaConsumer::create(conf.get(), err);
  return OrExit(c, "consumer", err);
}

void AssignAll(RdKafka::KafkaConsumer& consumer, const std::string& topic,
               int partitions, int64_t offset) {
  pipeline::TopicPartitionList tps;
  for (int p = 0; p < partitions; ++p) tps.Add(topic, p, offset);
  consumer.assign(tps.get());
}

}  // namespace callflow::bench
