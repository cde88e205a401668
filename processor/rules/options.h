#pragma once

#include <map>
#include <optional>
#include <string>

#include "processor/rules/time.h"

namespace date {
class time_zone;
}

namespace callflow::rules {

// Per-line settings ([lines.<name>] in the config). A plain value;
// thread-compatible.
struct LineOptions {
  // Number filled into the e-mail template ({callback_number}). Default "".
  std::string callback_number;
  // Tariff per billed minute, kopecks, VAT included. Default 0.
  int64_t tariff_inbound_kopecks = 0;
  int64_t tariff_outbound_kopecks = 0;
  // IANA zone for business hours. Default "Europe/Moscow".
  std::string time_zone = "Europe/Moscow";
  // Resolved `time_zone`; set by the config loader (never null after loading).
  const date::time_zone* tz = nullptr;
  // Business hours as minutes after local midnight; both -1 = none (default).
  int business_open_minute = -1;
  int business_close_minute = -1;
  // LINE_SILENT after this long without an inbound start inside business
  // hours. 0 = no silence check (default).
  DurationNs max_silence = 0;
};

// Callback and e-mail tasks for missed calls ([callback] in the config).
// A plain value; thread-compatible.
struct CallbackOptions {
  DurationNs first_due = kHour;          // default "1h"
  DurationNs retry_every = 24 * kHour;   // default "24h"
  uint32_t max_attempts = 3;             // default 3
  DurationNs overdue_after = 2 * kHour;  // default "2h"
  std::string email_subject = "Вы пропустили важный звонок";
  std::string email_body =
      "Уточните, пожалуйста, когда можем с Вами связаться или перезвоните по "
      "номеру {callback_number}.";
};

// When REMINDER and FOLLOW_UP tasks fall due around a customer event
// ([reminders] in the config). A plain value; thread-compatible.
struct ReminderOptions {
  DurationNs before = 48 * kHour;  // default "48h"
  DurationNs after = 48 * kHour;   // default "48h"
};

// The MISSED_RATE_HIGH line alert ([alerts] in the config). A plain value;
// thread-compatible.
struct AlertOptions {
  DurationNs window = 5 * kMinute;     // default "5m"
  uint32_t min_calls = 20;             // default 20
  double missed_rate_threshold = 0.2;  // default 0.2
};

// Billed minutes and cost ([billing] in the config). A plain value;
// thread-compatible.
struct BillingOptions {
  uint32_t free_under_seconds = 3;               // default 3
  int64_t access_number_surcharge_kopecks = 45;  // default 45
};

// Everything the rules engine needs. Plain data, validated by the config
// loader; the engine never reads files, clocks or globals. Thread-compatible.
struct EngineOptions {
  std::string default_region = "RU";         // default "RU"
  DurationNs allowed_lateness = 0;           // default "0s"
  DurationNs max_call_duration = 4 * kHour;  // default "4h"
  // Events further than this from the watermark go to the DLQ. Default "7d".
  DurationNs max_event_skew = 7 * kDay;
  // Events whose occurred_at is further than this ahead of their reference
  // time (the Kafka record's timestamp in `run`, --now in `replay`) go to
  // the DLQ as FUTURE. Default "10m".
  DurationNs max_future_skew = 10 * kMinute;
  // How long event ids are remembered for de-duplication. Default "7d":
  // as long as max_event_skew, so every event still accepted is checked.
  DurationNs dedup_window = 7 * kDay;
  // Inbound legs abandoned before this are "short abandons" (metrics only).
  // Default "5s".
  DurationNs short_abandon = 5 * kSecond;
  CallbackOptions callback;
  ReminderOptions reminders;
  AlertOptions alerts;
  BillingOptions billing;
  std::map<std::string, LineOptions> lines;  // [lines.<name>]
  // Lines not listed use [lines.default] when present, else built-in defaults.
  const LineOptions& Line(std::string_view name) const;
};

}  // namespace callflow::rules
