// PartitionRouter on its own: real messages from librdkafka's mock cluster
// and a real consumer, the shards played by the test (threads that take
// envelopes from the channels and answer the control ones).

#include "processor/pipeline/internal/partition_router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "callflow/v1/events.pb.h"
#include "processor/pipeline/mock_cluster.h"
#include "processor/pipeline/topic_partition_list.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline {
namespace {

using ::callflow_testing::IsOk;

using ::testing::ElementsAre;

constexpr char kTopic[] = "events";
constexpr int kPartitions = 4;
constexpr auto kWait = std::chrono::seconds(30);  // hang guard only
// How long without a message counts as "nothing more comes".
constexpr auto kQuiet = std::chrono::milliseconds(1500);

// What a shard thread saw: (kind, partition, offset).
struct Seen {
  Envelope::Kind kind;
  int32_t partition;
  int64_t offset;
  bool operator==(const Seen&) const = default;
};

void PrintTo(const Seen& s, std::ostream* os) {
  *os << "{kind " << static_cast<int>(s.kind) << ", p" << s.partition << " @"
      << s.offset << "}";
}

bool IsMessage(const Envelope& e) {
  return e.kind == Envelope::Kind::kEvent ||
         e.kind == Envelope::Kind::kUndecodable;
}

// Plays one shard: takes envelopes while not held, records them, fulfils
// the control envelopes' promises.
class ShardPlayer {
 public:
  explicit ShardPlayer(size_t capacity) : channel_(capacity) {
    thread_ = std::thread([this] { Run(); });
  }
  ~ShardPlayer() {
    stop_ = true;
    thread_.join();
  }

  ShardChannel& channel() { return channel_; }
  void Hold(bool hold) { hold_ = hold; }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  std::vector<Seen> events() {
    std::vector<Seen> out;
    for (const Seen& s : seen()) {
      if (s.kind == Envelope::Kind::kEvent ||
          s.kind == Envelope::Kind::kUndecodable) {
        out.push_back(s);
      }
    }
    return out;
  }

 private:
  void Run() {
    while (!stop_) {
      Envelope* e = hold_ ? nullptr : channel_.TryPop();
      if (e == nullptr) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      {
        std::lock_guard lock(mu_);
        // Control envelopes carry no offset (a recycled one keeps a stale
        // one).
        seen_.push_back(
            Seen{e->kind, e->partition, IsMessage(*e) ? e->offset : 0});
      }
      if (!IsMessage(*e)) e->done.set_value();
      channel_.Recycle(e);
    }
  }

  ShardChannel channel_;
  std::atomic<bool> hold_{false};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Seen> seen_;
  std::thread thread_;
};

class PartitionRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = MockCluster::Start(1);
    ASSERT_THAT(cluster, IsOk());
    cluster_ = std::move(*cluster);
    ASSERT_THAT(cluster_->CreateTopic(kTopic, kPartitions), IsOk());
    std::string err;
    auto conf = std::unique_ptr<RdKafka::Conf>(
        RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    ASSERT_EQ(conf->set("bootstrap.servers", cluster_->bootstraps(), err),
              RdKafka::Conf::CONF_OK);
    ASSERT_EQ(conf->set("group.id", "router-test", err),
              RdKafka::Conf::CONF_OK);
    ASSERT_EQ(conf->set("enable.auto.commit", "false", err),
              RdKafka::Conf::CONF_OK);
    consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
    ASSERT_NE(consumer_, nullptr) << err;
    producer_.reset(RdKafka::Producer::create(conf.get(), err));
    ASSERT_NE(producer_, nullptr) << err;
  }

  void TearDown() override {
    router_.reset();
    players_.clear();
    if (consumer_ != nullptr) consumer_->close();
  }

  // Two shards with rings of `capacity`; partitions 0..3 assigned to the
  // consumer from offset 0 and to the router.
  void Start(size_t capacity) {
    std::vector<ShardChannel*> channels;
    for (int s = 0; s < 2; ++s) {
      players_.push_back(std::make_unique<ShardPlayer>(capacity));
      channels.push_back(&players_.back()->channel());
    }
    router_ = std::make_unique<PartitionRouter>(std::move(channels), *consumer_,
                                                kTopic, stats_);
    TopicPartitionList all;
    for (int32_t p = 0; p < kPartitions; ++p) all.Add(kTopic, p, 0);
    ASSERT_EQ(consumer_->assign(all.get()), RdKafka::ERR_NO_ERROR);
    for (int32_t p = 0; p < kPartitions; ++p) {
      EXPECT_FALSE(router_->Assign(p, nullptr, 0, 0));
    }
  }

  void Produce(int32_t partition, const std::string& payload) {
    ASSERT_EQ(
        producer_->produce(kTopic, partition, RdKafka::Producer::RK_MSG_COPY,
                           const_cast<char*>(payload.data()), payload.size(),
                           "k", 1, 0, nullptr),
        RdKafka::ERR_NO_ERROR);
  }

  void ProduceEvents(int32_t partition, int n) {
    for (int i = 0; i < n; ++i) {
      v1::CallEvent event;
      event.set_call_id(absl::StrCat("c", partition, "-", i));
      Produce(partition, event.SerializeAsString());
    }
  }

  // Consumes `n` messages and routes each.
  void RouteMessages(int n) {
    ASSERT_EQ(producer_->flush(10000), RdKafka::ERR_NO_ERROR);
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    int routed = 0;
    while (routed < n && std::chrono::steady_clock::now() < deadline) {
      std::unique_ptr<RdKafka::Message> msg(consumer_->consume(100));
      if (msg->err() == RdKafka::ERR_NO_ERROR) {
        router_->Route(*msg);
        ++routed;
      }
    }
    ASSERT_EQ(routed, n);
  }

  // Consumes and routes what comes, draining pending messages, until
  // `done()` or nothing came for `quiet`. Returns how many were routed.
  template <typename Done>
  int RouteUntil(Done done, std::chrono::milliseconds quiet) {
    int routed = 0;
    auto last = std::chrono::steady_clock::now();
    const auto deadline = last + kWait;
    while (!done() && std::chrono::steady_clock::now() < deadline &&
           std::chrono::steady_clock::now() - last < quiet) {
      std::unique_ptr<RdKafka::Message> msg(consumer_->consume(10));
      if (msg->err() == RdKafka::ERR_NO_ERROR) {
        router_->Route(*msg);
        ++routed;
        last = std::chrono::steady_clock::now();
      }
      router_->DrainPending();
    }
    return routed;
  }

  // Drains pending messages until shard `s` saw `n` events.
  void WaitForEvents(size_t s, size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (players_[s]->events().size() < n &&
           std::chrono::steady_clock::now() < deadline) {
      router_->DrainPending();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(players_[s]->events().size(), n);
  }

  std::unique_ptr<MockCluster> cluster_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::unique_ptr<RdKafka::Producer> producer_;
  PipelineStats stats_{2};
  std::vector<std::unique_ptr<ShardPlayer>> players_;
  std::unique_ptr<PartitionRouter> router_;
};

// A producer that stamps records in µs or ns would overflow the ns; such a
// record has no reference time rather than a wrapped one (year 2061 for
// today in µs, which would switch the FUTURE check off).
TEST(RecordTimeNsTest, OutOfRangeTimestampsHaveNoReferenceTime) {
  EXPECT_EQ(RecordTimeNs(1714586400000), 1714586400000 * 1000000);
  EXPECT_EQ(RecordTimeNs(std::nullopt), 0);
  EXPECT_EQ(RecordTimeNs(-1), 0);
  EXPECT_EQ(RecordTimeNs(0), 0);
  EXPECT_EQ(RecordTimeNs(1714586400000000), 0);                     // µs
  EXPECT_EQ(RecordTimeNs(1714586400000000000), 0);                  // ns
  EXPECT_EQ(RecordTimeNs(9223372036854), 9223372036854 * 1000000);  // 2262
}

TEST_F(PartitionRouterTest, EachPartitionGoesToItsShardInOrder) {
  Start(/*capacity=*/64);
  ProduceEvents(0, 3);
  ProduceEvents(1, 2);
  ProduceEvents(2, 1);
  Produce(3, std::string("\x0a\xff", 2));  // not a CallEvent
  RouteMessages(7);
  WaitForEvents(0, 4);
  WaitForEvents(1, 3);

  // Shard 0 has partitions 0 and 2, shard 1 partitions 1 and 3, each
  // partition's messages in offset order after its assignment.
  std::vector<Seen> shard0 = players_[0]->seen();
  EXPECT_EQ(shard0[0], (Seen{Envelope::Kind::kAssign, 0, 0}));
  EXPECT_EQ(shard0[1], (Seen{Envelope::Kind::kAssign, 2, 0}));
  std::vector<Seen> p0;
  for (const Seen& s : players_[0]->events()) {
    if (s.partition == 0) p0.push_back(s);
  }
  EXPECT_THAT(p0, ElementsAre(Seen{Envelope::Kind::kEvent, 0, 0},
                              Seen{Envelope::Kind::kEvent, 0, 1},
                              Seen{Envelope::Kind::kEvent, 0, 2}));
  std::vector<Seen> p3;
  for (const Seen& s : players_[1]->events()) {
    if (s.partition == 3) p3.push_back(s);
  }
  EXPECT_THAT(p3, ElementsAre(Seen{Envelope::Kind::kUndecodable, 3, 0}));
  EXPECT_EQ(stats_.partitions[0].consumed.load(), 3u);
  EXPECT_EQ(stats_.partitions[3].consumed.load(), 1u);
}

TEST_F(PartitionRouterTest, AFullRingPausesTheShardsPartitionsUntilDrained) {
  Start(/*capacity=*/2);
  const int ring = static_cast<int>(players_[0]->channel().capacity());
  const int total = ring + 50;
  players_[0]->Hold(true);
  ProduceEvents(0, total);
  ASSERT_EQ(producer_->flush(10000), RdKafka::ERR_NO_ERROR);
  const int routed = RouteUntil([] { return false; }, kQuiet);
  // The ring took what fits, the next message waits, and shard 0's
  // partitions (0 and 2) are paused, so nothing more is fetched; shard 1's
  // partitions are not paused.
  EXPECT_GT(routed, ring);
  EXPECT_LT(routed, total);
  EXPECT_TRUE(stats_.partitions[0].paused.load());
  EXPECT_TRUE(stats_.partitions[2].paused.load());
  EXPECT_FALSE(stats_.partitions[1].paused.load());
  EXPECT_EQ(stats_.shards[0].pending_peak.load(),
            static_cast<uint64_t>(routed - ring));

  // Once the shard drains, they are resumed and fetched again from the
  // first message not routed: every message exactly once, in order.
  players_[0]->Hold(false);
  RouteUntil(
      [&] {
        return players_[0]->events().size() >= static_cast<size_t>(total);
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(kWait));
  EXPECT_FALSE(stats_.partitions[0].paused.load());
  EXPECT_FALSE(stats_.partitions[2].paused.load());
  std::vector<Seen> events = players_[0]->events();
  ASSERT_EQ(events.size(), static_cast<size_t>(total));
  for (int i = 0; i < total; ++i) {
    EXPECT_EQ(events[i], (Seen{Envelope::Kind::kEvent, 0, i}));
  }
}

TEST_F(PartitionRouterTest, RevokeDropsThePartitionsPendingMessages) {
  Start(/*capacity=*/2);
  const int ring = static_cast<int>(players_[0]->channel().capacity());
  players_[0]->Hold(true);
  ProduceEvents(0, ring + 50);
  ASSERT_EQ(producer_->flush(10000), RdKafka::ERR_NO_ERROR);
  const int routed = RouteUntil([] { return false; }, kQuiet);
  ASSERT_GT(routed, ring);
  players_[0]->Hold(false);
  router_->Revoke({0});  // returns once the shard took the revoke

  // What was in the ring went through; what waited was dropped (the next
  // owner reads it again), and the partition is no longer paused.
  std::vector<Seen> seen = players_[0]->seen();
  EXPECT_EQ(seen.back(), (Seen{Envelope::Kind::kRevoke, 0, 0}));
  EXPECT_EQ(players_[0]->events().size(), static_cast<size_t>(ring));
  EXPECT_FALSE(stats_.partitions[0].paused.load());

  // Messages of a revoked partition are no longer routed.
  RouteUntil([] { return false; }, kQuiet);
  EXPECT_EQ(players_[0]->events().size(), static_cast<size_t>(ring));
}

TEST_F(PartitionRouterTest, StopReachesEveryShard) {
  Start(/*capacity=*/8);
  router_->StopShards();
  for (auto& player : players_) {
    std::vector<Seen> seen = player->seen();
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back().kind, Envelope::Kind::kStop);
  }
}

}  // namespace
}  // namespace callflow::pipeline
