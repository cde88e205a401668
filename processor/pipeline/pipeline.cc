#include "processor/pipeline/pipeline.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "processor/pipeline/line_aggregator_hub.h"
#include "processor/pipeline/output_producer.h"
#include "processor/pipeline/partition_router.h"
#include "processor/pipeline/shard.h"
#include "state/partition_store.h"

namespace callflow::pipeline {
namespace {

// Another instance sharing the state dir may still be closing a partition
// it just gave up; its RocksDB lock goes with the close.
constexpr int kOpenAttempts = 40;
constexpr auto kOpenRetryDelay = std::chrono::milliseconds(250);

absl::StatusOr<std::unique_ptr<state::PartitionStore>> OpenWithRetry(
    state::StateEnv& env, int32_t partition) {
  absl::StatusOr<std::unique_ptr<state::PartitionStore>> store;
  for (int attempt = 1; attempt <= kOpenAttempts; ++attempt) {
    store = state::PartitionStore::Open(env, partition);
    if (store.ok()) return store;
    spdlog::warn("open state of partition {} (attempt {}): {}", partition,
                 attempt, store.status().ToString());
    std::this_thread::sleep_for(kOpenRetryDelay);
  }
  return store;
}

std::vector<int32_t> PartitionsOf(
    const std::vector<RdKafka::TopicPartition*>& tps) {
  std::vector<int32_t> out;
  out.reserve(tps.size());
  for (const auto* tp : tps) out.push_back(tp->partition());
  return out;
}

}  // namespace

// Forwards librdkafka's rebalance events (served inside consume() on the poll
// thread) to the pipeline.
class Pipeline::Rebalancer : public RdKafka::RebalanceCb {
 public:
  explicit Rebalancer(Pipeline& pipeline) : pipeline_(pipeline) {}

  void rebalance_cb(
      RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
      std::vector<RdKafka::TopicPartition*>& partitions) override {
    pipeline_.stats_->rebalances.fetch_add(1);
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      pipeline_.OnAssign(partitions);
    } else if (err == RdKafka::ERR__REVOKE_PARTITIONS) {
      pipeline_.OnRevoke(partitions, consumer->assignment_lost());
    } else {
      spdlog::error("rebalance failed: {}", RdKafka::err2str(err));
      pipeline_.OnRevoke(partitions, /*lost=*/true);
    }
  }

 private:
  Pipeline& pipeline_;
};

Pipeline::Pipeline(PipelineConfig config, state::StateEnv& env)
    : config_(std::move(config)), env_(env) {}

Pipeline::~Pipeline() {
  if (consumer_ != nullptr && !consumer_->closed()) consumer_->close();
}

absl::StatusOr<std::unique_ptr<Pipeline>> Pipeline::Create(
    PipelineConfig config, state::StateEnv& env, PipelineObserver* observer) {
  if (config.options.shards == 0) {
    config.options.shards = std::max(1u, std::thread::hardware_concurrency());
  }
  if (config.options.ring_capacity < 2) {
    return absl::InvalidArgumentError("pipeline.ring_capacity must be >= 2");
  }
  if (config.options.allowed_lateness_ns > 0) {
    config.engine.allowed_lateness = config.options.allowed_lateness_ns;
  }
  std::unique_ptr<Pipeline> p(new Pipeline(std::move(config), env));
  const PipelineConfig& c = p->config_;
  p->stats_ = std::make_unique<PipelineStats>(c.options.shards);

  auto producer = OutputProducer::Create(c.kafka);
  if (!producer.ok()) return producer.status();
  p->producer_ = *std::move(producer);

  const KafkaProperties consumer_defaults = {
      {"group.id", c.options.group_id},
      {"partition.assignment.strategy", "cooperative-sticky"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      // librdkafka 2.0.2 pauses fetching for 1 s whenever the prefetch queue
      // passes these (DESIGN.md, platform facts): keep them high.
      {"queued.min.messages", "1000000"},
      {"queued.max.messages.kbytes", "1048576"},
  };
  auto conf = MakeKafkaConf(consumer_defaults, c.kafka);
  if (!conf.ok()) return conf.status();
  p->rebalancer_ = std::make_unique<Rebalancer>(*p);
  std::string err;
  if ((*conf)->set("rebalance_cb", p->rebalancer_.get(), err) !=
      RdKafka::Conf::CONF_OK) {
    return absl::InternalError(err);
  }
  p->consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (p->consumer_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("kafka consumer: ", err));
  }

  p->lines_ = std::make_unique<LineAggregatorHub>(c.engine, *p->stats_);
  for (uint32_t s = 0; s < c.options.shards; ++s) {
    p->shards_.push_back(std::make_unique<Shard>(
        static_cast<int>(s),
        ShardContext{.engine_options = c.engine,
                     .options = c.options,
                     .topics = c.topics,
                     .producer = *p->producer_,
                     .consumer = *p->consumer_,
                     .lines = *p->lines_,
                     .routing = p->routing_,
                     .stats = *p->stats_,
                     .observer = observer,
                     .on_fatal = [raw = p.get()](absl::Status s) {
                       raw->OnFatal(std::move(s));
                     }}));
  }
  p->router_ = std::make_unique<PartitionRouter>(p->shards_, *p->consumer_,
                                                 c.topics.events, *p->stats_);
  return p;
}

void Pipeline::OnFatal(absl::Status status) {
  std::lock_guard lock(fatal_mu_);
  if (fatal_.ok()) fatal_ = std::move(status);
  stop_ = true;
}

void Pipeline::OnAssign(
    const std::vector<RdKafka::TopicPartition*>& partitions) {
  std::vector<RdKafka::TopicPartition*> accepted;
  for (RdKafka::TopicPartition* tp : partitions) {
    auto store = OpenWithRetry(env_, tp->partition());
    if (!store.ok()) {
      OnFatal(store.status());
      continue;
    }
    // RocksDB holds the truth; without it the group offset (or
    // auto.offset.reset) decides.
    const std::optional<int64_t> next = (*store)->next_offset();
    tp->set_offset(next.value_or(RdKafka::Topic::OFFSET_INVALID));
    spdlog::info("assigned {} [{}] from {}", tp->topic(), tp->partition(),
                 next ? absl::StrCat("offset ", *next)
                      : std::string("the group's position"));
    router_->Assign(tp->partition(), *std::move(store));
    accepted.push_back(tp);
  }
  absl::Status s = KafkaStatus(consumer_->incremental_assign(accepted),
                               "incremental_assign");
  if (!s.ok()) OnFatal(s);
}

void Pipeline::OnRevoke(const std::vector<RdKafka::TopicPartition*>& partitions,
                        bool lost) {
  spdlog::info("{} {} partition(s)", lost ? "lost" : "revoked",
               partitions.size());
  router_->Revoke(PartitionsOf(partitions));
  absl::Status s = KafkaStatus(consumer_->incremental_unassign(partitions),
                               "incremental_unassign");
  if (!s.ok()) spdlog::warn("{}", s.ToString());
}

absl::Status Pipeline::CheckTopics() {
  const auto servers = config_.kafka.find("bootstrap.servers");
  const std::string brokers =
      servers == config_.kafka.end() ? "(none)" : servers->second;
  RdKafka::Metadata* raw = nullptr;
  const RdKafka::ErrorCode err = consumer_->metadata(
      /*all_topics=*/true, nullptr, &raw,
      static_cast<int>(config_.options.metadata_timeout_ms));
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (err != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat(
        "no answer from the Kafka brokers ", brokers, " within ",
        config_.options.metadata_timeout_ms, " ms: ", RdKafka::err2str(err)));
  }
  std::set<std::string> present;
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    if (t->err() == RdKafka::ERR_NO_ERROR) present.insert(t->topic());
    if (t->topic() == config_.topics.events) {
      routing_.set_partitions(static_cast<int32_t>(t->partitions()->size()));
    }
  }
  std::vector<std::string> missing;
  const Topics& t = config_.topics;
  for (const std::string* name :
       {&t.events, &t.tasks, &t.alerts, &t.contacts, &t.dlq}) {
    if (!present.contains(*name)) missing.push_back(*name);
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "topic(s) ", absl::StrJoin(missing, ", "),
        " do not exist on the Kafka brokers ", brokers,
        ": create them first (callflow does not create topics; names are "
        "set in [topics])"));
  }
  return absl::OkStatus();
}

absl::Status Pipeline::Run() {
  if (absl::Status s = CheckTopics(); !s.ok()) return s;
  for (auto& shard : shards_) shard->Start();
  absl::Status s =
      KafkaStatus(consumer_->subscribe({config_.topics.events}), "subscribe");
  if (!s.ok()) OnFatal(s);
  auto last_lag = std::chrono::steady_clock::now();
  while (!stop_.load(std::memory_order_relaxed)) {
    std::unique_ptr<RdKafka::Message> msg(consumer_->consume(20));
    switch (msg->err()) {
      case RdKafka::ERR_NO_ERROR:
        router_->Route(*msg);
        break;
      case RdKafka::ERR__TIMED_OUT:
      case RdKafka::ERR__PARTITION_EOF:
        break;
      case RdKafka::ERR__FATAL:
        OnFatal(KafkaStatus(msg->err(), "consumer"));
        break;
      default:
        spdlog::warn("consumer: {}", msg->errstr());
        break;
    }
    router_->DrainPending();
    const auto now = std::chrono::steady_clock::now();
    if (now - last_lag >= std::chrono::seconds(1)) {
      router_->UpdateLag();
      last_lag = now;
    }
  }
  spdlog::info("pipeline stopping: committing and leaving the group");
  // close() revokes every partition through the rebalance callback, which
  // has the shards commit and close their stores.
  absl::Status closed = KafkaStatus(consumer_->close(), "consumer close");
  if (!closed.ok()) spdlog::warn("{}", closed.ToString());
  router_->StopShards();
  absl::Status flushed = producer_->Flush(std::chrono::seconds(10));
  if (!flushed.ok()) spdlog::warn("{}", flushed.ToString());
  std::lock_guard lock(fatal_mu_);
  return fatal_;
}

}  // namespace callflow::pipeline
