#include "tests/processor/ingest/ingest_test_util.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "processor/codec/codec.h"
#include "tests/processor/pipeline/pipeline_test_util.h"
#include "tests/support/status_matchers.h"

namespace callflow::ingest::testing {

using ::callflow_testing::IsOk;

CallflowChild::CallflowChild(const std::vector<std::string>& args,
                             std::string log)
    : log_(std::move(log)) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(CALLFLOW_BINARY));
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    if (freopen(log_.c_str(), "w", stderr) == nullptr ||
        freopen("/dev/null", "w", stdout) == nullptr) {
      _exit(126);
    }
    execv(CALLFLOW_BINARY, argv.data());
    _exit(127);
  }
}

CallflowChild::~CallflowChild() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string CallflowChild::Log() const {
  std::ifstream in(log_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int CallflowChild::Stop(int signal) {
  EXPECT_TRUE(pipeline::testing::WaitFor(
      [&] { return Log().find("ingest: reading") != std::string::npos; },
      std::chrono::seconds(60)))
      << Log();
  kill(pid_, signal);
  int status = 0;
  EXPECT_EQ(waitpid(pid_, &status, 0), pid_);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

ShellResult RunShell(const std::string& command) {
  ShellResult result;
  FILE* p = popen(command.c_str(), "r");
  EXPECT_NE(p, nullptr) << command;
  if (p == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) result.out.append(buf, n);
  const int status = pclose(p);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::vector<v1::CallEvent> ReadEvents(const std::string& path) {
  std::vector<v1::CallEvent> events;
  for (const std::string& line : ReadLines(path)) {
    v1::CallEvent e;
    EXPECT_THAT(codec::ParseEventJson(line, &e), IsOk()) << line;
    events.push_back(e);
  }
  return events;
}

}  // namespace callflow::ingest::testing
