#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "callflow/v1/events.pb.h"

namespace callflow::ingest::testing {

// `callflow ingest` (or any subcommand) as a background child process with
// its stderr in `log`, for follow and topic modes, which run until a signal.
// The destructor kills a child still running. Not thread-safe.
class CallflowChild {
 public:
  CallflowChild(const std::vector<std::string>& args, std::string log);
  ~CallflowChild();
  CallflowChild(const CallflowChild&) = delete;
  CallflowChild& operator=(const CallflowChild&) = delete;

  // Waits for the start-up line (signals are handled from then on), sends
  // `signal` and returns the exit code (-1: killed by a signal).
  int Stop(int signal);
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string log_;
};

// Runs `command` with /bin/sh; returns its exit status (-1 when it did
// not exit) and its stdout. ShellResult is a plain value;
// thread-compatible.
struct ShellResult {
  int exit_code = -1;
  std::string out;
};
ShellResult RunShell(const std::string& command);

// The lines of a text file.
std::vector<std::string> ReadLines(const std::string& path);
// A CallEvent JSONL file, parsed (a test failure for a bad line).
std::vector<v1::CallEvent> ReadEvents(const std::string& path);

}  // namespace callflow::ingest::testing
