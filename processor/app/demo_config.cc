#include "processor/app/demo_config.h"

namespace callflow::app {

const char kDemoConfigToml[] =
    R"toml(# callflow demo: the embedded configuration (used when --config is absent).
# Event time in the demo is compressed (about 20 simulated minutes per
# second of wall time), so the callback policy is compressed too: retries
# 2 h apart instead of one a day, so that callbacks are retried, end
# UNREACHABLE and escalate to e-mail within one simulated business day.
default_region = "RU"

[callback]
first_due = "1h"
retry_every = "2h"        # production default: "24h"
max_attempts = 3
overdue_after = "2h"

[alerts]
window = "5m"
min_calls = 20
missed_rate_threshold = 0.2

[billing]
free_under_seconds = 3
access_number_surcharge_kopecks = 45

# Tariffs in kopecks per billed minute, VAT included. The 8-800 lines are
# toll-free for callers, so the center pays for inbound minutes.
[lines.sales]
callback_number = "+78001002030"
tariff_inbound_kopecks = 190
tariff_outbound_kopecks = 150
time_zone = "Europe/Moscow"
business_hours = "09:00-21:00"

[lines.support]
callback_number = "+78001002040"
tariff_inbound_kopecks = 190
tariff_outbound_kopecks = 150
time_zone = "Europe/Moscow"
business_hours = "08:00-22:00"

[lines.hotline]
callback_number = "+74952302000"
tariff_inbound_kopecks = 35
tariff_outbound_kopecks = 120
time_zone = "Europe/Moscow"

# The DID behind the access number; its trunk goes down for an hour on some
# simulated days, which LINE_SILENT reports.
[lines.did-2302030]
callback_number = "+74952302030"
tariff_inbound_kopecks = 65
tariff_outbound_kopecks = 120
time_zone = "Europe/Moscow"
business_hours = "09:00-18:00"
max_silence = "20m"
)toml";

absl::StatusOr<Config> LoadDemoConfig(
    const std::map<std::string, std::string>& env) {
  return LoadConfigText(kDemoConfigToml, kDemoConfigSource, env);
}

}  // namespace callflow::app
