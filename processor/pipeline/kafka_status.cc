#include "processor/pipeline/kafka_status.h"

#include <librdkafka/rdkafkacpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace callflow::pipeline {
namespace {

absl::StatusCode CodeFor(RdKafka::ErrorCode code) {
  switch (code) {
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR_REQUEST_TIMED_OUT:
      return absl::StatusCode::kDeadlineExceeded;
    case RdKafka::ERR__INVALID_ARG:
    case RdKafka::ERR__UNKNOWN_TOPIC:
    case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
    case RdKafka::ERR__UNKNOWN_PARTITION:
      return absl::StatusCode::kInvalidArgument;
    case RdKafka::ERR__QUEUE_FULL:
      return absl::StatusCode::kResourceExhausted;
    case RdKafka::ERR__FATAL:
      return absl::StatusCode::kInternal;
    default:
      return absl::StatusCode::kUnavailable;
  }
}

}  // namespace

absl::Status KafkaStatus(int error_code, absl::string_view what) {
  auto code = static_cast<RdKafka::ErrorCode>(error_code);
  if (code == RdKafka::ERR_NO_ERROR) return absl::OkStatus();
  return absl::Status(CodeFor(code),
                      absl::StrCat(what, ": ", RdKafka::err2str(code)));
}

absl::Status KafkaStatus(RdKafka::Error* error, absl::string_view what) {
  if (error == nullptr) return absl::OkStatus();
  std::unique_ptr<RdKafka::Error> owned(error);
  return absl::Status(CodeFor(error->code()),
                      absl::StrCat(what, ": ", error->str()));
}

absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(
    KafkaClient client, const KafkaProperties& defaults,
    const KafkaProperties& overrides) {
  std::unique_ptr<RdKafka::Conf> conf(
      RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  auto set = [&](const std::string& key, const std::string& value,
                 absl::string_view shown) -> absl::Status {
    std::string err;
    if (conf->set(key, value, err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(
          absl::StrCat("kafka property '", shown, "': ", err));
    }
    return absl::OkStatus();
  };
  const absl::string_view mine =
      client == KafkaClient::kConsumer ? kConsumerPrefix : kProducerPrefix;
  auto scoped = [](absl::string_view key) {
    return absl::StartsWith(key, kConsumerPrefix) ||
           absl::StartsWith(key, kProducerPrefix);
  };
  for (const KafkaProperties* props : {&defaults, &overrides}) {
    for (const auto& [key, value] : *props) {
      if (scoped(key)) continue;
      if (absl::Status s = set(key, value, key); !s.ok()) return s;
    }
  }
  for (const auto& [key, value] : overrides) {
    if (!absl::StartsWith(key, mine)) continue;
    if (absl::Status s = set(key.substr(mine.size()), value, key); !s.ok()) {
      return s;
    }
  }
  return conf;
}

}  // namespace callflow::pipeline
