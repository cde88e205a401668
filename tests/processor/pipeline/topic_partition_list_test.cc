// TopicPartitionList: what librdkafka's C++ API gets from it, and that a
// moved-from list gives its elements up (the destructor deletes each
// element once; run under a leak checker to see it).
#include "processor/pipeline/topic_partition_list.h"

#include <gtest/gtest.h>

namespace callflow::pipeline {
namespace {

TEST(TopicPartitionListTest, HoldsWhatWasAddedForTheApi) {
  TopicPartitionList list;
  EXPECT_TRUE(list.empty());
  list.Add("t", 3);
  list.Add("t", 5, 42);
  ASSERT_EQ(list.size(), 2u);
  std::vector<RdKafka::TopicPartition*>& api = list.get();
  EXPECT_EQ(api[0]->topic(), "t");
  EXPECT_EQ(api[0]->partition(), 3);
  EXPECT_EQ(api[0]->offset(), RdKafka::Topic::OFFSET_INVALID);
  EXPECT_EQ(api[1]->partition(), 5);
  EXPECT_EQ(api[1]->offset(), 42);
  int32_t sum = 0;
  for (const RdKafka::TopicPartition* tp : list) sum += tp->partition();
  EXPECT_EQ(sum, 8);
}

TEST(TopicPartitionListTest, MovingHandsTheElementsOver) {
  TopicPartitionList a;
  a.Add("t", 1, 7);
  RdKafka::TopicPartition* first = a.get()[0];
  TopicPartitionList b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): on purpose
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b.get()[0], first);
  TopicPartitionList c;
  c.Add("u", 2);
  c = std::move(b);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c.get()[0]->topic(), "t");
}

}  // namespace
}  // namespace callflow::pipeline
