#include "processor/app/stderr_log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace callflow::app {

void SendLogsToStderr() {
  // The same unnamed logger spdlog starts with (its lines carry no logger
  // name), writing to stderr instead of stdout.
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "", std::make_shared<spdlog::sinks::stderr_color_sink_mt>()));
}

}  // namespace callflow::app
