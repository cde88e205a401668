#include "tests/processor/metrics/prometheus_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tests/processor/metrics/scrape.h"

namespace callflow::metrics::testing {

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return -1;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

std::unique_ptr<PrometheusProcess> PrometheusProcess::Start(int target_port) {
  auto p = std::unique_ptr<PrometheusProcess>(new PrometheusProcess());
  auto dir = util::TempDir::Create("callflow-prometheus");
  if (!dir.ok()) return nullptr;
  p->tmp_.emplace(*std::move(dir));
  p->dir_ = p->tmp_->path();
  p->port_ = FreePort();
  if (p->port_ < 0) return nullptr;
  const std::string rules =
      std::filesystem::absolute("ops/prometheus/rules.yml").string();
  std::ofstream(p->dir_ / "prometheus.yml")
      << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      << "rule_files:\n  - " << rules << "\n"
      << "scrape_configs:\n  - job_name: callflow\n    static_configs:\n"
      << "      - targets: ['127.0.0.1:" << target_port << "']\n";
  const std::string config = (p->dir_ / "prometheus.yml").string();
  const std::string data = (p->dir_ / "data").string();
  const std::string log = (p->dir_ / "prometheus.log").string();
  const std::string listen = "127.0.0.1:" + std::to_string(p->port_);
  p->pid_ = fork();
  if (p->pid_ == 0) {
    FILE* out = freopen(log.c_str(), "w", stdout);
    if (out != nullptr) dup2(fileno(out), STDERR_FILENO);
    execlp("prometheus", "prometheus", ("--config.file=" + config).c_str(),
           ("--storage.tsdb.path=" + data).c_str(),
           ("--web.listen-address=" + listen).c_str(), nullptr);
    _exit(127);
  }
  return p;
}

PrometheusProcess::~PrometheusProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

std::optional<PrometheusProcess::Result> PrometheusProcess::Query(
    const std::string& q) {
  absl::StatusOr<std::string> body = HttpGet(port_, "/api/v1/query?query=" + q);
  if (!body.ok()) return std::nullopt;
  google::protobuf::Struct json;
  if (!google::protobuf::util::JsonStringToMessage(*body, &json).ok()) {
    return std::nullopt;
  }
  const auto& top = json.fields();
  if (!top.contains("data")) return std::nullopt;
  const auto& data = top.at("data").struct_value().fields();
  if (!data.contains("result")) return std::nullopt;
  Result out;
  for (const auto& r : data.at("result").list_value().values()) {
    const auto& fields = r.struct_value().fields();
    if (!fields.contains("metric") || !fields.contains("value")) continue;
    const auto& metric = fields.at("metric").struct_value().fields();
    const std::string line =
        metric.contains("line") ? metric.at("line").string_value() : "";
    out[line] =
        std::stod(fields.at("value").list_value().values(1).string_value());
  }
  return out;
}

PrometheusProcess::Result PrometheusProcess::WaitFor(
    const std::string& q, const std::function<bool(const Result&)>& done,
    std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Result last;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto r = Query(q); r.has_value()) {
      last = *r;
      if (done(last)) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return last;
}

std::string PrometheusProcess::Log() const {
  auto text = ReadFile((dir_ / "prometheus.log").string());
  return text.ok() ? *text : "";
}

}  // namespace callflow::metrics::testing
