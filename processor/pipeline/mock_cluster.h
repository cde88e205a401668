#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "processor/pipeline/pipeline_options.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace callflow::pipeline {

// librdkafka's in-process mock Kafka cluster (rdkafka_mock.h): real brokers
// speaking the Kafka protocol on loopback, used by `callflow demo` and the
// integration tests. Its limits: ~5 MiB of log
// per partition, no transactions, rebalances take ~session.timeout.ms.
//
// Lifecycle: Start, CreateTopic, hand bootstraps() to clients (also to other
// processes on this host), destroy after every client is gone.
// Thread-safe (librdkafka serializes access internally).
class MockCluster {
 public:
  static absl::StatusOr<std::unique_ptr<MockCluster>> Start(int brokers);
  ~MockCluster();

  absl::Status CreateTopic(const std::string& topic, int partitions,
                           int replication_factor = 1);
  // The callflow topics (events, tasks, alerts, contacts, dlq).
  absl::Status CreateTopics(const std::vector<std::string>& topics,
                            int partitions);

  // Every topic a callflow group needs: events, the four outputs and the
  // changelog with `partitions` partitions, the lines topic with one.
  absl::Status CreateCallflowTopics(const Topics& topics, int partitions);

  // "host:port,host:port,..." of the brokers.
  std::string bootstraps() const;

  // Fault injection: the next `errors.size()` requests of the Kafka protocol
  // type `api_key` (0 = Produce) to any broker fail with those error codes
  // (rd_kafka_resp_err_t values), in order.
  void PushRequestErrors(int16_t api_key, const std::vector<int>& errors);
  // Forgets the errors still pushed for `api_key`.
  void ClearRequestErrors(int16_t api_key);

  // Broker ids run from 1 to the number of brokers; -1 means all of them.
  // Closes the broker's connections and refuses new ones (its partitions
  // keep their leader: clients wait for it to come back).
  absl::Status SetBrokerDown(int32_t broker_id);
  // Accepts connections again.
  absl::Status SetBrokerUp(int32_t broker_id);
  // Delays every response of the broker by `rtt_ms` (0: none).
  absl::Status SetBrokerRtt(int32_t broker_id, int rtt_ms);
  // As PushRequestErrors, for the requests to broker `broker_id` only.
  void PushBrokerRequestErrors(int32_t broker_id, int16_t api_key,
                               const std::vector<int>& errors);
  // Answers the next `api_key` request to broker `broker_id` normally, but
  // only after `delay_ms` (e.g. a coordinator slow to complete a rebalance).
  void DelayNextResponse(int32_t broker_id, int16_t api_key, int delay_ms);
  // Makes `broker_id` the coordinator of consumer group `group`.
  absl::Status SetGroupCoordinator(const std::string& group, int32_t broker_id);
  // Moves the leadership of `topic`'s `partition` to `broker_id` (its log
  // stays): clients sending to the old leader get NOT_LEADER_OR_FOLLOWER and
  // look the new one up.
  absl::Status SetPartitionLeader(const std::string& topic, int32_t partition,
                                  int32_t broker_id);

 private:
  MockCluster() = default;
  rd_kafka_s* handle_ = nullptr;  // the client instance hosting the cluster
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
};

}  // namespace callflow::pipeline
