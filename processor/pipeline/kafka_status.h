#pragma once

#include <map>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

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

// A global RdKafka::Conf with `defaults` applied first and `overrides` on top
// (so the operator's [kafka] section wins). An unknown property or bad value
// is InvalidArgument naming it.
absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(
    const KafkaProperties& defaults, const KafkaProperties& overrides);

}  // namespace callflow::pipeline
