// `callflow produce`: loads CallEvent JSONL into the events topic
// (docs/RULES.md §8).
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "processor/app/commands.h"
#include "processor/codec/codec.h"
#include "processor/pipeline/event_producer.h"

namespace callflow::app {
namespace {

struct ProduceFlags {
  std::string config;
  std::string brokers;
  std::string input;
  std::string topic;
  std::string timeout = "30s";
};

int RunProduceCommand(const ProduceFlags& flags) {
  auto config = LoadCommandConfig(flags.config);
  if (!config.ok()) return Fail(config.status());
  auto timeout = ParsePositiveDuration("--timeout", flags.timeout);
  if (!timeout.ok()) return Fail(timeout.status(), 2);
  const std::chrono::milliseconds timeout_ms = *timeout;
  pipeline::KafkaProperties kafka = config->kafka;
  kafka["bootstrap.servers"] = flags.brokers;
  // librdkafka fails a record it could not deliver in this time, so
  // unreachable brokers end the command instead of hanging it.
  kafka["message.timeout.ms"] = absl::StrCat(timeout_ms.count());
  const std::string topic =
      flags.topic.empty() ? config->topics.events : flags.topic;
  auto producer = pipeline::EventProducer::Create(config->engine, kafka, topic);
  if (!producer.ok()) return Fail(producer.status());

  std::ifstream in(flags.input);
  if (!in) return Fail(absl::StrCat("cannot read ", flags.input));
  std::string line;
  v1::CallEvent event;
  uint64_t line_no = 0, sent = 0, malformed = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1) codec::EraseByteOrderMark(line);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    absl::Status parsed = codec::ParseEventJson(line, &event);
    if (!parsed.ok()) {
      ++malformed;
      std::cerr << flags.input << ":" << line_no
                << ": not sent: " << parsed.message() << "\n";
      continue;
    }
    absl::Status s = (*producer)->Send(event);
    if (!s.ok()) return Fail(s);
    ++sent;
  }
  // Every record has its report by message.timeout.ms; the margin covers
  // the reports' way back.
  absl::Status acked =
      (*producer)->WaitAcknowledged(timeout_ms + std::chrono::seconds(10));
  if (!acked.ok()) {
    return Fail(absl::StrCat("brokers ", flags.brokers, ", topic ", topic, ": ",
                             acked.message()));
  }
  std::cout << "produced " << sent << " events to " << topic << " ("
            << malformed << " malformed lines skipped)" << std::endl;
  return 0;
}

}  // namespace

void AddProduceCommand(CLI::App& app, CommandRun& run) {
  auto flags = std::make_shared<ProduceFlags>();
  CLI::App* cmd = app.add_subcommand(
      "produce",
      "Load CallEvent JSONL into the events topic as protobuf, keyed by the "
      "normalized caller (murmur2 partitioning, as Java producers do). Exits "
      "once every message is acknowledged; malformed lines are reported on "
      "stderr and not sent.");
  cmd->add_option("--brokers", flags->brokers,
                  "Kafka bootstrap servers, host:port[,host:port...]")
      ->required();
  cmd->add_option("--input", flags->input, "CallEvent JSONL file")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--topic", flags->topic,
                  "topic to write (default: [topics] events of the config, "
                  "callflow.events)");
  cmd->add_option("--timeout", flags->timeout,
                  "give up on a record the brokers have not acknowledged "
                  "after this long (librdkafka message.timeout.ms) and exit "
                  "non-zero; e.g. 30s, 2m (default 30s)");
  AddConfigFlag(*cmd, &flags->config);
  cmd->callback(
      [flags, &run] { run = [flags] { return RunProduceCommand(*flags); }; });
}

}  // namespace callflow::app
