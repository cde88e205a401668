#include "processor/pipeline/mock_cluster.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "absl/strings/str_cat.h"
#include "processor/pipeline/kafka_status.h"

namespace callflow::pipeline {

absl::StatusOr<std::unique_ptr<MockCluster>> MockCluster::Start(int brokers) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The hosting instance never talks to a broker: keep it quiet.
  if (rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err)) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(err);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(absl::StrCat("mock cluster host: ", err));
  }
  std::unique_ptr<MockCluster> mc(new MockCluster());
  mc->handle_ = rk;
  mc->cluster_ = rd_kafka_mock_cluster_new(rk, brokers);
  if (mc->cluster_ == nullptr) {
    return absl::InternalError("rd_kafka_mock_cluster_new failed");
  }
  return mc;
}

MockCluster::~MockCluster() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  if (handle_ != nullptr) rd_kafka_destroy(handle_);
}

absl::Status MockCluster::CreateTopic(const std::string& topic, int partitions,
                                      int replication_factor) {
  return KafkaStatus(rd_kafka_mock_topic_create(cluster_, topic.c_str(),
                                                partitions, replication_factor),
                     absl::StrCat("create topic ", topic));
}

absl::Status MockCluster::CreateCallflowTopics(const Topics& topics,
                                               int partitions) {
  absl::Status s = CreateTopics({topics.events, topics.tasks, topics.alerts,
                                 topics.contacts, topics.dlq, topics.changelog},
                                partitions);
  if (s.ok()) s = CreateTopic(topics.lines, 1);
  return s;
}

absl::Status MockCluster::CreateTopics(const std::vector<std::string>& topics,
                                       int partitions) {
  for (const std::string& t : topics) {
    absl::Status s = CreateTopic(t, partitions);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

void MockCluster::PushRequestErrors(int16_t api_key,
                                    const std::vector<int>& errors) {
  std::vector<rd_kafka_resp_err_t> codes;
  codes.reserve(errors.size());
  for (int e : errors) codes.push_back(static_cast<rd_kafka_resp_err_t>(e));
  rd_kafka_mock_push_request_errors_array(cluster_, api_key, codes.size(),
                                          codes.data());
}

void MockCluster::ClearRequestErrors(int16_t api_key) {
  rd_kafka_mock_clear_request_errors(cluster_, api_key);
}

absl::Status MockCluster::SetBrokerDown(int32_t broker_id) {
  return KafkaStatus(rd_kafka_mock_broker_set_down(cluster_, broker_id),
                     absl::StrCat("set broker ", broker_id, " down"));
}

absl::Status MockCluster::SetBrokerUp(int32_t broker_id) {
  return KafkaStatus(rd_kafka_mock_broker_set_up(cluster_, broker_id),
                     absl::StrCat("set broker ", broker_id, " up"));
}

absl::Status MockCluster::SetBrokerRtt(int32_t broker_id, int rtt_ms) {
  return KafkaStatus(rd_kafka_mock_broker_set_rtt(cluster_, broker_id, rtt_ms),
                     absl::StrCat("set broker ", broker_id, " rtt"));
}

void MockCluster::PushBrokerRequestErrors(int32_t broker_id, int16_t api_key,
                                          const std::vector<int>& errors) {
  for (int error : errors) {
    rd_kafka_mock_broker_push_request_error_rtts(
        cluster_, broker_id, api_key, 1,
        static_cast<rd_kafka_resp_err_t>(error), 0);
  }
}

void MockCluster::DelayNextResponse(int32_t broker_id, int16_t api_key,
                                    int delay_ms) {
  rd_kafka_mock_broker_push_request_error_rtts(
      cluster_, broker_id, api_key, 1, RD_KAFKA_RESP_ERR_NO_ERROR, delay_ms);
}

absl::Status MockCluster::SetGroupCoordinator(const std::string& group,
                                              int32_t broker_id) {
  return KafkaStatus(rd_kafka_mock_coordinator_set(cluster_, "group",
                                                   group.c_str(), broker_id),
                     absl::StrCat("set the coordinator of group ", group));
}

absl::Status MockCluster::SetPartitionLeader(const std::string& topic,
                                             int32_t partition,
                                             int32_t broker_id) {
  return KafkaStatus(rd_kafka_mock_partition_set_leader(cluster_, topic.c_str(),
                                                        partition, broker_id),
                     absl::StrCat("move the leader of ", topic, "[", partition,
                                  "] to broker ", broker_id));
}

std::string MockCluster::bootstraps() const {
  return rd_kafka_mock_cluster_bootstraps(cluster_);
}

}  // namespace callflow::pipeline
