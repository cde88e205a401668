// ShardChannel on its own: order, bound, envelope reuse, and the hand-over
// between two threads.

#include "processor/pipeline/internal/shard_channel.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace callflow::pipeline {
namespace {

TEST(ShardChannelTest, KeepsOrderAndRefusesWhenFull) {
  ShardChannel channel(4);
  std::vector<Envelope*> pushed;
  while (true) {
    Envelope* e = channel.Acquire();
    e->offset = static_cast<int64_t>(pushed.size());
    if (!channel.TryPush(e)) {
      channel.Release(e);
      break;
    }
    pushed.push_back(e);
  }
  ASSERT_GE(pushed.size(), 4u);
  EXPECT_EQ(channel.size(), pushed.size());
  for (size_t i = 0; i < pushed.size(); ++i) {
    Envelope* e = channel.TryPop();
    ASSERT_EQ(e, pushed[i]);
    EXPECT_EQ(e->offset, static_cast<int64_t>(i));
    channel.Recycle(e);
  }
  EXPECT_EQ(channel.TryPop(), nullptr);
}

TEST(ShardChannelTest, ReusesRecycledAndReleasedEnvelopes) {
  ShardChannel channel(4);
  Envelope* a = channel.Acquire();
  channel.Release(a);  // not sent: back to the poll thread's spares
  EXPECT_EQ(channel.Acquire(), a);
  ASSERT_TRUE(channel.TryPush(a));
  Envelope* popped = channel.TryPop();
  ASSERT_EQ(popped, a);
  popped->kind = Envelope::Kind::kRevoke;
  channel.Recycle(popped);
  Envelope* again = channel.Acquire();
  EXPECT_EQ(again, a);
  // A recycled control envelope has a fresh promise to fulfil.
  std::future<void> done = again->done.get_future();
  again->done.set_value();
  EXPECT_EQ(done.wait_for(std::chrono::seconds(0)), std::future_status::ready);
}

TEST(ShardChannelTest, HandsEveryEnvelopeOverInOrderAcrossThreads) {
  constexpr int kCount = 20000;
  ShardChannel channel(64);
  std::vector<int64_t> seen;
  std::thread shard([&] {
    while (static_cast<int>(seen.size()) < kCount) {
      Envelope* e = channel.TryPop();
      if (e == nullptr) {
        std::this_thread::yield();
        continue;
      }
      seen.push_back(e->offset);
      channel.Recycle(e);
    }
  });
  std::set<Envelope*> distinct;
  for (int i = 0; i < kCount; ++i) {
    Envelope* e = channel.Acquire();
    distinct.insert(e);
    e->offset = i;
    while (!channel.TryPush(e)) std::this_thread::yield();
  }
  shard.join();
  ASSERT_EQ(seen.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(seen[i], i);
  // Envelopes are recycled: far fewer than messages were ever allocated.
  EXPECT_LT(distinct.size(), 1000u);
}

}  // namespace
}  // namespace callflow::pipeline
