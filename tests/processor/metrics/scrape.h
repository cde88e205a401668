#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace callflow::metrics::testing {

using LabelMap = std::map<std::string, std::string>;

// One sample line of the Prometheus text exposition format. A plain value;
// thread-compatible.
struct Sample {
  std::string name;
  LabelMap labels;
  double value = 0;
};

// A parsed exposition: the declared type of each family and every sample.
// A plain value; thread-compatible.
struct Exposition {
  std::map<std::string, std::string> types;  // family name -> "counter", ...
  std::vector<Sample> samples;

  // The value of the sample with exactly these labels; nullopt when absent.
  std::optional<double> Value(std::string_view name,
                              const LabelMap& labels = {}) const;
  // Every sample of this exact name.
  std::vector<const Sample*> Named(std::string_view name) const;
};

// HTTP/1.0 GET of http://127.0.0.1:<port><path> over a plain socket; the body
// of a 200 response, else an error naming the status line.
absl::StatusOr<std::string> HttpGet(int port, std::string_view path);

// Parses the text format (version 0.0.4); errors name the offending line.
absl::StatusOr<Exposition> ParseExposition(std::string_view text);

// HttpGet(port, "/metrics") + ParseExposition.
absl::StatusOr<Exposition> Scrape(int port);

// The whole file, or an error naming it.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace callflow::metrics::testing
