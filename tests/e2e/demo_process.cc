#include "tests/e2e/demo_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/processor/metrics/scrape.h"

namespace callflow::testing {

using Clock = std::chrono::steady_clock;

DemoProcess::DemoProcess(const std::filesystem::path& dir, int metrics_port,
                         const std::vector<std::string>& extra_args)
    : log_(dir / "demo.log"),
      out_(dir / "demo.out"),
      summary_(dir / "summary.json") {
  const std::string address = absl::StrCat("127.0.0.1:", metrics_port);
  std::vector<std::string> args = {
      CALLFLOW_BINARY,     "demo",  "--serve",   "--duration",     "5s",
      "--metrics-address", address, "--summary", summary_.string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    if (freopen(log_.c_str(), "w", stderr) == nullptr ||
        freopen(out_.c_str(), "w", stdout) == nullptr) {
      _exit(126);
    }
    execv(CALLFLOW_BINARY, argv.data());
    _exit(127);
  }
}

DemoProcess::~DemoProcess() { Stop(); }

bool DemoProcess::Exited() {
  if (exited_) return true;
  int status = 0;
  if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == pid_) {
    exited_ = true;
    exit_status_ = status;
  }
  return exited_;
}

bool DemoProcess::Stop() {
  if (pid_ <= 0) return false;
  if (!Exited()) {
    kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (!Exited() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!Exited()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &exit_status_, 0);
      exited_ = true;
    }
  }
  return WIFEXITED(exit_status_) && WEXITSTATUS(exit_status_) == 0;
}

bool DemoProcess::WaitForLog(const std::string& text,
                             std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (Log().find(text) != std::string::npos) return true;
    if (Exited()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string DemoProcess::Log() const {
  auto text = metrics::testing::ReadFile(log_.string());
  return text.ok() ? *text : "";
}

std::string DemoProcess::Output() const {
  auto text = metrics::testing::ReadFile(out_.string());
  return text.ok() ? *text : "";
}

}  // namespace callflow::testing
