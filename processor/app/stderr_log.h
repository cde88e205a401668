#pragma once

namespace callflow::app {

// Sends spdlog's default logger (every module's log lines) to stderr, as
// the documentation promises: stdout carries only a command's own output
// (the demo's and replay's KPI report, `inspect`'s JSON), so it can be
// redirected or piped without log lines in it. Call once at start-up, before
// any thread logs.
void SendLogsToStderr();

}  // namespace callflow::app
