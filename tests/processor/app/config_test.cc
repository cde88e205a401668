#include "processor/app/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "date/tz.h"
#include "tests/support/status_matchers.h"

namespace callflow::app {
namespace {

using ::callflow_testing::IsOk;
using ::callflow_testing::StatusIs;

using rules::kHour;
using rules::kMinute;
using rules::kSecond;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

using Env = std::map<std::string, std::string>;

// A TOML file in the test's temp dir.
class ConfigTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& toml) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::filesystem::path path = std::filesystem::path(::testing::TempDir()) /
                                 (std::string(info->name()) + ".toml");
    std::ofstream(path) << toml;
    return path.string();
  }
  absl::StatusOr<Config> Load(const std::string& toml, const Env& env = {}) {
    return LoadConfig(Write(toml), env);
  }
  std::string Error(const std::string& toml, const Env& env = {}) {
    auto c = Load(toml, env);
    EXPECT_THAT(c, StatusIs(absl::StatusCode::kInvalidArgument));
    return std::string(c.status().message());
  }
};

TEST_F(ConfigTest, DefaultsWithoutAFile) {
  auto c = LoadConfig("", {});
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->engine.default_region, "RU");
  EXPECT_EQ(c->engine.allowed_lateness, 0);
  EXPECT_EQ(c->engine.max_call_duration, 4 * kHour);
  EXPECT_EQ(c->engine.max_future_skew, 10 * kMinute);
  EXPECT_EQ(c->input.partitioner, pipeline::Partitioner::kMurmur2);
  EXPECT_EQ(c->engine.callback.first_due, kHour);
  EXPECT_EQ(c->engine.callback.max_attempts, 3u);
  EXPECT_EQ(c->engine.alerts.min_calls, 20u);
  EXPECT_DOUBLE_EQ(c->engine.alerts.missed_rate_threshold, 0.2);
  EXPECT_EQ(c->engine.billing.access_number_surcharge_kopecks, 45);
  EXPECT_TRUE(c->engine.lines.empty());
  EXPECT_EQ(c->topics.events, "callflow.events");
  EXPECT_EQ(c->pipeline.group_id, "callflow");
  EXPECT_EQ(c->state.dir, "./callflow-state");
  EXPECT_EQ(c->metrics_address, "0.0.0.0:9464");
  EXPECT_TRUE(c->kafka.empty());
}

TEST_F(ConfigTest, EveryKey) {
  auto c = Load(R"(
default_region = "by"
allowed_lateness = "30s"
max_call_duration = "2h"
max_event_skew = "3d"
max_future_skew = "2m"
dedup_window = "12h"
[callback]
first_due = "30m"
retry_every = "12h"
max_attempts = 5
overdue_after = "1h"
email_subject = "S"
email_body = "B {callback_number}"
[reminders]
before = "24h"
after = "72h"
[alerts]
window = "10m"
min_calls = 7
missed_rate_threshold = 0.5
[billing]
free_under_seconds = 5
access_number_surcharge_kopecks = 50
[metrics]
address = "127.0.0.1:9000"
short_abandon = "10s"
[state]
dir = "/var/lib/callflow"
memory_budget_mb = 512
[pipeline]
group_id = "g"
shards = 4
commit_interval_ms = 100
commit_max_events = 2000
ring_capacity = 1024
commit_slice_ms = 0
allowed_lateness = "5s"
shutdown_timeout = "20s"
[input]
partitioner = "any"
[topics]
events = "e"
tasks = "t"
alerts = "a"
contacts = "c"
dlq = "d"
[kafka]
"bootstrap.servers" = "b:9092"
[lines.sales]
callback_number = "+74950000000"
tariff_inbound_kopecks = 150
tariff_outbound_kopecks = 250
time_zone = "Asia/Yekaterinburg"
business_hours = "09:30-18:00"
max_silence = "30m"
)");
  ASSERT_THAT(c, IsOk());
  const rules::EngineOptions& e = c->engine;
  EXPECT_EQ(e.default_region, "BY");
  EXPECT_EQ(e.allowed_lateness, 30 * kSecond);
  EXPECT_EQ(e.max_call_duration, 2 * kHour);
  EXPECT_EQ(e.max_event_skew, 72 * kHour);
  EXPECT_EQ(e.max_future_skew, 2 * kMinute);
  EXPECT_EQ(e.dedup_window, 12 * kHour);
  EXPECT_EQ(e.callback.first_due, 30 * kMinute);
  EXPECT_EQ(e.callback.retry_every, 12 * kHour);
  EXPECT_EQ(e.callback.max_attempts, 5u);
  EXPECT_EQ(e.callback.overdue_after, kHour);
  EXPECT_EQ(e.callback.email_subject, "S");
  EXPECT_EQ(e.callback.email_body, "B {callback_number}");
  EXPECT_EQ(e.reminders.before, 24 * kHour);
  EXPECT_EQ(e.reminders.after, 72 * kHour);
  EXPECT_EQ(e.alerts.window, 10 * kMinute);
  EXPECT_EQ(e.alerts.min_calls, 7u);
  EXPECT_DOUBLE_EQ(e.alerts.missed_rate_threshold, 0.5);
  EXPECT_EQ(e.billing.free_under_seconds, 5u);
  EXPECT_EQ(e.billing.access_number_surcharge_kopecks, 50);
  EXPECT_EQ(c->metrics_address, "127.0.0.1:9000");
  EXPECT_EQ(e.short_abandon, 10 * kSecond);
  EXPECT_EQ(c->state.dir, "/var/lib/callflow");
  EXPECT_EQ(c->state.memory_budget_bytes, 512u << 20);
  EXPECT_EQ(c->pipeline.group_id, "g");
  EXPECT_EQ(c->pipeline.shards, 4u);
  EXPECT_EQ(c->pipeline.commit_interval_ms, 100u);
  EXPECT_EQ(c->pipeline.commit_max_events, 2000u);
  EXPECT_EQ(c->pipeline.ring_capacity, 1024u);
  EXPECT_EQ(c->pipeline.commit_slice_ms, 0u);
  EXPECT_EQ(c->pipeline.allowed_lateness_ns, 5 * kSecond);
  EXPECT_EQ(c->pipeline.shutdown_timeout_ns, 20 * kSecond);
  EXPECT_EQ(c->input.partitioner, pipeline::Partitioner::kAny);
  EXPECT_EQ(c->topics.events, "e");
  EXPECT_EQ(c->topics.tasks, "t");
  EXPECT_EQ(c->topics.alerts, "a");
  EXPECT_EQ(c->topics.contacts, "c");
  EXPECT_EQ(c->topics.dlq, "d");
  EXPECT_THAT(c->kafka,
              UnorderedElementsAre(Pair("bootstrap.servers", "b:9092")));
  ASSERT_EQ(e.lines.count("sales"), 1u);
  const rules::LineOptions& sales = e.lines.at("sales");
  EXPECT_EQ(sales.callback_number, "+74950000000");
  EXPECT_EQ(sales.tariff_inbound_kopecks, 150);
  EXPECT_EQ(sales.tariff_outbound_kopecks, 250);
  EXPECT_EQ(sales.time_zone, "Asia/Yekaterinburg");
  ASSERT_NE(sales.tz, nullptr);
  EXPECT_EQ(sales.tz->name(), "Asia/Yekaterinburg");
  EXPECT_EQ(sales.business_open_minute, 9 * 60 + 30);
  EXPECT_EQ(sales.business_close_minute, 18 * 60);
  EXPECT_EQ(sales.max_silence, 30 * kMinute);
}

// systemd sends SIGKILL TimeoutStopSec after SIGTERM: the default shutdown
// deadline must end the stop before that.
TEST_F(ConfigTest, DefaultShutdownTimeoutIsBelowTheUnitsStopTimeout) {
  std::ifstream in("ops/systemd/callflow.service");
  ASSERT_TRUE(in.good());
  std::stringstream unit;
  unit << in.rdbuf();
  std::smatch m;
  const std::string text = unit.str();
  ASSERT_TRUE(
      std::regex_search(text, m, std::regex(R"(TimeoutStopSec=(\d+))")));
  auto c = LoadConfig("", {});
  ASSERT_THAT(c, IsOk());
  EXPECT_LT(c->pipeline.shutdown_timeout_ns + 5 * kSecond,
            std::stoll(m[1]) * kSecond);
}

// A number with free text around it, and round-the-clock silence checks.
TEST_F(ConfigTest, CallbackNumberWithAnExtensionAndAllDayHoursLoad) {
  auto c = Load(R"([lines.sales]
callback_number = "+7 495 230-20-00 доб. 12"
business_hours = "00:00-24:00"
max_silence = "30m"
)");
  ASSERT_THAT(c, IsOk());
  const rules::LineOptions& sales = c->engine.lines.at("sales");
  EXPECT_EQ(sales.callback_number, "+7 495 230-20-00 доб. 12");
  EXPECT_EQ(sales.business_open_minute, 0);
  EXPECT_EQ(sales.business_close_minute, 24 * 60);
}

TEST_F(ConfigTest, LineDefaultsResolveTheTimeZone) {
  auto c = Load("[lines.support]\n");
  ASSERT_THAT(c, IsOk());
  const rules::LineOptions& line = c->engine.lines.at("support");
  EXPECT_EQ(line.time_zone, "Europe/Moscow");
  ASSERT_NE(line.tz, nullptr);
  EXPECT_EQ(line.tz->name(), "Europe/Moscow");
  EXPECT_EQ(line.business_open_minute, -1);
  EXPECT_EQ(line.max_silence, 0);
}

TEST_F(ConfigTest, KafkaDottedKeysAndNestedTablesAreFlattened) {
  auto c = Load(R"(
[kafka]
bootstrap.servers = "x:1"
"session.timeout.ms" = 6000
enable.idempotence = true
[kafka.queued.max]
messages.kbytes = 1048576
)");
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT(c->kafka, UnorderedElementsAre(
                            Pair("bootstrap.servers", "x:1"),
                            Pair("session.timeout.ms", "6000"),
                            Pair("enable.idempotence", "true"),
                            Pair("queued.max.messages.kbytes", "1048576")));
}

TEST_F(ConfigTest, KafkaConsumerAndProducerTablesKeepTheirScope) {
  auto c = Load(R"(
[kafka]
bootstrap.servers = "x:1"
[kafka.consumer]
"fetch.wait.max.ms" = 10
[kafka.producer]
linger.ms = 20
)");
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT(c->kafka,
              UnorderedElementsAre(Pair("bootstrap.servers", "x:1"),
                                   Pair("consumer.fetch.wait.max.ms", "10"),
                                   Pair("producer.linger.ms", "20")));
}

TEST_F(ConfigTest, KafkaPropertySetTwiceIsAnError) {
  // Two spellings of one property: TOML accepts it, the loader must not.
  EXPECT_THAT(Error("[kafka]\n\"a.b\" = \"1\"\na.b = \"2\"\n"),
              HasSubstr("kafka.a.b"));
}

TEST_F(ConfigTest, EnvironmentOverridesTheFile) {
  auto c = Load(R"(
default_region = "BY"
[callback]
first_due = "30m"
[lines.sales-msk]
tariff_inbound_kopecks = 100
[kafka]
bootstrap.servers = "file:9092"
)",
                Env{{"CALLFLOW_DEFAULT_REGION", "KZ"},
                    {"CALLFLOW_CALLBACK_FIRST_DUE", "2h"},
                    {"CALLFLOW_ALERTS_MISSED_RATE_THRESHOLD", "0.3"},
                    {"CALLFLOW_STATE_DIR", "/data"},
                    {"CALLFLOW_LINES_SALES_MSK_TARIFF_INBOUND_KOPECKS", "120"},
                    {"CALLFLOW_LINES_SALES_MSK_TIME_ZONE", "Europe/Samara"},
                    {"CALLFLOW_KAFKA_BOOTSTRAP_SERVERS", "env:9092"},
                    {"CALLFLOW_KAFKA_SECURITY_PROTOCOL", "ssl"},
                    {"PATH", "/usr/bin"}});
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->engine.default_region, "KZ");
  EXPECT_EQ(c->engine.callback.first_due, 2 * kHour);
  EXPECT_DOUBLE_EQ(c->engine.alerts.missed_rate_threshold, 0.3);
  EXPECT_EQ(c->state.dir, "/data");
  const rules::LineOptions& line = c->engine.lines.at("sales-msk");
  EXPECT_EQ(line.tariff_inbound_kopecks, 120);
  EXPECT_EQ(line.tz->name(), "Europe/Samara");
  EXPECT_THAT(c->kafka,
              UnorderedElementsAre(Pair("bootstrap.servers", "env:9092"),
                                   Pair("security.protocol", "ssl")));
}

TEST_F(ConfigTest, EnvironmentWorksWithoutAFile) {
  auto c = LoadConfig("", {{"CALLFLOW_PIPELINE_SHARDS", "3"}});
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->pipeline.shards, 3u);
}

TEST_F(ConfigTest, BadEnvironmentValueNamesTheVariableAndKey) {
  auto c = LoadConfig("", {{"CALLFLOW_CALLBACK_MAX_ATTEMPTS", "three"}});
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("config: callback.max_attempts (from "
                                    "CALLFLOW_CALLBACK_MAX_ATTEMPTS): expected "
                                    "an integer")));
}

// Found by fuzz/config_toml: "106752d" overflowed int64 nanoseconds while
// it was parsed (undefined behaviour; in practice a negative or absurdly
// small duration). Durations are at most 3650 days, so that the engine's
// sums of a time and a few durations fit too.
TEST_F(ConfigTest, DurationsLongerThanTenYearsAreRefused) {
  for (const std::string duration :
       {"106752d", "3651d", "1000000000d", "3650d1s", "2000d2000d"}) {
    EXPECT_THAT(Error("[callback]\nretry_every = \"" + duration + "\"\n"),
                HasSubstr("callback.retry_every: bad duration '" + duration +
                          "': longer than 3650d"));
    auto c = LoadConfig("", {{"CALLFLOW_CALLBACK_FIRST_DUE", duration}});
    ASSERT_THAT(c, StatusIs(absl::StatusCode::kInvalidArgument,
                            HasSubstr("longer than 3650d")))
        << duration;
  }
  auto c = Load("[callback]\nretry_every = \"3650d\"\n");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->engine.callback.retry_every, 3650 * rules::kDay);
}

TEST_F(ConfigTest, UnknownEnvironmentVariableIsAnError) {
  auto c = LoadConfig("", {{"CALLFLOW_CALLBACK_FIST_DUE", "1h"}});
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("CALLFLOW_CALLBACK_FIST_DUE")));
  // A line not named in the file has no variables.
  EXPECT_THAT(LoadConfig("", {{"CALLFLOW_LINES_SALES_MAX_SILENCE", "1m"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ConfigTest, UnknownKeysAreErrorsNamingTheKey) {
  EXPECT_THAT(Error("[callback]\nfist_due = \"1h\"\n"),
              HasSubstr("config: unknown key 'callback.fist_due'"));
  EXPECT_THAT(Error("colour = \"red\"\n"),
              HasSubstr("config: unknown key 'colour'"));
  EXPECT_THAT(Error("[sound]\nvolume = 3\n"),
              HasSubstr("config: unknown key 'sound.volume'"));
  EXPECT_THAT(Error("[lines.sales]\ntariff = 1\n"),
              HasSubstr("config: unknown key 'lines.sales.tariff'"));
  EXPECT_THAT(Error("[sound]\n"), HasSubstr("config: unknown key 'sound'"));
  // The sizes the memory budget replaced say what to set instead.
  EXPECT_THAT(Error("[state]\nblock_cache_mb = 64\n"),
              HasSubstr("set [state] memory_budget_mb instead"));
  EXPECT_THAT(Error("[callback.first_due]\nx = 1\n"),
              HasSubstr("config: callback.first_due: expected a string, got "
                        "a table"));
}

TEST_F(ConfigTest, BadValuesNameTheKey) {
  const std::pair<std::string, std::string> cases[] = {
      {"[callback]\nfirst_due = \"soon\"\n", "config: callback.first_due: "},
      {"[callback]\nfirst_due = 60\n",
       "config: callback.first_due: expected a string"},
      {"[callback]\nmax_attempts = 0\n",
       "config: callback.max_attempts: must be in [1, "},
      {"[callback]\nmax_attempts = 1.5\n",
       "config: callback.max_attempts: expected an integer"},
      {"[alerts]\nmissed_rate_threshold = 1.5\n",
       "config: alerts.missed_rate_threshold: "},
      {"[alerts]\nwindow = \"0s\"\n",
       "config: alerts.window: must be more than 0s, got '0s'"},
      // Found by a review: accepted, and sent to customers or never checked.
      {"[callback]\nemail_body = \"call {callback_number} about {foo}\"\n",
       "config: callback.email_body: unknown placeholder '{foo}'"},
      {"[callback]\nemail_body = \"call {callback_number\"\n",
       "config: callback.email_body: unknown placeholder '{callback_number'"},
      {"[callback]\nemail_subject = \"Missed call {foo}\"\n",
       "config: callback.email_subject: unknown placeholder '{foo}'"},
      {"[kafka]\n\"bootstrap.servers\" = \"  \"\n",
       "config: kafka.bootstrap.servers: is empty"},
      {"[lines.x]\ncallback_number = \"garbage\"\n",
       "config: lines.x.callback_number: expected a phone number"},
      {"[lines.x]\ncallback_number = \"12\"\n",
       "config: lines.x.callback_number: expected a phone number"},
      {"[lines.x]\nmax_silence = \"30m\"\n",
       "config: lines.x.max_silence: needs business_hours"},
      {"default_region = \"Russia\"\n", "config: default_region: "},
      // Well formed, but no country's: every national number would be
      // unparseable, so every caller anonymous (a user's replay: 11 of 14).
      {"default_region = \"XX\"\n",
       "config: default_region: unknown region code 'XX'"},
      {"[topics]\nevents = \"\"\n", "config: topics.events: must not be empty"},
      {"[input]\npartitioner = \"crc32\"\n",
       "config: input.partitioner: expected \"murmur2\" or \"any\", got "
       "'crc32'"},
      {"max_future_skew = \"soon\"\n", "config: max_future_skew: "},
      {"[billing]\nfree_under_seconds = -1\n",
       "config: billing.free_under_seconds: "},
      {"[lines.x]\ntime_zone = \"Mars/Olympus\"\n",
       "config: lines.x.time_zone: unknown time zone 'Mars/Olympus'"},
      {"[lines.x]\nbusiness_hours = \"9-18\"\n",
       "config: lines.x.business_hours: "},
      {"[lines.x]\nbusiness_hours = \"09:00-09:00\"\n",
       "config: lines.x.business_hours: "},
      {"[lines.x]\nbusiness_hours = \"09:00-24:30\"\n",
       "config: lines.x.business_hours: "},
      {"[lines.x]\ntariff_inbound_kopecks = -5\n",
       "config: lines.x.tariff_inbound_kopecks: "},
      {"[kafka]\n\"acks\" = [1]\n", "config: kafka.acks: "},
      {"callback = 3\n", "config: callback: expected a table"},
      {"lines = 3\n", "config: lines: expected a table"},
      {"[lines]\nsales = 3\n", "config: lines.sales: expected a table"},
  };
  for (const auto& [toml, error] : cases) {
    EXPECT_THAT(Error(toml), HasSubstr(error)) << toml;
  }
}

TEST_F(ConfigTest, BusinessHoursMayEndAtMidnight) {
  auto c = Load("[lines.x]\nbusiness_hours = \"00:00-24:00\"\n");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->engine.lines.at("x").business_close_minute, 24 * 60);
}

TEST_F(ConfigTest, BusinessHoursMayRunPastMidnight) {
  auto c = Load("[lines.x]\nbusiness_hours = \"22:00-06:00\"\n");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->engine.lines.at("x").business_open_minute, 22 * 60);
  EXPECT_EQ(c->engine.lines.at("x").business_close_minute, 6 * 60);
}

TEST_F(ConfigTest, SyntaxErrorsGiveTheFileAndLine) {
  const std::string path = Write("[callback\n");
  auto c = LoadConfig(path, {});
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("config: " + path + ":1:")));
}

TEST_F(ConfigTest, MissingFileIsAnError) {
  auto c = LoadConfig("/nonexistent/callflow.toml", {});
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("/nonexistent/callflow.toml")));
}

// ops/callflow.example.toml lists every key with its default (or, where it
// says so, an example value): uncommented, it loads and gives the built-in
// defaults.
TEST_F(ConfigTest, ExampleConfigUncommentedGivesTheDefaults) {
  std::ifstream in(std::string(CALLFLOW_SOURCE_DIR) +
                   "/ops/callflow.example.toml");
  ASSERT_TRUE(in) << "ops/callflow.example.toml";
  std::stringstream uncommented;
  std::string line;
  const std::regex setting(R"(^# ([a-z_."]+ = .*|\[lines\.default\]$))");
  int settings = 0;
  bool kafka_form_seen = false;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, setting)) {
      // The two [kafka] lines show alternative spellings: keep one.
      if (line.find("bootstrap.servers") != std::string::npos) {
        if (kafka_form_seen) continue;
        kafka_form_seen = true;
      }
      uncommented << m[1] << "\n";
      ++settings;
    } else {
      uncommented << line << "\n";
    }
  }
  EXPECT_GE(settings, 40);
  auto c = Load(uncommented.str());
  ASSERT_THAT(c, IsOk()) << "\n" << uncommented.str();
  auto d = LoadConfig("", {});
  ASSERT_THAT(d, IsOk());
  const rules::EngineOptions& e = c->engine;
  const rules::EngineOptions& de = d->engine;
  EXPECT_EQ(e.default_region, de.default_region);
  EXPECT_EQ(e.allowed_lateness, de.allowed_lateness);
  EXPECT_EQ(e.max_call_duration, de.max_call_duration);
  EXPECT_EQ(e.max_event_skew, de.max_event_skew);
  EXPECT_EQ(e.max_future_skew, de.max_future_skew);
  EXPECT_EQ(e.dedup_window, de.dedup_window);
  EXPECT_EQ(e.short_abandon, de.short_abandon);
  EXPECT_EQ(e.callback.first_due, de.callback.first_due);
  EXPECT_EQ(e.callback.retry_every, de.callback.retry_every);
  EXPECT_EQ(e.callback.max_attempts, de.callback.max_attempts);
  EXPECT_EQ(e.callback.overdue_after, de.callback.overdue_after);
  EXPECT_EQ(e.callback.email_subject, de.callback.email_subject);
  EXPECT_EQ(e.callback.email_body, de.callback.email_body);
  EXPECT_EQ(e.reminders.before, de.reminders.before);
  EXPECT_EQ(e.reminders.after, de.reminders.after);
  EXPECT_EQ(e.alerts.window, de.alerts.window);
  EXPECT_EQ(e.alerts.min_calls, de.alerts.min_calls);
  EXPECT_EQ(e.alerts.missed_rate_threshold, de.alerts.missed_rate_threshold);
  EXPECT_EQ(e.billing.free_under_seconds, de.billing.free_under_seconds);
  EXPECT_EQ(e.billing.access_number_surcharge_kopecks,
            de.billing.access_number_surcharge_kopecks);
  EXPECT_EQ(c->input.partitioner, d->input.partitioner);
  EXPECT_EQ(c->metrics_address, d->metrics_address);
  EXPECT_EQ(c->state.dir, d->state.dir);
  EXPECT_EQ(c->state.memory_budget_bytes, d->state.memory_budget_bytes);
  EXPECT_EQ(c->pipeline.group_id, d->pipeline.group_id);
  EXPECT_EQ(c->pipeline.shards, d->pipeline.shards);
  EXPECT_EQ(c->pipeline.commit_interval_ms, d->pipeline.commit_interval_ms);
  EXPECT_EQ(c->pipeline.commit_max_events, d->pipeline.commit_max_events);
  EXPECT_EQ(c->pipeline.ring_capacity, d->pipeline.ring_capacity);
  EXPECT_EQ(c->pipeline.commit_slice_ms, d->pipeline.commit_slice_ms);
  EXPECT_EQ(c->pipeline.allowed_lateness_ns, d->pipeline.allowed_lateness_ns);
  EXPECT_EQ(c->topics.events, d->topics.events);
  EXPECT_EQ(c->topics.tasks, d->topics.tasks);
  EXPECT_EQ(c->topics.alerts, d->topics.alerts);
  EXPECT_EQ(c->topics.contacts, d->topics.contacts);
  EXPECT_EQ(c->topics.dlq, d->topics.dlq);
  const rules::LineOptions& dflt = e.lines.at("default");
  const rules::LineOptions built_in;
  EXPECT_EQ(dflt.callback_number, built_in.callback_number);
  EXPECT_EQ(dflt.tariff_inbound_kopecks, built_in.tariff_inbound_kopecks);
  EXPECT_EQ(dflt.tariff_outbound_kopecks, built_in.tariff_outbound_kopecks);
  EXPECT_EQ(dflt.time_zone, built_in.time_zone);
}

}  // namespace
}  // namespace callflow::app

namespace callflow::app {
namespace {

// [ingest] (callflow ingest): line and max_idle, checked like the rest.
TEST_F(ConfigTest, IngestSectionKeysAndErrors) {
  auto d = Load("");
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->ingest.line, ingest::LineFrom::kQueue);
  EXPECT_EQ(d->ingest.max_idle_ns, 2 * rules::kSecond);
  auto c = Load("[ingest]\nline = \"did\"\nmax_idle = \"0s\"\n");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->ingest.line, ingest::LineFrom::kDid);
  EXPECT_EQ(c->ingest.max_idle_ns, 0);
  EXPECT_THAT(Error("[ingest]\nline = \"trunk\"\n"),
              HasSubstr("config: ingest.line: expected \"queue\" or \"did\""));
  EXPECT_THAT(Error("[ingest]\nmax_idle = \"soon\"\n"),
              HasSubstr("config: ingest.max_idle"));
  EXPECT_THAT(Error("[ingest]\nmax_idel = \"2s\"\n"),
              HasSubstr("unknown key 'ingest.max_idel'"));
  auto env = Load("", {{"CALLFLOW_INGEST_MAX_IDLE", "5s"}});
  ASSERT_THAT(env, IsOk());
  EXPECT_EQ(env->ingest.max_idle_ns, 5 * rules::kSecond);
}

}  // namespace
}  // namespace callflow::app
