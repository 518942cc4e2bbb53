#pragma once

// Errors as values: a Status is a code plus a message, cheap when OK; Result<T> is
// std::expected<T, Status>. Nothing throws across a module boundary.

#include <expected>
#include <string>
#include <utility>

namespace plateau {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kPermissionDenied,
  kNotLeader,
  kUnavailable,
  kUnimplemented,
  kInternal,
};

// Code plus human-readable message. Default-constructed means OK.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }

  bool isOk() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <class T>
using Result = std::expected<T, Status>;

inline std::unexpected<Status> invalidArgument(std::string message) {
  return std::unexpected(Status(StatusCode::kInvalidArgument, std::move(message)));
}
inline std::unexpected<Status> notFound(std::string message) {
  return std::unexpected(Status(StatusCode::kNotFound, std::move(message)));
}
inline std::unexpected<Status> failedPrecondition(std::string message) {
  return std::unexpected(Status(StatusCode::kFailedPrecondition, std::move(message)));
}
inline std::unexpected<Status> internalError(std::string message) {
  return std::unexpected(Status(StatusCode::kInternal, std::move(message)));
}
inline std::unexpected<Status> unavailable(std::string message) {
  return std::unexpected(Status(StatusCode::kUnavailable, std::move(message)));
}

}  // namespace plateau
