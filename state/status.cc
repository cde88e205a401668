#include "state/status.h"

#include "absl/strings/str_cat.h"

namespace callflow::state {
namespace {

absl::StatusCode CodeOf(const rocksdb::Status& status) {
  using Code = rocksdb::Status::Code;
  switch (status.code()) {
    case Code::kOk:
      return absl::StatusCode::kOk;
    case Code::kNotFound:
      return absl::StatusCode::kNotFound;
    case Code::kCorruption:
      return absl::StatusCode::kDataLoss;
    case Code::kNotSupported:
      return absl::StatusCode::kUnimplemented;
    case Code::kInvalidArgument:
      return absl::StatusCode::kInvalidArgument;
    case Code::kAborted:
      return absl::StatusCode::kAborted;
    case Code::kBusy:
    case Code::kTimedOut:
    case Code::kTryAgain:
    case Code::kShutdownInProgress:
    case Code::kIncomplete:
      return absl::StatusCode::kUnavailable;
    case Code::kIOError:
      return status.IsNoSpace() ? absl::StatusCode::kResourceExhausted
                                : absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

absl::Status FromRocksDb(const rocksdb::Status& status,
                         std::string_view context) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(
      CodeOf(status),
      absl::StrCat(absl::string_view(context.data(), context.size()), ": ",
                   status.ToString()));
}

}  // namespace callflow::state
