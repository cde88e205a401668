#include "processor/pipeline/topic_reader.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "processor/pipeline/internal/watermark_query.h"
#include "processor/pipeline/topic_partition_list.h"

namespace callflow::pipeline {
namespace {

constexpr auto kWatermarkTimeout = std::chrono::seconds(10);

}  // namespace

absl::StatusOr<std::unique_ptr<TopicReader>> TopicReader::Open(
    const KafkaProperties& kafka, const std::string& topic) {
  // group.id is required by the KafkaConsumer class even without a group.
  auto conf = MakeKafkaConf(KafkaClient::kConsumer,
                            {{"group.id", "callflow-topic-reader"},
                             {"enable.auto.commit", "false"},
                             {"enable.partition.eof", "false"}},
                            kafka);
  if (!conf.ok()) return conf.status();
  std::string err;
  std::unique_ptr<TopicReader> r(new TopicReader());
  r->topic_ = topic;
  r->consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (r->consumer_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("kafka consumer: ", err));
  }
  RdKafka::Metadata* raw = nullptr;
  std::unique_ptr<RdKafka::Topic> t(
      RdKafka::Topic::create(r->consumer_.get(), topic, nullptr, err));
  absl::Status s = KafkaStatus(
      r->consumer_->metadata(false, t.get(), &raw, 10000), "metadata");
  std::unique_ptr<RdKafka::Metadata> md(raw);
  if (!s.ok()) return s;
  if (md->topics()->empty() ||
      md->topics()->at(0)->err() != RdKafka::ERR_NO_ERROR) {
    return absl::NotFoundError(absl::StrCat("topic ", topic, " not found"));
  }
  r->partitions_ = static_cast<int>(md->topics()->at(0)->partitions()->size());
  TopicPartitionList tps;
  for (int p = 0; p < r->partitions_; ++p) {
    tps.Add(topic, p, RdKafka::Topic::OFFSET_BEGINNING);
  }
  s = KafkaStatus(r->consumer_->assign(tps.get()), "assign");
  if (!s.ok()) return s;
  return r;
}

TopicReader::~TopicReader() {
  if (consumer_ != nullptr) consumer_->close();
}

absl::StatusOr<size_t> TopicReader::Poll(
    const std::function<void(const TopicRecord&)>& fn, size_t max,
    std::chrono::milliseconds timeout) {
  size_t n = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  TopicRecord rec;
  while (n < max) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    std::unique_ptr<RdKafka::Message> m(consumer_->consume(
        static_cast<int>(std::max<int64_t>(left.count(), 0))));
    if (m->err() == RdKafka::ERR__TIMED_OUT) break;
    if (m->err() != RdKafka::ERR_NO_ERROR) {
      return KafkaStatus(m->err(), absl::StrCat("read ", topic_));
    }
    rec.partition = m->partition();
    rec.offset = m->offset();
    rec.key = m->key() != nullptr ? *m->key() : std::string();
    rec.value.assign(static_cast<const char*>(m->payload()), m->len());
    fn(rec);
    ++n;
    if (left.count() <= 0) break;
  }
  return n;
}

absl::Status TopicReader::ReadToEnd(
    const std::function<void(const TopicRecord&)>& fn,
    std::chrono::milliseconds timeout) {
  std::vector<int64_t> high(partitions_), next(partitions_, 0);
  for (int p = 0; p < partitions_; ++p) {
    int64_t low = 0;
    absl::Status s = QueryWatermarks(*consumer_, topic_, p, kWatermarkTimeout,
                                     &low, &high[p]);
    if (!s.ok()) return s;
  }
  auto done = [&] {
    for (int p = 0; p < partitions_; ++p) {
      if (next[p] < high[p]) return false;
    }
    return true;
  };
  // At most this many records are left (fewer when offsets have gaps), so
  // Poll returns as soon as the last one came instead of waiting out its
  // window.
  auto left = [&] {
    int64_t n = 0;
    for (int p = 0; p < partitions_; ++p) {
      n += std::max<int64_t>(high[p] - next[p], 0);
    }
    return static_cast<size_t>(n);
  };
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("reading ", topic_, " to its end"));
    }
    auto n = Poll(
        [&](const TopicRecord& r) {
          next[r.partition] = r.offset + 1;
          fn(r);
        },
        left(), std::chrono::milliseconds(200));
    if (!n.ok()) return n.status();
  }
  return absl::OkStatus();
}

}  // namespace callflow::pipeline
