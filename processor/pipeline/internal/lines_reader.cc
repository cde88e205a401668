#include "processor/pipeline/internal/lines_reader.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "callflow/v1/state.pb.h"
#include "processor/pipeline/internal/watermark_query.h"
#include "processor/util/thread_name.h"

namespace callflow::pipeline {

LinesReader::LinesReader(const rules::EngineOptions& options, int partitions,
                         PipelineStats& stats)
    : stats_(stats), merger_(options, partitions) {}

absl::StatusOr<std::unique_ptr<LinesReader>> LinesReader::Start(
    const KafkaProperties& kafka, const std::string& topic,
    const rules::EngineOptions& options, int partitions, PipelineStats& stats) {
  auto conf = MakeKafkaConf(KafkaClient::kConsumer,
                            {{"group.id", "callflow-lines-reader"},
                             {"enable.auto.commit", "false"},
                             {"enable.partition.eof", "false"}},
                            kafka);
  if (!conf.ok()) return conf.status();
  std::unique_ptr<LinesReader> r(new LinesReader(options, partitions, stats));
  r->topic_ = topic;
  std::string err;
  r->consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (r->consumer_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("lines consumer: ", err));
  }
  std::unique_ptr<RdKafka::TopicPartition> tp(RdKafka::TopicPartition::create(
      topic, 0, RdKafka::Topic::OFFSET_BEGINNING));
  std::vector<RdKafka::TopicPartition*> tps = {tp.get()};
  if (absl::Status s = KafkaStatus(r->consumer_->assign(tps), "lines assign");
      !s.ok()) {
    return s;
  }
  r->thread_ = std::thread([raw = r.get()] {
    util::NameThisThread("cf-lines");
    raw->Run();
  });
  return r;
}

LinesReader::~LinesReader() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (consumer_ != nullptr) consumer_->close();
}

void LinesReader::Run() {
  v1::LineUpdate update;
  while (!stop_.load()) {
    std::unique_ptr<RdKafka::Message> m(consumer_->consume(100));
    if (m->err() == RdKafka::ERR__TIMED_OUT) continue;
    if (m->err() != RdKafka::ERR_NO_ERROR) {
      spdlog::warn("lines topic {}: {}", topic_, m->errstr());
      continue;
    }
    if (!update.ParseFromArray(m->payload(), static_cast<int>(m->len()))) {
      spdlog::warn(
          "lines topic {}: record at offset {} does not parse; "
          "skipped",
          topic_, m->offset());
      continue;
    }
    std::lock_guard lock(mu_);
    merger_.Apply(update, m->offset());
    stats_.line_watermark_ns = merger_.watermark();
  }
}

bool LinesReader::WaitCaughtUp(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int64_t low = 0, high = 0;
  if (absl::Status s =
          QueryWatermarks(*consumer_, topic_, 0, timeout, &low, &high);
      !s.ok()) {
    spdlog::warn("lines topic: {}", s.ToString());
    return false;
  }
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu_);
      if (merger_.next_offset() >= high) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::pair<std::vector<v1::Alert>, int64_t> LinesReader::DecidedFrom(
    int64_t from) const {
  std::lock_guard lock(mu_);
  if (merger_.next_offset() <= from) return {{}, from};
  return {merger_.DecidedFrom(from), merger_.next_offset()};
}

}  // namespace callflow::pipeline
