#include "tests/processor/metrics/scrape.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace callflow::metrics::testing {

std::optional<double> Exposition::Value(std::string_view name,
                                        const LabelMap& labels) const {
  for (const Sample& s : samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return std::nullopt;
}

std::vector<const Sample*> Exposition::Named(std::string_view name) const {
  std::vector<const Sample*> out;
  for (const Sample& s : samples) {
    if (s.name == name) out.push_back(&s);
  }
  return out;
}

absl::StatusOr<std::string> HttpGet(int port, std::string_view path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError(std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const std::string error = std::strerror(errno);
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("connect 127.0.0.1:", port, ": ", error));
  }
  const std::string request = absl::StrCat(
      "GET ", std::string(path), " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, 0);
    if (n <= 0) {
      close(fd);
      return absl::UnavailableError("send failed");
    }
    sent += static_cast<size_t>(n);
  }
  std::string response;
  char buf[8192];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const size_t header_end = response.find("\r\n\r\n");
  if (header_end == std::string::npos) {
    return absl::DataLossError(absl::StrCat("no HTTP header in: ", response));
  }
  const std::string status_line = response.substr(0, response.find("\r\n"));
  if (status_line.find(" 200 ") == std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat("GET ", std::string(path), ": ", status_line));
  }
  return response.substr(header_end + 4);
}

namespace {

// Parses `{a="x",b="y"}` at the start of `rest`, advancing it.
absl::Status ParseLabels(std::string_view& rest, LabelMap* labels) {
  rest.remove_prefix(1);  // '{'
  while (!rest.empty() && rest.front() != '}') {
    const size_t eq = rest.find('=');
    if (eq == std::string_view::npos || eq + 1 >= rest.size() ||
        rest[eq + 1] != '"') {
      return absl::InvalidArgumentError("bad label");
    }
    std::string name(rest.substr(0, eq));
    rest.remove_prefix(eq + 2);
    std::string value;
    while (!rest.empty() && rest.front() != '"') {
      if (rest.front() == '\\' && rest.size() > 1) {
        const char c = rest[1];
        value.push_back(c == 'n' ? '\n' : c);
        rest.remove_prefix(2);
      } else {
        value.push_back(rest.front());
        rest.remove_prefix(1);
      }
    }
    if (rest.empty()) return absl::InvalidArgumentError("unterminated value");
    rest.remove_prefix(1);  // closing quote
    if (!labels->emplace(std::move(name), std::move(value)).second) {
      return absl::InvalidArgumentError("repeated label");
    }
    if (!rest.empty() && rest.front() == ',') rest.remove_prefix(1);
  }
  if (rest.empty()) return absl::InvalidArgumentError("unterminated labels");
  rest.remove_prefix(1);  // '}'
  return absl::OkStatus();
}

bool ParseValue(std::string_view text, double* value) {
  if (text == "+Inf") {
    *value = std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "-Inf") {
    *value = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "NaN") {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  return absl::SimpleAtod(std::string(text), value);
}

}  // namespace

absl::StatusOr<Exposition> ParseExposition(std::string_view text) {
  Exposition out;
  int line_number = 0;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++line_number;
    auto error = [&](std::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_number, " (",
                                                     std::string(what),
                                                     "): ", std::string(line)));
    };
    if (line.empty()) continue;
    if (line.starts_with("# TYPE ")) {
      const std::string_view rest = line.substr(7);
      const size_t space = rest.find(' ');
      if (space == std::string_view::npos) return error("bad TYPE");
      out.types[std::string(rest.substr(0, space))] =
          std::string(rest.substr(space + 1));
      continue;
    }
    if (line.front() == '#') continue;
    Sample sample;
    const size_t name_end = line.find_first_of("{ ");
    if (name_end == std::string_view::npos || name_end == 0) {
      return error("no name");
    }
    sample.name = std::string(line.substr(0, name_end));
    std::string_view rest = line.substr(name_end);
    if (rest.front() == '{') {
      if (absl::Status s = ParseLabels(rest, &sample.labels); !s.ok()) {
        return error(std::string(s.message()));
      }
    }
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    const std::string_view value = rest.substr(0, rest.find(' '));
    if (!ParseValue(value, &sample.value)) return error("bad value");
    out.samples.push_back(std::move(sample));
  }
  return out;
}

absl::StatusOr<Exposition> Scrape(int port) {
  absl::StatusOr<std::string> body = HttpGet(port, "/metrics");
  if (!body.ok()) return body.status();
  return ParseExposition(*body);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace callflow::metrics::testing
