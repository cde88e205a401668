// `callflow produce` as a child process against the mock cluster, read back
// with kcat (an outside client): keys, murmur2 partitions, payloads, exit
// codes and errors.
#include <gtest/gtest.h>
#include <stdio.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "processor/codec/codec.h"
#include "processor/pipeline/internal/murmur2.h"
#include "processor/rules/engine.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline::testing {
namespace {

using ::callflow_testing::IsOk;

constexpr int kProducePartitions = 8;
constexpr char kScenario[] = "tests/data/scenario.jsonl";

TEST(ProduceCommandTest, Murmur2MatchesJavaClientVectors) {
  // Values from Kafka's UtilsTest.testMurmur2.
  EXPECT_EQ(JavaMurmur2("21"), -973932308);
  EXPECT_EQ(JavaMurmur2("foobar"), -790332482);
  EXPECT_EQ(JavaMurmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(JavaMurmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(JavaMurmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"),
            -58897971);
  EXPECT_EQ(JavaMurmur2("abc"), 479470107);
}

// A scenario line that parses, with what produce must do with it.
struct Line {
  int number = 0;
  v1::CallEvent event;
  std::string key;
};

TEST(ProduceCommandTest, LoadsScenarioKeyedAndPartitionedLikeJava) {
  auto cluster = MockCluster::Start(3);
  ASSERT_THAT(cluster, IsOk());
  const std::string topic = "produced.events";
  ASSERT_THAT((*cluster)->CreateTopic(topic, kProducePartitions), IsOk());

  // What the file holds: events that parse, and the malformed lines.
  rules::EngineOptions engine_options;
  rules::Engine keys(engine_options);
  std::vector<Line> good;
  std::vector<int> malformed;
  {
    std::ifstream in(kScenario);
    ASSERT_TRUE(in) << kScenario;
    std::string text;
    for (int number = 1; std::getline(in, text); ++number) {
      if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
      Line line;
      line.number = number;
      if (codec::ParseEventJson(text, &line.event).ok()) {
        line.key = keys.KeyFor(line.event);
        good.push_back(std::move(line));
      } else {
        malformed.push_back(number);
      }
    }
  }
  ASSERT_FALSE(good.empty());
  ASSERT_FALSE(malformed.empty()) << "the scenario keeps a malformed line";

  const CommandResult r =
      RunCallflow({"produce", "--brokers", (*cluster)->bootstraps(), "--input",
                   kScenario, "--topic", topic});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(absl::StrCat("produced ", good.size(), " events to ",
                                    topic, " (", malformed.size(),
                                    " malformed lines skipped)")),
            std::string::npos)
      << r.out;
  for (int number : malformed) {
    EXPECT_NE(r.err.find(absl::StrCat(kScenario, ":", number, ": not sent: ")),
              std::string::npos)
        << r.err;
  }

  // Exit 0 came after every ack: everything is on the broker now.
  const std::vector<KcatRecord> records =
      KcatRead((*cluster)->bootstraps(), topic);
  ASSERT_EQ(records.size(), good.size());

  // Per key, in file order: the events expected under it.
  std::map<std::string, std::vector<std::string>> want_by_key;
  for (const Line& line : good) {
    ASSERT_FALSE(line.key.empty()) << "line " << line.number;
    want_by_key[line.key].push_back(line.event.SerializeAsString());
  }
  std::map<std::string, std::vector<std::pair<int64_t, std::string>>> got;
  bool anonymous_seen = false;
  for (const KcatRecord& rec : records) {
    v1::CallEvent event;
    ASSERT_TRUE(event.ParseFromString(rec.value)) << "offset " << rec.offset;
    // The key is the normalized caller (E.164) or "~<call_id>".
    EXPECT_EQ(rec.key, keys.KeyFor(event));
    if (rec.key[0] == '~') {
      anonymous_seen = true;
      EXPECT_EQ(rec.key, "~" + event.call_id());
    } else {
      EXPECT_EQ(rec.key[0], '+') << rec.key;
    }
    EXPECT_EQ(rec.partition, Murmur2Partition(rec.key, kProducePartitions))
        << rec.key;
    got[rec.key].push_back({rec.offset, event.SerializeAsString()});
  }
  EXPECT_TRUE(anonymous_seen) << "the scenario has anonymous callers";
  // The same events, each key's in the file's order (one partition per key).
  ASSERT_EQ(got.size(), want_by_key.size());
  for (auto& [key, list] : got) {
    std::sort(list.begin(), list.end());
    std::vector<std::string> payloads;
    for (const auto& [offset, payload] : list) payloads.push_back(payload);
    EXPECT_EQ(payloads, want_by_key[key]) << key;
  }
}

TEST(ProduceCommandTest, HelpExplainsEveryFlag) {
  const CommandResult r = RunCallflow({"produce", "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string flag :
       {"--brokers", "--input", "--topic", "--timeout", "--config"}) {
    bool explained = false;
    for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
      const size_t at = line.find(flag);
      // "  --flag TYPE [REQUIRED]   explanation..."
      if (at != absl::string_view::npos &&
          line.substr(at).find("  ") != absl::string_view::npos &&
          line.size() > at + flag.size() + 30) {
        explained = true;
      }
    }
    EXPECT_TRUE(explained) << flag << " in\n" << r.out;
  }
}

TEST(ProduceCommandTest, MissingInputFileIsAClearError) {
  const CommandResult r = RunCallflow({"produce", "--brokers", "127.0.0.1:9",
                                       "--input", "/nonexistent/events.jsonl"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("/nonexistent/events.jsonl"), std::string::npos)
      << r.err;
}

TEST(ProduceCommandTest, UnreachableBrokersFailWithinTheTimeout) {
  // Nothing listens on the discard port: every record times out after
  // --timeout and the command exits non-zero instead of hanging.
  const CommandResult r =
      RunCallflow({"produce", "--brokers", "127.0.0.1:9", "--input", kScenario,
                   "--timeout", "2s"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("were not delivered"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("127.0.0.1:9"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace callflow::pipeline::testing
