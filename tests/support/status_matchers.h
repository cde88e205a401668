// gmock matchers for absl::Status and absl::StatusOr<T>, for tests.
//
// ASSERT_TRUE(s.ok()) prints only "false" when it fails; these print the
// status (code and message), so a failed test says why:
//
//   ASSERT_THAT(store->Commit(std::nullopt), IsOk());
//   EXPECT_THAT(LoadConfig(path, {}),
//               StatusIs(absl::StatusCode::kInvalidArgument,
//                        HasSubstr("max_silence")));
//   CALLFLOW_ASSERT_OK_AND_ASSIGN(Config config, LoadConfig(path, {}));
//
// IsOk() also takes any other value with an `ok()`, printed by gtest or by
// its `message()` (google::protobuf::util::Status, rules::Verdict);
// StatusIs() takes absl::Status and absl::StatusOr<T>.
//
// Debian's abseil (20220623) has no absl/status/status_matchers.h; the names
// follow it, so moving to it later is a change of include and namespace.
// The namespace is `callflow_testing`, not `callflow::testing` (as abseil's
// is `absl_testing`): a `callflow::testing` in every test would capture the
// unqualified `testing::` that code inside namespace callflow writes for
// gtest's.
#pragma once

#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace callflow_testing {
namespace internal_status {

// Whether T is an absl::StatusOr. A type trait: no state, thread-safe.
template <typename T>
struct IsStatusOr : std::false_type {};
// The absl::StatusOr<T> case.
template <typename T>
struct IsStatusOr<absl::StatusOr<T>> : std::true_type {};

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// What a failed IsOk() adds to gtest's "Actual:" line about `value`:
// nothing where gtest prints it (absl::Status has an operator<<); the status
// of a StatusOr (printed as bytes); the message of a Verdict-like value.
template <typename T>
std::string Describe(const T& value) {
  if constexpr (IsStatusOr<T>::value) {
    return value.status().ToString();
  } else if constexpr (requires(std::ostream & os) { os << value; }) {
    return "";
  } else if constexpr (requires { value.message(); }) {
    return "not ok: " + std::string(value.message());
  } else {
    return "";
  }
}

// The matcher behind IsOk(). Stateless, so thread-safe.
class IsOkMatcher {
 public:
  template <typename T>
  bool MatchAndExplain(const T& value,
                       ::testing::MatchResultListener* listener) const {
    if (value.ok()) return true;
    if (std::string text = Describe(value); !text.empty()) {
      *listener << "which is " << text;
    }
    return false;
  }
  void DescribeTo(std::ostream* os) const { *os << "is OK"; }
  void DescribeNegationTo(std::ostream* os) const { *os << "is not OK"; }
};

// The matcher behind StatusIs(). Immutable after construction;
// thread-compatible.
class StatusIsMatcher {
 public:
  StatusIsMatcher(::testing::Matcher<absl::StatusCode> code,
                  ::testing::Matcher<const std::string&> message)
      : code_(std::move(code)), message_(std::move(message)) {}

  template <typename T>
  bool MatchAndExplain(const T& value,
                       ::testing::MatchResultListener* listener) const {
    const absl::Status& status = GetStatus(value);
    if constexpr (IsStatusOr<T>::value) *listener << "which is " << status;
    ::testing::StringMatchResultListener inner;
    if (!code_.MatchAndExplain(status.code(), &inner)) {
      if (!inner.str().empty()) *listener << " (code " << inner.str() << ")";
      return false;
    }
    if (!message_.MatchAndExplain(std::string(status.message()), &inner)) {
      if (!inner.str().empty()) *listener << " (message " << inner.str() << ")";
      return false;
    }
    return true;
  }
  void DescribeTo(std::ostream* os) const {
    *os << "has a status code that ";
    code_.DescribeTo(os);
    *os << ", and a message that ";
    message_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "has a status code that ";
    code_.DescribeNegationTo(os);
    *os << ", or a message that ";
    message_.DescribeNegationTo(os);
  }

 private:
  ::testing::Matcher<absl::StatusCode> code_;
  ::testing::Matcher<const std::string&> message_;
};

}  // namespace internal_status

// Matches an OK absl::Status or absl::StatusOr<T> (or another value with
// `ok()`); on failure prints the status.
inline ::testing::PolymorphicMatcher<internal_status::IsOkMatcher> IsOk() {
  return ::testing::MakePolymorphicMatcher(internal_status::IsOkMatcher());
}

// Matches an absl::Status or absl::StatusOr<T> whose code matches `code` (a
// StatusCode or a matcher of one) and whose message matches `message` (a
// string or a matcher of one, e.g. HasSubstr("...")).
template <typename CodeMatcher, typename MessageMatcher>
::testing::PolymorphicMatcher<internal_status::StatusIsMatcher> StatusIs(
    CodeMatcher code, MessageMatcher message) {
  return ::testing::MakePolymorphicMatcher(internal_status::StatusIsMatcher(
      ::testing::MatcherCast<absl::StatusCode>(std::move(code)),
      ::testing::MatcherCast<const std::string&>(std::move(message))));
}
template <typename CodeMatcher>
::testing::PolymorphicMatcher<internal_status::StatusIsMatcher> StatusIs(
    CodeMatcher code) {
  return StatusIs(std::move(code), ::testing::_);
}

}  // namespace callflow_testing

// Evaluates `rexpr` (an absl::StatusOr<T>), fails the test fatally (as
// ASSERT_THAT(..., IsOk()) does) unless it is OK, and otherwise moves its
// value into `lhs`, which may declare a variable:
//
//   CALLFLOW_ASSERT_OK_AND_ASSIGN(auto store, PartitionStore::Open(...));
//
// Like ASSERT_*, it may only be used in functions that return void.
#define CALLFLOW_ASSERT_OK_AND_ASSIGN(lhs, rexpr)                           \
  CALLFLOW_ASSERT_OK_AND_ASSIGN_IMPL_(                                      \
      CALLFLOW_STATUS_MATCHERS_CONCAT_(callflow_status_or_, __LINE__), lhs, \
      rexpr)

#define CALLFLOW_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr)      \
  auto statusor = (rexpr);                                             \
  ASSERT_THAT(statusor, ::callflow_testing::IsOk()) << "from " #rexpr; \
  lhs = *std::move(statusor)

#define CALLFLOW_STATUS_MATCHERS_CONCAT_(x, y) \
  CALLFLOW_STATUS_MATCHERS_CONCAT_IMPL_(x, y)
#define CALLFLOW_STATUS_MATCHERS_CONCAT_IMPL_(x, y) x##y
