// callflow-bench: end-to-end throughput and latency of callflow
// (docs/PERFORMANCE.md). Each subcommand prints progress on stderr and, as
// the last line of stdout, one JSON object with its results. One subcommand
// per bench/<name>_bench.{h,cc}:
//
//   callflow-bench engine  --events N        the rules engine alone
//   callflow-bench e2e     --events N --callers C
//                          raw librdkafka consume vs the full pipeline over
//                          the same messages in the librdkafka mock cluster
//   callflow-bench latency --rate R           steady load: event -> committed
//                          latency and EMERGENCY alert latency
//   callflow-bench rss     --events N --callers C
//                          peak RSS of `callflow run` as its own process
//                          over a backlog, against its memory budget
//   callflow-bench restore --callers C        changelog restore vs a bare
//                          consumer
//   callflow-bench ingest  --calls N          queue_log ingest to Kafka

#include "CLI/CLI.hpp"
#include "bench/e2e_bench.h"
#include "bench/engine_bench.h"
#include "bench/ingest_bench.h"
#include "bench/latency_bench.h"
#include "bench/restore_bench.h"
#include "bench/rss_bench.h"

int main(int argc, char** argv) {
  using namespace callflow::bench;
  CLI::App app{
      "callflow-bench: throughput and latency of callflow. Progress goes to "
      "stderr; the last line of stdout is one JSON object with the results."};
  app.require_subcommand(1);

  // The subcommands, in --help order.
  EngineArgs engine;
  CLI::App* e = AddEngineCommand(app, engine);
  E2eArgs e2e;
  CLI::App* x = AddE2eCommand(app, e2e);
  LatencyArgs latency;
  CLI::App* l = AddLatencyCommand(app, latency);
  RssArgs rss;
  CLI::App* m = AddRssCommand(app, rss);
  RestoreArgs restore;
  CLI::App* r = AddRestoreCommand(app, restore);
  IngestArgs ingest;
  CLI::App* i = AddIngestBench(app, &ingest);

  CLI11_PARSE(app, argc, argv);
  if (e->parsed()) return RunEngine(engine);
  if (x->parsed()) return RunE2e(e2e);
  if (l->parsed()) return RunLatency(latency);
  if (m->parsed()) return RunRss(rss);
  if (r->parsed()) return RunRestore(restore);
  if (i->parsed()) return RunIngestBench(ingest);
  return 1;
}
