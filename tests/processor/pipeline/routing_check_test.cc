// RoutingCheck (docs/RULES.md §9.3): the key must be the event's key, the
// partition murmur2(key) mod partitions unless the partitioner is "any".
#include "processor/pipeline/internal/routing_check.h"

#include <gtest/gtest.h>

#include "processor/pipeline/internal/murmur2.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline {
namespace {

using ::callflow_testing::IsOk;

constexpr char kKey[] = "+74951234567";
constexpr int32_t kPartitions = 12;

RoutingCheck Check(Partitioner partitioner) {
  RoutingCheck check(InputOptions{.partitioner = partitioner});
  check.set_partitions(kPartitions);
  return check;
}

TEST(RoutingCheckTest, TheKeyAndItsMurmur2PartitionPass) {
  const int32_t home = Murmur2Partition(kKey, kPartitions);
  EXPECT_THAT(Check(Partitioner::kMurmur2).Check(kKey, kKey, home), IsOk());
}

TEST(RoutingCheckTest, AnyOtherKeyIsMisroutedAndTheMessageNamesTheFix) {
  const RoutingCheck check = Check(Partitioner::kAny);
  // No key, the dialled line's number, an unnormalized caller.
  for (const char* key : {"", "+74950000001", "84951234567"}) {
    const rules::Verdict v = check.Check(key, kKey, 0);
    EXPECT_EQ(v.reason(), v1::DeadLetter::MISROUTED) << key;
    EXPECT_NE(v.message().find("callflow ingest --format callevent "
                               "--from-topic"),
              std::string::npos)
        << v.message();
    EXPECT_NE(v.message().find("callflow produce"), std::string::npos);
    // Issue 10: the message (DLQ `error`) names no number.
    EXPECT_EQ(v.message().find("495"), std::string::npos) << v.message();
  }
  // A record without a key reads as one sentence.
  EXPECT_NE(check.Check("", kKey, 0)
                .message()
                .find("the record has no key, but needs the event's key"),
            std::string::npos)
      << check.Check("", kKey, 0).message();
}

TEST(RoutingCheckTest, AnotherPartitionIsMisroutedUnlessThePartitionerIsAny) {
  const int32_t home = Murmur2Partition(kKey, kPartitions);
  const int32_t other = (home + 1) % kPartitions;
  const rules::Verdict v =
      Check(Partitioner::kMurmur2).Check(kKey, kKey, other);
  EXPECT_EQ(v.reason(), v1::DeadLetter::MISROUTED);
  EXPECT_NE(v.message().find("partitioner = \"any\""), std::string::npos)
      << v.message();
  EXPECT_THAT(Check(Partitioner::kAny).Check(kKey, kKey, other), IsOk());
}

}  // namespace
}  // namespace callflow::pipeline
