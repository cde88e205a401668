#include "bench/ingest_bench.h"

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "processor/ingest/async_event_sink.h"
#include "processor/ingest/file_ingest.h"
#include "processor/ingest/kafka_event_sink.h"
#include "processor/ingest/queue_log_adapter.h"
#include "processor/pipeline/mock_cluster.h"
#include "processor/rules/options.h"
#include "processor/util/temp_dir.h"

namespace callflow::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A queue_log of `calls` calls, one starting every second, in the shapes a
// call center's log has: answered and completed (with a RINGNOANSWER first
// now and then), transferred, abandoned, timed out; agent PAUSE lines.
// Returns the number of lines.
uint64_t WriteQueueLog(const IngestArgs& args, const std::string& path) {
  std::mt19937_64 rng(args.seed);
  std::ofstream out(path);
  uint64_t lines = 0;
  const int64_t start = 1764547200;
  std::string buf;
  for (uint64_t i = 0; i < args.calls; ++i) {
    const int64_t t = start + static_cast<int64_t>(i);
    const std::string callid = absl::StrCat(t, ".", i);
    const char* queue = (i % 3 == 0) ? "sales" : "support";
    const uint64_t caller = 9000000000ULL + rng() % args.callers;
    absl::StrAppend(&buf, t, "|", callid, "|", queue, "|NONE|ENTERQUEUE||8",
                    caller, "|1\n");
    ++lines;
    const int shape = static_cast<int>(rng() % 10);
    if (shape < 6) {
      if (shape == 0) {
        absl::StrAppend(&buf, t + 5, "|", callid, "|", queue,
                        "|SIP/1001|RINGNOANSWER|5000\n");
        ++lines;
      }
      absl::StrAppend(&buf, t + 10, "|", callid, "|", queue,
                      "|SIP/1002|CONNECT|10|", callid, "1|2\n");
      absl::StrAppend(&buf, t + 100, "|", callid, "|", queue,
                      shape == 5 ? "|SIP/1002|TRANSFER|200|default|10|90|1\n"
                                 : "|SIP/1002|COMPLETECALLER|10|90|1\n");
      lines += 2;
    } else if (shape < 9) {
      absl::StrAppend(&buf, t + 30, "|", callid, "|", queue,
                      "|NONE|ABANDON|1|1|30\n");
      ++lines;
    } else {
      absl::StrAppend(&buf, t + 300, "|", callid, "|", queue,
                      "|NONE|EXITWITHTIMEOUT|1|1|300\n");
      ++lines;
    }
    if (i % 50 == 0) {
      absl::StrAppend(&buf, t, "|NONE|", queue, "|SIP/1001|PAUSE||\n");
      ++lines;
    }
    if (buf.size() > (1 << 20)) {
      out << buf;
      buf.clear();
    }
  }
  out << buf;
  return lines;
}

}  // namespace

CLI::App* AddIngestBench(CLI::App& app, IngestArgs* args) {
  auto* i = app.add_subcommand(
      "ingest",
      "Convert a generated Asterisk queue_log to the events topic on the "
      "mock cluster (callflow ingest --brokers); lines/s until acknowledged");
  i->add_option("--calls", args->calls,
                "Calls in the generated log (~4 lines each)")
      ->capture_default_str();
  i->add_option("--callers", args->callers, "Distinct caller numbers")
      ->capture_default_str();
  i->add_option("--partitions", args->partitions, "Events topic partitions")
      ->capture_default_str();
  i->add_option("--seed", args->seed, "Generator seed")->capture_default_str();
  return i;
}

int RunIngestBench(const IngestArgs& args) {
  util::TempDir dir = util::TempDir::CreateOrDie("callflow-bench-ingest");
  const std::string log = dir.path() + "/queue_log";
  const uint64_t lines = WriteQueueLog(args, log);
  Progress("wrote {} queue_log lines", lines);

  // The adapter alone (parse + map), no output.
  ingest::IngestOptions options;
  double adapter_s = 0;
  {
    std::ifstream in(log);
    std::string line;
    std::vector<v1::CallEvent> out;
    ingest::QueueLogAdapter adapter(options);
    const auto start = Clock::now();
    while (std::getline(in, line)) {
      out.clear();
      adapter.Convert(line, &out);
    }
    adapter_s = SecondsSince(start);
  }

  auto cluster = pipeline::MockCluster::Start(1);
  if (!cluster.ok()) return Fail(std::string(cluster.status().message()));
  const std::string topic = "callflow.events";
  if (absl::Status s = (*cluster)->CreateTopic(topic, args.partitions);
      !s.ok()) {
    return Fail(std::string(s.message()));
  }
  const rules::EngineOptions engine;
  auto sink = ingest::KafkaEventSink::Create(
      engine, {{"bootstrap.servers", (*cluster)->bootstraps()}}, topic,
      "callflow.dlq", std::chrono::seconds(120));
  if (!sink.ok()) return Fail(std::string(sink.status().message()));
  ingest::QueueLogAdapter adapter(options);
  ingest::FileIngestOptions file;
  file.input = log;
  std::atomic<bool> stop{false};
  std::ostringstream errors;
  const auto start = Clock::now();
  const double cpu_start = ProcessCpuSeconds();
  ingest::AsyncEventSink async(*std::move(sink));  // as the command does
  auto counts = ingest::RunFileIngest(file, adapter, async, stop, nullptr,
                                      errors);  // ends after the last ack
  const double seconds = SecondsSince(start);
  // All threads: the reader, the producer's, librdkafka's and the mock
  // broker's (which a real deployment runs elsewhere).
  const double cpu = ProcessCpuSeconds() - cpu_start;
  if (!counts.ok()) return Fail(std::string(counts.status().message()));
  Progress("{}", counts->Summary());
  std::cout << JsonLine()
                   .Int("lines", static_cast<int64_t>(counts->lines))
                   .Int("events", static_cast<int64_t>(counts->events))
                   .Num("seconds", seconds)
                   .Num("lines_per_s", counts->lines / seconds)
                   .Num("events_per_s", counts->events / seconds)
                   .Num("cpu_s", cpu)
                   .Num("lines_per_cpu_s", counts->lines / cpu)
                   .Num("adapter_lines_per_s", lines / adapter_s)
                   .Int("partitions", args.partitions)
                   .Num("peak_rss_mb", PeakRssMb())
                   .ToString()
            << std::endl;
  return 0;
}

}  // namespace callflow::bench
