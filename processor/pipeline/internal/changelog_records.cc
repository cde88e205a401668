#include "processor/pipeline/internal/changelog_records.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace callflow::pipeline {

std::string EncodeOwner(uint64_t owner) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>((owner >> (56 - 8 * i)) & 0xFF);
  }
  return out;
}

std::optional<uint64_t> OwnerOf(RdKafka::Message& message) {
  // The C API reads the header in place (the C++ one copies every header).
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message.c_ptr(), &headers) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::nullopt;
  }
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, kOwnerHeader.data(), &value, &size) !=
          RD_KAFKA_RESP_ERR_NO_ERROR ||
      size != 8) {
    return std::nullopt;
  }
  const auto* bytes = static_cast<const unsigned char*>(value);
  uint64_t owner = 0;
  for (int i = 0; i < 8; ++i) owner = (owner << 8) | bytes[i];
  return owner;
}

uint64_t NewOwnerToken() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t token = 0;
  while (token == 0) token = rng();
  return token;
}

std::string OwnerKey(uint64_t owner) {
  return std::string(kOwnerKeyPrefix) + absl::StrFormat("%016x", owner);
}

std::string CycleKey(uint64_t owner) {
  return std::string(kCycleKeyPrefix) + absl::StrFormat("%016x", owner);
}

bool IsCycleKey(std::string_view key) {
  return key == kLegacyCycleKey || key.starts_with(kCycleKeyPrefix);
}

}  // namespace callflow::pipeline
