#include "processor/pipeline/pipeline.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "processor/pipeline/internal/lines_reader.h"
#include "processor/pipeline/internal/output_producer.h"
#include "processor/pipeline/internal/partition_loader.h"
#include "processor/pipeline/internal/partition_router.h"
#include "processor/pipeline/internal/shard.h"
#include "state/partition_store.h"

namespace callflow::pipeline {
namespace {

// librdkafka's default message.timeout.ms.
constexpr int64_t kDefaultMessageTimeoutMs = 300000;
// How long a clean stop waits for the lines topic to be merged.
constexpr auto kLinesDrainTimeout = std::chrono::seconds(10);
// librdkafka's session.timeout.ms default, should the conf not answer.
constexpr int64_t kDefaultSessionTimeoutMs = 45000;
// How long a clean stop waits for the producer's last records.
constexpr auto kProducerFlushTimeout = std::chrono::milliseconds(10000);
// How long a seek of a newly ready partition may take.
constexpr int kSeekTimeoutMs = 10000;
// What a previous owner needs beyond message.timeout.ms to write its last
// cycle and close its store (OpenTimeout).
constexpr auto kPreviousOwnerCloseMargin = std::chrono::minutes(1);
// The poll loop's round: one consume that may wait this long, then up to
// kRoundMessages more that are ready; the shards are woken once per round.
constexpr auto kConsumeTimeout = std::chrono::milliseconds(20);
constexpr int kRoundMessages = 256;
// How often the poll loop updates the partitions' lag.
constexpr auto kLagUpdateInterval = std::chrono::seconds(1);
// How often librdkafka commits the offsets the shards stored to the group.
constexpr auto kAutoCommitInterval = std::chrono::seconds(1);
// An aborted stop waits for nothing the producer still holds.
constexpr auto kNoWait = std::chrono::milliseconds(0);

// The longest a previous owner on a shared state dir may keep a partition's
// RocksDB lock: its final commit waits up to message.timeout.ms for
// acknowledgements, then it writes and closes.
std::chrono::milliseconds OpenTimeout(const KafkaProperties& kafka) {
  int64_t ms = kDefaultMessageTimeoutMs;
  if (auto it = kafka.find("message.timeout.ms"); it != kafka.end()) {
    int64_t v = 0;
    if (absl::SimpleAtoi(it->second, &v) && v > 0) ms = v;
  }
  return std::chrono::milliseconds(ms) + kPreviousOwnerCloseMargin;
}

std::vector<int32_t> PartitionsOf(
    const std::vector<RdKafka::TopicPartition*>& tps) {
  std::vector<int32_t> out;
  out.reserve(tps.size());
  for (const auto* tp : tps) out.push_back(tp->partition());
  return out;
}

// The librdkafka release (RdKafka::version()) that fixed the destruction of
// a never-assigned cooperative-sticky consumer.
constexpr int kAssignorStateFixed = 0x02030000;

// Where a partition starts, for the log: librdkafka's logical offsets (the
// group has no committed offset yet) by their meaning.
std::string StartDescription(bool stored, int64_t offset) {
  if (stored) return absl::StrCat("its stored offset ", offset);
  if (offset == RdKafka::Topic::OFFSET_BEGINNING) {
    return "the start of the partition (no committed offset)";
  }
  if (offset == RdKafka::Topic::OFFSET_END) {
    return "the end of the partition (no committed offset)";
  }
  if (offset < 0) return "the group's committed offset";
  return absl::StrCat("the group's committed offset ", offset);
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
      pipeline_.assignment_received_ = true;
      pipeline_.OnAssign(partitions);
    } else if (err == RdKafka::ERR__REVOKE_PARTITIONS) {
      pipeline_.assignment_received_ = true;
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
  if (consumer_ == nullptr) return;
  if (!consumer_->closed()) consumer_->close();
  // librdkafka before 2.3.0 aborts the process (an assertion in the
  // cooperative-sticky assignor) when it destroys a consumer whose group
  // answered its JoinGroup but not yet its first SyncGroup
  // (confluentinc/librdkafka#4312): a stop while the group forms, e.g. on a
  // slow coordinator. The consumer is closed (it left the group); without an
  // assignment it holds nothing of ours, so its handle is left to the
  // process's exit instead.
  if (subscribed_ && !assignment_received_ &&
      RdKafka::version() < kAssignorStateFixed) {
    spdlog::debug(
        "consumer never assigned: its handle is not destroyed (librdkafka "
        "{} would abort)",
        RdKafka::version_str());
    (void)consumer_.release();
  }
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
  p->stats_->output_topics = {c.topics.tasks, c.topics.alerts,
                              c.topics.contacts, c.topics.dlq};

  const KafkaProperties consumer_defaults = {
      {"group.id", c.options.group_id},
      {"partition.assignment.strategy", "cooperative-sticky"},
      // The shards store each written cycle's offsets; librdkafka commits
      // them to the group only while the group is stable. (librdkafka
      // 2.0.2 treats an application commit that crosses a rebalance and
      // comes back "illegal generation" as a lost assignment and rejoins,
      // which restarts the rebalance for every member: churn.) Lag tools
      // read these offsets; RocksDB holds the truth.
      {"enable.auto.commit", "true"},
      {"auto.commit.interval.ms",
       absl::StrCat(std::chrono::milliseconds(kAutoCommitInterval).count())},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      // librdkafka 2.0.2 pauses fetching for 1 s whenever the prefetch queue
      // passes these: keep them high.
      {"queued.min.messages", "1000000"},
      {"queued.max.messages.kbytes", "1048576"},
  };
  auto conf = MakeKafkaConf(KafkaClient::kConsumer, consumer_defaults, c.kafka);
  if (!conf.ok()) return conf.status();
  // Standing still longer than the session hands the partitions to others.
  // The watch comes first: it fences the producer's threads.
  std::string session_ms;
  int64_t session = 0;
  if ((*conf)->get("session.timeout.ms", session_ms) !=
          RdKafka::Conf::CONF_OK ||
      !absl::SimpleAtoi(session_ms, &session) || session <= 0) {
    session = kDefaultSessionTimeoutMs;
  }
  // On a freeze nothing it holds may be committed or sent any more; a shard
  // waiting for acknowledgements the fence holds back stops waiting.
  auto on_freeze = [raw = p.get()](absl::Status stood_still) {
    raw->OnFatal(std::move(stood_still));
    raw->Abort();
  };
  p->freeze_watch_ = std::make_unique<FreezeWatch>(
      std::chrono::milliseconds(session), std::move(on_freeze));
  auto producer = OutputProducer::Create(
      c.kafka,
      [stats = p->stats_.get()](std::string_view topic, Unproducible reason) {
        for (int t = 0; t < kNumOutputTopics; ++t) {
          if (stats->output_topics[t] != topic) continue;
          stats->unproducible[t][static_cast<int>(reason)].fetch_add(1);
          return;
        }
      },
      p->freeze_watch_.get());
  if (!producer.ok()) return producer.status();
  p->producer_ = *std::move(producer);

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

  for (uint32_t s = 0; s < c.options.shards; ++s) {
    p->shards_.push_back(std::make_unique<Shard>(
        static_cast<int>(s),
        ShardContext{
            .engine_options = c.engine,
            .options = c.options,
            .topics = c.topics,
            .producer = *p->producer_,
            .consumer = *p->consumer_,
            .lines = p->lines_,
            .routing = p->routing_,
            .stats = *p->stats_,
            .observer = observer,
            .on_fatal =
                [raw = p.get()](absl::Status s) { raw->OnFatal(std::move(s)); },
            .abort = p->abort_,
            .freeze_watch = p->freeze_watch_.get()}));
  }
  std::vector<ShardChannel*> channels;
  for (auto& shard : p->shards_) channels.push_back(&shard->channel());
  p->router_ = std::make_unique<PartitionRouter>(
      std::move(channels), *p->consumer_, c.topics.events, *p->stats_);
  p->loader_ = std::make_unique<PartitionLoader>(
      PartitionLoader::Context{.env = p->env_,
                               .options = c.options,
                               .topics = c.topics,
                               .kafka = c.kafka,
                               .producer = *p->producer_,
                               .consumer = *p->consumer_,
                               .stats = *p->stats_,
                               .stop = p->stop_,
                               .open_timeout = OpenTimeout(c.kafka)});
  return p;
}

bool Pipeline::fatal_ok() {
  std::lock_guard lock(fatal_mu_);
  return fatal_.ok();
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
    if (tp->partition() >= PipelineStats::kMaxPartitions) {
      OnFatal(absl::OutOfRangeError(absl::StrCat(
          "partition ", tp->partition(), " of ", tp->topic(), " is beyond the ",
          PipelineStats::kMaxPartitions, " partitions callflow supports")));
      continue;
    }
    accepted.push_back(tp);
  }
  // Paused at once: nothing is processed until its state is ready (the
  // router drops what was fetched before; FinishAssign seeks to the start
  // and resumes).
  absl::Status s = KafkaStatus(consumer_->incremental_assign(accepted),
                               "incremental_assign");
  if (s.ok()) s = KafkaStatus(consumer_->pause(accepted), "pause");
  if (!s.ok()) {
    OnFatal(s);
    return;
  }
  for (RdKafka::TopicPartition* tp : accepted) {
    spdlog::info("assigned {} [{}]; loading its state", tp->topic(),
                 tp->partition());
    loader_->Load(tp->partition());
  }
}

void Pipeline::FinishAssign(LoadedPartition& loaded) {
  const int32_t p = loaded.partition;
  if (!loaded.status.ok()) {
    if (absl::IsCancelled(loaded.status)) return;
    OnFatal(absl::Status(
        loaded.status.code(),
        absl::StrCat("partition ", p, ": ", loaded.status.message())));
    return;
  }
  // RocksDB holds the truth; without it the group offset (or
  // auto.offset.reset) decides.
  const bool stored = loaded.store->next_offset().has_value();
  std::unique_ptr<RdKafka::TopicPartition> tp(RdKafka::TopicPartition::create(
      config_.topics.events, p, loaded.start_offset));
  const bool held = router_->Assign(p, std::move(loaded.store), loaded.owner,
                                    loaded.start_offset);
  absl::Status s = KafkaStatus(consumer_->seek(*tp, kSeekTimeoutMs), "seek");
  std::vector<RdKafka::TopicPartition*> tps = {tp.get()};
  // Held: its shard is back-pressured; the router resumes it with the shard.
  if (s.ok() && !held) s = KafkaStatus(consumer_->resume(tps), "resume");
  if (!s.ok()) {
    OnFatal(absl::Status(s.code(),
                         absl::StrCat("partition ", p, ": ", s.message())));
    return;
  }
  spdlog::info("partition {} active from {}", p,
               StartDescription(stored, loaded.start_offset));
}

void Pipeline::OnRevoke(const std::vector<RdKafka::TopicPartition*>& partitions,
                        bool lost) {
  spdlog::info("{} {} partition(s)", lost ? "lost" : "revoked",
               partitions.size());
  const std::vector<int32_t> ps = PartitionsOf(partitions);
  for (int32_t p : ps) {
    if (p < PipelineStats::kMaxPartitions) loader_->Cancel(p);
  }
  router_->Revoke(ps);
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
  std::map<std::string, int> present;  // topic -> partitions
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    if (t->err() == RdKafka::ERR_NO_ERROR) {
      present[t->topic()] = static_cast<int>(t->partitions()->size());
    }
    if (t->topic() == config_.topics.events) {
      routing_.set_partitions(static_cast<int32_t>(t->partitions()->size()));
    }
  }
  std::vector<std::string> missing;
  const Topics& t = config_.topics;
  std::vector<const std::string*> needed = {&t.events,   &t.tasks, &t.alerts,
                                            &t.contacts, &t.dlq,   &t.lines};
  if (config_.options.changelog) needed.push_back(&t.changelog);
  for (const std::string* name : needed) {
    if (!present.contains(*name)) missing.push_back(*name);
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "topic(s) ", absl::StrJoin(missing, ", "),
        " do not exist on the Kafka brokers ", brokers,
        ": create them first (callflow does not create topics; names are "
        "set in [topics]; docs/OPERATIONS.md lists them with their "
        "settings)"));
  }
  events_partitions_ = present[t.events];
  if (config_.options.changelog && present[t.changelog] != events_partitions_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the changelog topic ", t.changelog, " has ", present[t.changelog],
        " partition(s) but the events topic ", t.events, " has ",
        events_partitions_,
        ": they must have the same count (partition p of the changelog "
        "holds the state of events partition p); recreate the changelog "
        "with ",
        events_partitions_, " partitions"));
  }
  return absl::OkStatus();
}

absl::Status Pipeline::Run() {
  if (absl::Status s = CheckTopics(); !s.ok()) return s;
  // Only once they are known to exist: a broker that creates topics on a
  // metadata request would otherwise create what CheckTopics reports.
  std::vector<std::string> produced_to = {
      config_.topics.tasks, config_.topics.alerts, config_.topics.contacts,
      config_.topics.dlq, config_.topics.lines};
  if (config_.options.changelog) {
    produced_to.push_back(config_.topics.changelog);
  }
  producer_->Announce(produced_to);
  auto lines = LinesReader::Start(config_.kafka, config_.topics.lines,
                                  config_.engine, events_partitions_, *stats_);
  if (!lines.ok()) return lines.status();
  lines_ = *std::move(lines);
  for (auto& shard : shards_) shard->Start();
  subscribed_ = true;
  absl::Status s =
      KafkaStatus(consumer_->subscribe({config_.topics.events}), "subscribe");
  if (!s.ok()) OnFatal(s);
  auto last_lag = std::chrono::steady_clock::now();
  while (!stop_.load(std::memory_order_relaxed)) {
    // A round: the first consume waits, the others take only what is ready,
    // so a backlog is routed in batches and DrainPending below wakes each
    // waiting shard once per batch instead of once per message.
    for (int n = 0; n < kRoundMessages; ++n) {
      std::unique_ptr<RdKafka::Message> msg(consumer_->consume(
          n == 0 ? static_cast<int>(kConsumeTimeout.count()) : 0));
      const RdKafka::ErrorCode err = msg->err();
      if (err == RdKafka::ERR_NO_ERROR) {
        router_->Route(*msg);
        continue;
      }
      if (err == RdKafka::ERR__FATAL) {
        OnFatal(KafkaStatus(err, "consumer"));
      } else if (err != RdKafka::ERR__TIMED_OUT &&
                 err != RdKafka::ERR__PARTITION_EOF) {
        spdlog::warn("consumer: {}", msg->errstr());
      }
      break;
    }
    for (LoadedPartition& loaded : loader_->TakeReady()) {
      FinishAssign(loaded);
    }
    router_->DrainPending();
    const auto now = std::chrono::steady_clock::now();
    if (now - last_lag >= kLagUpdateInterval) {
      router_->UpdateLag();
      last_lag = now;
    }
  }
  Shutdown();
  std::lock_guard lock(fatal_mu_);
  return fatal_;
}

void Pipeline::Shutdown() {
  spdlog::info("pipeline stopping: committing and leaving the group");
  // The deadline: past it, stop without waiting for acknowledgements.
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  const auto timeout =
      std::chrono::nanoseconds(config_.options.shutdown_timeout_ns);
  std::thread deadline([&] {
    std::unique_lock lock(mu);
    if (cv.wait_for(lock, timeout, [&] { return done; })) return;
    if (abort_.load()) return;
    spdlog::error(
        "shutdown_timeout ({} s) passed: stopping without committing cycles "
        "whose outputs are not acknowledged",
        std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
    Abort();
  });
  if (fatal_ok() && !abort_.load() && stats_->partitions[0].owned.load()) {
    // The owner of partition 0 emits the line alerts: let the last cycles'
    // line updates (every shard's) reach the merger, so the revocation's
    // final cycle emits what they decide.
    router_->FlushShards();
    if (!lines_->WaitCaughtUp(kLinesDrainTimeout)) {
      spdlog::warn(
          "line updates not all merged before stopping; the next "
          "owner of partition 0 emits what they decide");
    }
  }
  if (freeze_watch_->FrozenFor(std::chrono::steady_clock::now()).count() > 0) {
    // Frozen past the session: what the producer still queues is from
    // cycles the new owners redo; it must not reach the topics after theirs.
    Abort();
  }
  // close() revokes every partition through the rebalance callback, which
  // has the shards commit and close their stores.
  absl::Status closed = KafkaStatus(consumer_->close(), "consumer close");
  if (!closed.ok()) spdlog::warn("{}", closed.ToString());
  router_->StopShards();
  for (auto& shard : shards_) shard->Join();
  // Aborted: outputs still queued belong to uncommitted cycles, which the
  // next owner redoes with the same ids; they are dropped, not sent, and
  // nothing is waited for (nothing committed depends on them).
  if (abort_.load()) producer_->PurgeQueued();
  producer_->set_close_timeout(abort_.load() ? kNoWait : kProducerFlushTimeout);
  absl::Status flushed =
      producer_->Flush(abort_.load() ? kNoWait : kProducerFlushTimeout);
  if (!flushed.ok()) spdlog::warn("{}", flushed.ToString());
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_all();
  deadline.join();
  if (abort_.load()) {
    spdlog::warn(
        "pipeline stopped early: only acknowledged cycles are "
        "committed");
  }
}

}  // namespace callflow::pipeline
