#include "processor/rules/options.h"

namespace callflow::rules {

const LineOptions& EngineOptions::Line(std::string_view name) const {
  if (auto it = lines.find(std::string(name)); it != lines.end()) {
    return it->second;
  }
  if (auto it = lines.find("default"); it != lines.end()) return it->second;
  static const LineOptions kBuiltIn;  // immutable built-in defaults
  return kBuiltIn;
}

}  // namespace callflow::rules
