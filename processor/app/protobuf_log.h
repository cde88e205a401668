#pragma once

namespace callflow::app {

// Routes the protobuf library's own log lines (e.g. "invalid UTF-8 data" for
// every undecodable payload, which the DLQ already records with a reason)
// to stderr at most once a second, with a count of the lines held back, so
// a burst of bad input cannot flood the log. Call once at start-up, before
// any thread starts (protobuf's SetLogHandler is not thread-safe).
void InstallRateLimitedProtobufLog();

}  // namespace callflow::app
