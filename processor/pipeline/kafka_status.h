#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace RdKafka {
class Conf;
class Error;
}  // namespace RdKafka

namespace callflow::pipeline {

// librdkafka properties ([kafka] in the config), passed through verbatim.
using KafkaProperties = std::map<std::string, std::string>;

// Converts a librdkafka error code (RdKafka::ErrorCode as int) to a Status;
// OK for ERR_NO_ERROR. `what` names the failed operation.
absl::Status KafkaStatus(int error_code, absl::string_view what);

// Same for an RdKafka::Error object (takes ownership and deletes it; null is
// OK).
absl::Status KafkaStatus(RdKafka::Error* error, absl::string_view what);

// Which kind of client a configuration is for.
enum class KafkaClient { kConsumer, kProducer };

// Prefixes of role-scoped properties in KafkaProperties: `[kafka.consumer]`
// and `[kafka.producer]` in the config (flattened with dots), or
// CALLFLOW_KAFKA_CONSUMER_<PROP> / CALLFLOW_KAFKA_PRODUCER_<PROP>.
inline constexpr absl::string_view kConsumerPrefix = "consumer.";
inline constexpr absl::string_view kProducerPrefix = "producer.";

// A global RdKafka::Conf for a `client`: `defaults` first, then the
// operator's `overrides` on top: their unscoped properties (`[kafka]`, for
// every client), then those scoped to this kind of client, prefix removed
// (`[kafka.consumer]` or `[kafka.producer]`, which win over `[kafka]`).
// Properties scoped to the other kind are left out, so a consumer-only
// property never reaches a producer (librdkafka would warn about it at
// every start). An unknown property or bad value is InvalidArgument
// naming it.
absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(
    KafkaClient client, const KafkaProperties& defaults,
    const KafkaProperties& overrides);

}  // namespace callflow::pipeline
