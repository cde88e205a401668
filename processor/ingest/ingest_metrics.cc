#include "processor/ingest/ingest_metrics.h"

#include "prometheus/family.h"

namespace callflow::ingest {
namespace {

prometheus::Family<prometheus::Counter>& Counters(
    prometheus::Registry& registry, const std::string& name,
    const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

prometheus::Gauge& OneGauge(prometheus::Registry& registry,
                            const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add(
      {});
}

void Advance(prometheus::Counter& counter, uint64_t now, uint64_t before) {
  if (now > before) counter.Increment(static_cast<double>(now - before));
}

}  // namespace

IngestMetrics::IngestMetrics(prometheus::Registry& registry)
    : lines_(Counters(registry, "callflow_ingest_lines_total",
                      "Input lines (or raw records) read by callflow ingest")
                 .Add({})),
      events_(Counters(registry, "callflow_ingest_events_total",
                       "CallEvents written by callflow ingest")
                  .Add({})),
      ignored_(Counters(registry, "callflow_ingest_skipped_total",
                        "Input lines that gave no CallEvent, by reason")
                   .Add({{"reason", "ignored"}})),
      orphans_(Counters(registry, "callflow_ingest_skipped_total",
                        "Input lines that gave no CallEvent, by reason")
                   .Add({{"reason", "orphan"}})),
      malformed_(Counters(registry, "callflow_ingest_skipped_total",
                          "Input lines that gave no CallEvent, by reason")
                     .Add({{"reason", "malformed"}})),
      evicted_(Counters(registry, "callflow_ingest_evicted_calls_total",
                        "Open calls forgotten at the memory bound (their "
                        "later lines become orphans)")
                   .Add({})),
      future_(Counters(registry, "callflow_ingest_future_events_total",
                       "CallEvents not written because their occurred_at was "
                       "more than max_future_skew ahead of the wall clock "
                       "(dead-lettered with reason FUTURE)")
                  .Add({})),
      open_calls_(OneGauge(registry, "callflow_ingest_open_calls",
                           "Calls in progress whose caller callflow ingest "
                           "remembers (lost on a restart)")),
      buffered_(OneGauge(registry, "callflow_ingest_merge_buffered_records",
                         "Raw records waiting in the event-time merge")) {}

void IngestMetrics::Publish(const IngestCounts& c, size_t open_calls,
                            size_t merge_buffered) {
  Advance(lines_, c.lines, published_.lines);
  Advance(events_, c.events, published_.events);
  Advance(ignored_, c.ignored, published_.ignored);
  Advance(orphans_, c.orphans, published_.orphans);
  Advance(malformed_, c.malformed, published_.malformed);
  Advance(evicted_, c.evicted, published_.evicted);
  Advance(future_, c.future, published_.future);
  published_ = c;
  open_calls_.Set(static_cast<double>(open_calls));
  buffered_.Set(static_cast<double>(merge_buffered));
}

}  // namespace callflow::ingest
