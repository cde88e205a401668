#pragma once

#include <atomic>
#include <chrono>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "processor/ingest/event_sink.h"
#include "processor/ingest/future_check.h"
#include "processor/ingest/ingest_counts.h"
#include "processor/ingest/ingest_metrics.h"
#include "processor/ingest/ingest_options.h"
#include "processor/pipeline/kafka_status.h"

namespace callflow::ingest {

// What `callflow ingest --from-topic` reads and how. A plain value;
// thread-compatible.
struct TopicIngestOptions {
  // The raw topic. Required.
  std::string topic;
  // The consumer group. Default "callflow-ingest".
  std::string group_id = "callflow-ingest";
  // Format of the records' values. Default kCallEvent (protobuf or JSON).
  Format format = Format::kCallEvent;
  // Flush the sink and commit the group's offsets this often. Default 1s.
  std::chrono::milliseconds commit_every{1000};
  // The FUTURE check (the wall clock). Default: none.
  FutureCheck future;
};

// Consumes the raw topic in its consumer group until `stop`, merges its
// partitions in event-time order (PartitionMerger, [ingest] max_idle),
// converts each record (CallEvent protobuf or JSON, or a queue_log line)
// and writes it to `sink`. Offsets are committed only for records whose
// output the sink acknowledged; records still in the merge are read again
// after a restart (their event ids are deterministic). Malformed records
// go to the sink's DLQ and never stop the run; an error for a sink that
// cannot deliver or a consumer that cannot start. `metrics` may be null.
absl::StatusOr<IngestCounts> RunTopicIngest(
    const TopicIngestOptions& options, const IngestOptions& ingest,
    const pipeline::KafkaProperties& kafka, EventSink& sink,
    const std::atomic<bool>& stop, IngestMetrics* metrics, std::ostream& log);

}  // namespace callflow::ingest
