// `callflow ingest`: a PBX's own log or a badly keyed feed -> keyed
// CallEvents in a JSONL file or the events topic (docs/RULES.md §9).
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "processor/app/commands.h"
#include "processor/ingest/async_event_sink.h"
#include "processor/ingest/callevent_adapter.h"
#include "processor/ingest/file_ingest.h"
#include "processor/ingest/ingest_metrics.h"
#include "processor/ingest/jsonl_event_sink.h"
#include "processor/ingest/kafka_event_sink.h"
#include "processor/ingest/queue_log_adapter.h"
#include "processor/ingest/topic_ingest.h"
#include "processor/metrics/metrics_server.h"
#include "processor/pipeline/stop_signals.h"

namespace callflow::app {
namespace {

struct IngestFlags {
  std::string format;
  std::string input;
  bool follow = false;
  std::string position_file;
  std::string from_topic;
  std::string out;
  std::string brokers;
  std::string topic;
  std::string config;
  std::string metrics_address;
  std::string timeout = "30s";
  std::string now;
};

// The flag combinations the synopsis in docs/RULES.md §9 allows; "" when fine.
std::string CheckFlags(const IngestFlags& f) {
  if (f.input.empty() == f.from_topic.empty()) {
    return "give exactly one input: --input PATH|- or --from-topic TOPIC";
  }
  if (f.follow && (f.input.empty() || f.input == "-")) {
    return "--follow needs --input FILE (a file that is appended to; stdin "
           "is read to its end anyway)";
  }
  if (!f.position_file.empty() && (f.input.empty() || f.input == "-")) {
    return "--position-file needs --input FILE (a topic keeps its position "
           "in the consumer group)";
  }
  if (!f.metrics_address.empty() && !f.follow && f.from_topic.empty()) {
    return "--metrics-address serves metrics while ingest runs: use it with "
           "--follow or --from-topic";
  }
  if (!f.now.empty() && (f.follow || !f.from_topic.empty())) {
    return "--now is the reference time of a file read to its end; "
           "--follow and --from-topic check against the wall clock";
  }
  if (!f.topic.empty() && !f.out.empty()) {
    return "--topic names the events topic to produce to; it does not go "
           "with --out";
  }
  return "";
}

// Whether paths `a` and `b` name one file: the same inode when both exist
// (links, symlinks), else the same normalized path.
bool SameFile(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

// The files the flags name, before any is opened: the output opened over the
// input would truncate it (a PBX's live queue_log), and a position file that
// cannot be written would be found only at the end, after the events went
// out. "" when fine.
std::string CheckFiles(const IngestFlags& f) {
  const bool input_file = !f.input.empty() && f.input != "-";
  const bool out_file = !f.out.empty() && f.out != "-";
  if (input_file && out_file && SameFile(f.input, f.out)) {
    return absl::StrCat("--out is the --input file (", f.out,
                        "): writing it would destroy the input; give "
                        "another --out");
  }
  if (f.position_file.empty()) return "";
  if (input_file && SameFile(f.input, f.position_file)) {
    return absl::StrCat("--position-file is the --input file (",
                        f.position_file, "); give a file of its own");
  }
  if (out_file && SameFile(f.out, f.position_file)) {
    return absl::StrCat("--position-file is the --out file (", f.position_file,
                        "); give a file of its own");
  }
  std::filesystem::path dir =
      std::filesystem::path(f.position_file).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::StrCat("the directory of --position-file (", dir.string(),
                        ") does not exist; create it first");
  }
  return "";
}

int RunIngestCommand(const IngestFlags& flags) {
  // Before any thread starts: SIGINT/SIGTERM become a clean stop.
  std::atomic<bool> stop{false};
  pipeline::StopSignals signals([&stop] { stop = true; });
  if (std::string bad = CheckFlags(flags); !bad.empty()) return Fail(bad, 2);
  if (std::string bad = CheckFiles(flags); !bad.empty()) return Fail(bad, 2);
  auto config = LoadCommandConfig(flags.config);
  if (!config.ok()) return Fail(config.status());
  auto timeout = ParsePositiveDuration("--timeout", flags.timeout);
  if (!timeout.ok()) return Fail(timeout.status(), 2);
  const std::chrono::milliseconds timeout_ms = *timeout;
  pipeline::KafkaProperties kafka = config->kafka;
  if (!flags.brokers.empty()) kafka["bootstrap.servers"] = flags.brokers;
  const bool have_brokers = kafka.contains("bootstrap.servers");
  if (flags.out.empty() && !have_brokers) {
    return Fail(
        "no output: give --out FILE (CallEvent JSONL) or --brokers B (the "
        "events topic)",
        2);
  }
  if (!flags.from_topic.empty() && !have_brokers) {
    return Fail(
        "--from-topic needs --brokers B (or [kafka] "
        "bootstrap.servers in the config)",
        2);
  }

  // The FUTURE check of docs/RULES.md §6: live input against the wall clock, a
  // file read to its end against --now (none without it, like replay).
  ingest::FutureCheck future;
  if (flags.follow || !flags.from_topic.empty()) {
    future = ingest::FutureCheck::WallClock(config->engine.max_future_skew);
  } else if (!flags.now.empty()) {
    auto now = ParseTimeFlag("--now", flags.now);
    if (!now.ok()) return Fail(now.status(), 2);
    future = ingest::FutureCheck::At(*now, config->engine.max_future_skew);
  }

  // An input that cannot be read fails before the output is opened, which
  // would truncate a previous --out for nothing.
  if (!flags.input.empty() && flags.input != "-") {
    // With --follow a log that does not exist yet is waited for (tail -F).
    if (access(flags.input.c_str(), R_OK) != 0 &&
        !(flags.follow && errno == ENOENT)) {
      return Fail(absl::StrCat("cannot open ", flags.input, ": ",
                               std::strerror(errno)));
    }
    if (std::error_code ec; std::filesystem::is_directory(flags.input, ec)) {
      return Fail(absl::StrCat("cannot open ", flags.input,
                               ": it is a directory; give the log file"));
    }
  }
  std::unique_ptr<ingest::EventSink> sink;
  if (!flags.out.empty()) {
    auto file =
        ingest::JsonlEventSink::Open(flags.out, !flags.position_file.empty());
    if (!file.ok()) return Fail(file.status());
    sink = *std::move(file);
  } else {
    // librdkafka fails a record it could not deliver in this time, so
    // unreachable brokers end the command instead of hanging it.
    pipeline::KafkaProperties produce = kafka;
    produce["message.timeout.ms"] = absl::StrCat(timeout_ms.count());
    auto kafka_sink = ingest::KafkaEventSink::Create(
        config->engine, produce,
        flags.topic.empty() ? config->topics.events : flags.topic,
        config->topics.dlq, timeout_ms + std::chrono::seconds(10));
    if (!kafka_sink.ok()) return Fail(kafka_sink.status());
    sink = *std::move(kafka_sink);
  }

  // Keying, encoding and producing run on their own thread.
  sink = std::make_unique<ingest::AsyncEventSink>(std::move(sink));

  std::unique_ptr<metrics::MetricsServer> server;
  std::unique_ptr<ingest::IngestMetrics> ingest_metrics;
  if (!flags.metrics_address.empty()) {
    auto started = metrics::MetricsServer::Start(flags.metrics_address);
    if (!started.ok()) return Fail(started.status());
    server = *std::move(started);
    ingest_metrics =
        std::make_unique<ingest::IngestMetrics>(server->registry());
    std::cerr << "ingest: metrics at http://" << flags.metrics_address
              << "/metrics\n";
  }

  const ingest::Format format = flags.format == "callevent"
                                    ? ingest::Format::kCallEvent
                                    : ingest::Format::kAsteriskQueueLog;
  std::cerr << "ingest: reading "
            << (flags.from_topic.empty() ? flags.input
                                         : "topic " + flags.from_topic)
            << ", writing "
            << (flags.out.empty() ? "to the events topic" : flags.out)
            << std::endl;
  absl::StatusOr<ingest::IngestCounts> counts;
  if (!flags.from_topic.empty()) {
    ingest::TopicIngestOptions options;
    options.topic = flags.from_topic;
    options.format = format;
    options.future = future;
    counts = ingest::RunTopicIngest(options, config->ingest, kafka, *sink, stop,
                                    ingest_metrics.get(), std::cerr);
  } else {
    ingest::FileIngestOptions options;
    options.input = flags.input;
    options.follow = flags.follow;
    options.position_file = flags.position_file;
    options.future = future;
    std::unique_ptr<ingest::LineAdapter> adapter;
    if (format == ingest::Format::kCallEvent) {
      adapter = std::make_unique<ingest::CallEventAdapter>();
    } else {
      adapter = std::make_unique<ingest::QueueLogAdapter>(config->ingest);
    }
    counts = ingest::RunFileIngest(options, *adapter, *sink, stop,
                                   ingest_metrics.get(), std::cerr);
  }
  if (!counts.ok()) return Fail(counts.status());
  std::cerr << counts->Summary() << std::endl;
  return 0;
}

}  // namespace

void AddIngestCommand(CLI::App& app, CommandRun& run) {
  auto flags = std::make_shared<IngestFlags>();
  CLI::App* cmd = app.add_subcommand(
      "ingest",
      "Turn a PBX's own log (Asterisk queue_log) or a CallEvent feed keyed "
      "anyhow into CallEvents keyed by the normalized caller: a JSONL file "
      "for `callflow replay` (--out) or the events topic for `callflow run` "
      "(--brokers). Lines it cannot map are counted (ignored, orphan, "
      "malformed) and never stop it; malformed ones are reported with their "
      "line number and, in Kafka mode, sent to the DLQ topic. Prints a "
      "summary on stderr at exit; SIGINT/SIGTERM stop it cleanly.");
  cmd->add_option("--format", flags->format,
                  "input format: asterisk-queue-log (Asterisk's "
                  "/var/log/asterisk/queue_log) or callevent (CallEvent JSON "
                  "per line; from a topic, protobuf or JSON payloads)")
      ->required()
      ->check(CLI::IsMember({"asterisk-queue-log", "callevent"}));
  cmd->add_option("--input", flags->input,
                  "read this file, or - for stdin (one of --input and "
                  "--from-topic)");
  cmd->add_flag("--follow", flags->follow,
                "keep reading what is appended to --input FILE, across log "
                "rotation (rename + create, or copytruncate), like tail -F, "
                "until SIGINT/SIGTERM; a FILE that does not exist yet is "
                "waited for");
  cmd->add_option("--position-file", flags->position_file,
                  "save here where --input FILE was read to (inode and "
                  "offset, after the output is flushed or acknowledged) and "
                  "resume there on the next start; --out is then appended "
                  "to");
  cmd->add_option("--from-topic", flags->from_topic,
                  "consume this raw topic in consumer group callflow-ingest "
                  "(keys and partitions anything), merging its partitions in "
                  "event-time order ([ingest] max_idle); offsets are "
                  "committed after the output is acknowledged");
  cmd->add_option("--out", flags->out,
                  "write CallEvent JSONL here (- for stdout), the input of "
                  "`callflow replay`");
  cmd->add_option("--brokers", flags->brokers,
                  "Kafka bootstrap servers host:port[,...]: the events topic "
                  "is written here as protobuf keyed by the normalized caller "
                  "(murmur2 partitioning) unless --out is given; "
                  "--from-topic reads here");
  cmd->add_option("--topic", flags->topic,
                  "events topic to produce to (default: [topics] events of "
                  "the config, callflow.events)");
  cmd->add_option("--metrics-address", flags->metrics_address,
                  "serve Prometheus metrics at http://HOST:PORT/metrics "
                  "(with --follow or --from-topic)");
  cmd->add_option("--timeout", flags->timeout,
                  "give up on an event the brokers have not acknowledged "
                  "after this long and exit non-zero; e.g. 30s (default 30s)");
  cmd->add_option("--now", flags->now,
                  "reference time of the FUTURE check for a file read to its "
                  "end (RFC 3339, e.g. 2024-05-01T18:00:00Z): an event more "
                  "than max_future_skew after it is not written but counted, "
                  "reported and, in Kafka mode, sent to the DLQ with reason "
                  "FUTURE; --follow and --from-topic use the wall clock");
  AddConfigFlag(*cmd, &flags->config);
  cmd->callback(
      [flags, &run] { run = [flags] { return RunIngestCommand(*flags); }; });
}

}  // namespace callflow::app
