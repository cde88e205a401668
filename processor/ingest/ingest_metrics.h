#pragma once

#include "processor/ingest/ingest_counts.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace callflow::ingest {

// `callflow ingest`'s Prometheus series (follow and topic mode):
//   callflow_ingest_lines_total              lines / records read
//   callflow_ingest_events_total             CallEvents written
//   callflow_ingest_skipped_total{reason}    ignored|orphan|malformed
//   callflow_ingest_evicted_calls_total      calls forgotten at the bound
//   callflow_ingest_future_events_total      events dropped as FUTURE
//   callflow_ingest_open_calls               calls in progress now
//   callflow_ingest_merge_buffered_records   records waiting in the merge
// The run publishes its counts at each checkpoint (no per-line cost).
//
// Lifecycle: construct once, Publish from the run's thread; must outlive
// every scrape of `registry`. Thread-safe (prometheus-cpp's metrics are).
class IngestMetrics {
 public:
  explicit IngestMetrics(prometheus::Registry& registry);
  IngestMetrics(const IngestMetrics&) = delete;
  IngestMetrics& operator=(const IngestMetrics&) = delete;

  void Publish(const IngestCounts& counts, size_t open_calls,
               size_t merge_buffered);

 private:
  prometheus::Counter& lines_;
  prometheus::Counter& events_;
  prometheus::Counter& ignored_;
  prometheus::Counter& orphans_;
  prometheus::Counter& malformed_;
  prometheus::Counter& evicted_;
  prometheus::Counter& future_;
  prometheus::Gauge& open_calls_;
  prometheus::Gauge& buffered_;
  IngestCounts published_;
};

}  // namespace callflow::ingest
