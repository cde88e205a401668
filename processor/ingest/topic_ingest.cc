#include "processor/ingest/topic_ingest.h"

#include <librdkafka/rdkafkacpp.h>

#include <memory>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "processor/ingest/callevent_adapter.h"
#include "processor/ingest/ingest_writer.h"
#include "processor/ingest/partition_merger.h"
#include "processor/ingest/queue_log_adapter.h"
#include "processor/pipeline/topic_partition_list.h"
#include "processor/rules/time.h"

namespace callflow::ingest {
namespace {

using Clock = PartitionMerger::Clock;
using TopicPartitions = std::vector<RdKafka::TopicPartition*>;

// Records taken from the consumer's queue before the merge runs.
constexpr int kMaxBatch = 10000;

// One consumer's run: the merge, the adapters and the commits.
class TopicRun : public RdKafka::RebalanceCb {
 public:
  TopicRun(const TopicIngestOptions& options, const IngestOptions& ingest,
           EventSink& sink, IngestMetrics* metrics, std::ostream& log)
      : options_(options),
        ingest_(ingest),
        merger_(std::chrono::nanoseconds(ingest.max_idle_ns)),
        queue_log_(ingest),
        writer_(sink, log, options.topic, options.future),
        metrics_(metrics),
        log_(log) {}

  absl::Status Run(const pipeline::KafkaProperties& kafka,
                   const std::atomic<bool>& stop);
  const IngestCounts& counts() { return writer_.counts(); }

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    TopicPartitions& partitions) override;

 private:
  absl::Status Consumed(const RdKafka::Message& m);
  absl::Status Forward(PartitionMerger::Record& r);
  absl::Status Commit();
  void Backpressure();

  const TopicIngestOptions& options_;
  const IngestOptions& ingest_;
  PartitionMerger merger_;
  CallEventAdapter callevents_;
  QueueLogAdapter queue_log_;
  IngestWriter writer_;
  IngestMetrics* metrics_;
  std::ostream& log_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::map<int32_t, int64_t> committed_;
  std::set<int32_t> paused_;
  absl::Status failed_;  // from a rebalance callback
  std::vector<v1::CallEvent> events_;
};

absl::Status TopicRun::Consumed(const RdKafka::Message& m) {
  const Clock::time_point now = Clock::now();
  std::string_view value(static_cast<const char*>(m.payload()), m.len());
  std::string_view key =
      m.key() != nullptr ? std::string_view(*m.key()) : std::string_view();
  PartitionMerger::Record r;
  r.partition = m.partition();
  r.offset = m.offset();
  events_.clear();
  LineResult result;
  if (options_.format == Format::kCallEvent) {
    result = callevents_.ConvertPayload(value, &events_);
    if (result.outcome == LineOutcome::kEvents) {
      r.time_ns = rules::FromProto(events_.front().occurred_at());
      r.event = std::move(events_.front());
    }
  } else if (std::optional<int64_t> t = QueueLogAdapter::EventTime(value)) {
    r.time_ns = *t;
    r.line = std::string(value);
    result.outcome = LineOutcome::kEvents;
  } else {
    result = queue_log_.Convert(value, &events_);  // malformed, ignored...
  }
  if (result.outcome != LineOutcome::kEvents) {
    merger_.Skip(r.partition, r.offset, now);
    return writer_.Handle(result, events_, value,
                          LineOrigin{r.partition, r.offset, key});
  }
  r.key = std::string(key);
  merger_.Push(std::move(r));
  return absl::OkStatus();
}

absl::Status TopicRun::Forward(PartitionMerger::Record& r) {
  const LineOrigin origin{r.partition, r.offset, r.key};
  events_.clear();
  if (options_.format == Format::kCallEvent) {
    events_.push_back(std::move(r.event));
    return writer_.Handle({LineOutcome::kEvents, ""}, events_, "", origin);
  }
  const LineResult result = queue_log_.Convert(r.line, &events_);
  return writer_.Handle(result, events_, r.line, origin);
}

absl::Status TopicRun::Commit() {
  writer_.counts().evicted = queue_log_.evicted();
  if (absl::Status s = writer_.sink().Flush(); !s.ok()) return s;
  if (metrics_ != nullptr) {
    metrics_->Publish(writer_.counts(), queue_log_.open_calls(),
                      merger_.TotalBuffered());
  }
  pipeline::TopicPartitionList tps;
  for (const auto& [p, offset] : merger_.CommitOffsets()) {
    auto it = committed_.find(p);
    if (it != committed_.end() && it->second == offset) continue;
    tps.Add(options_.topic, p, offset);
  }
  if (tps.empty()) return absl::OkStatus();
  const RdKafka::ErrorCode err = consumer_->commitSync(tps.get());
  if (err == RdKafka::ERR_NO_ERROR) {
    for (auto* tp : tps) committed_[tp->partition()] = tp->offset();
  } else {
    // Not fatal: the next cycle commits again (a repeat is harmless).
    log_ << "ingest: committing offsets of " << options_.topic
         << " failed: " << RdKafka::err2str(err) << "\n";
  }
  return absl::OkStatus();
}

void TopicRun::rebalance_cb(RdKafka::KafkaConsumer* consumer,
                            RdKafka::ErrorCode err,
                            TopicPartitions& partitions) {
  if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
    const Clock::time_point now = Clock::now();
    for (auto* tp : partitions) merger_.Assign(tp->partition(), now);
    consumer->assign(partitions);
    return;
  }
  // Revoked: what was forwarded is committed; what the merge still holds
  // is read again by the next owner.
  if (absl::Status s = Commit(); !s.ok() && failed_.ok()) failed_ = s;
  for (auto* tp : partitions) {
    merger_.Revoke(tp->partition());
    committed_.erase(tp->partition());
    paused_.erase(tp->partition());
  }
  consumer->unassign();
}

void TopicRun::Backpressure() {
  const size_t cap = ingest_.max_buffered_per_partition;
  for (const auto& [p, offset] : merger_.CommitOffsets()) {
    const size_t n = merger_.Buffered(p);
    const bool paused = paused_.count(p) > 0;
    if (paused == (n >= cap) || (paused && n >= cap / 2)) continue;
    pipeline::TopicPartitionList tps;
    tps.Add(options_.topic, p);
    if (paused) {
      consumer_->resume(tps.get());
      paused_.erase(p);
    } else {
      consumer_->pause(tps.get());
      paused_.insert(p);
    }
  }
}

absl::Status TopicRun::Run(const pipeline::KafkaProperties& kafka,
                           const std::atomic<bool>& stop) {
  // What the run relies on wins over the shared [kafka] section: its own
  // group, manual commits, end-of-partition events and the eager
  // assign/unassign of rebalance_cb.
  pipeline::KafkaProperties fixed = kafka;
  fixed["group.id"] = options_.group_id;
  fixed["enable.auto.commit"] = "false";
  fixed["enable.partition.eof"] = "true";
  fixed["partition.assignment.strategy"] = "range,roundrobin";
  auto conf = pipeline::MakeKafkaConf(
      pipeline::KafkaClient::kConsumer,
      {{"auto.offset.reset", "earliest"},
       // librdkafka pauses fetching for 1 s past these: keep them high.
       {"queued.min.messages", "1000000"},
       {"queued.max.messages.kbytes", "1048576"}},
      fixed);
  if (!conf.ok()) return conf.status();
  std::string err;
  if ((*conf)->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this),
                   err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(err);
  }
  consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (consumer_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("kafka consumer: ", err));
  }
  absl::Status status = pipeline::KafkaStatus(
      consumer_->subscribe({options_.topic}), "subscribe " + options_.topic);
  Clock::time_point last_commit = Clock::now();
  while (status.ok() && failed_.ok() && !stop.load()) {
    // Everything already fetched enters the merge before anything leaves
    // it, so records of one partition that came out of order are put back
    // in order too.
    for (int i = 0; i < kMaxBatch && status.ok(); ++i) {
      std::unique_ptr<RdKafka::Message> m(consumer_->consume(i == 0 ? 100 : 0));
      if (m->err() == RdKafka::ERR__TIMED_OUT) break;
      switch (m->err()) {
        case RdKafka::ERR_NO_ERROR:
          status = Consumed(*m);
          break;
        case RdKafka::ERR__PARTITION_EOF:
          merger_.MarkEnd(m->partition());
          break;
        default:
          log_ << "ingest: " << options_.topic << ": " << m->errstr() << "\n";
          break;
      }
    }
    const Clock::time_point now = Clock::now();
    while (status.ok()) {
      std::optional<PartitionMerger::Record> r = merger_.Pop(now);
      if (!r) break;
      status = Forward(*r);
    }
    Backpressure();
    if (status.ok() && now - last_commit >= options_.commit_every) {
      status = Commit();
      last_commit = now;
    }
  }
  if (status.ok() && failed_.ok()) status = Commit();
  consumer_->close();  // a last revoke may commit once more
  return status.ok() ? failed_ : status;
}

}  // namespace

absl::StatusOr<IngestCounts> RunTopicIngest(
    const TopicIngestOptions& options, const IngestOptions& ingest,
    const pipeline::KafkaProperties& kafka, EventSink& sink,
    const std::atomic<bool>& stop, IngestMetrics* metrics, std::ostream& log) {
  TopicRun run(options, ingest, sink, metrics, log);
  if (absl::Status s = run.Run(kafka, stop); !s.ok()) return s;
  return run.counts();
}

}  // namespace callflow::ingest
