#include "processor/pipeline/unproducible.h"

namespace callflow::pipeline {

std::string_view UnproducibleLabel(Unproducible reason) {
  switch (reason) {
    case Unproducible::kTooLarge:
      return "too_large";
    case Unproducible::kNotAuthorized:
      return "not_authorized";
    case Unproducible::kRejected:
      return "rejected";
  }
  return "rejected";
}

}  // namespace callflow::pipeline
