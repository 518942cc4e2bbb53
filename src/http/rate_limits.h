#pragma once

// Mesos's --rate_limits: per-principal call rates (qps) with a queue of at most `capacity`
// calls waiting for their turn, and a shared aggregate for principals not listed. Pure: time
// comes in as an argument, and the caller (the master's scheduler and operator dispatch) holds
// or answers the call as admit() decides. Which principal a call counts under is the caller's
// choice (the master: docs/security.md, "Rate limits").

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "common/status.h"

namespace plateau::http {

// One principal's (or the aggregate's) limit. No qps: unlimited. No capacity: the queue is
// unbounded (Mesos's default).
struct RateLimit {
  std::optional<double> qps;
  std::optional<uint64_t> capacity;
};

// The parsed --rate_limits value.
struct RateLimitsConfig {
  std::map<std::string, RateLimit> principals;
  RateLimit aggregate_default;
};

// Parses Mesos's JSON shape: {"limits":[{"principal":"p","qps":10,"capacity":100},...],
// "aggregate_default_qps":5,"aggregate_default_capacity":50}. kInvalidArgument naming the place
// for a missing principal, a duplicate one, or a qps that is not a positive number.
Result<RateLimitsConfig> parseRateLimits(std::string_view json);

// The decision for one call.
struct Admission {
  enum class Kind { kNow, kDelay, kReject } kind = Kind::kNow;
  // kDelay: how long to hold the call before handling it. kReject: when a retry may succeed
  // (for Retry-After).
  std::chrono::nanoseconds wait{0};
  // kReject: the capacity that was full (for Mesos's "capacity(N) exceeded" message).
  uint64_t capacity = 0;
};

// Spaces calls 1/qps apart per principal (or per aggregate), queueing up to capacity.
// Invariant: for each bucket, `last_release_` is the time the most recently admitted call is
// (or was) released; calls queued = those whose release is still in the future.
class RateLimiter {
 public:
  explicit RateLimiter(RateLimitsConfig config) : config_(std::move(config)) {}
  // Decides for a call of `principal` at `now`; an admitted call counts against the limit.
  // A principal not listed (the empty one, a call without a principal, included) shares the
  // aggregate default, as in Mesos; without aggregate_default_qps it is not limited.
  Admission admit(const std::string& principal, std::chrono::steady_clock::time_point now);
  // Whether calls of `principal` are limited at all (listed with a qps, or unlisted with an
  // aggregate qps).
  bool limits(const std::string& principal) const;

 private:
  struct Bucket {
    std::chrono::steady_clock::time_point last_release{};
  };

  RateLimitsConfig config_;
  std::map<std::string, Bucket> buckets_;
  Bucket aggregate_;
};

}  // namespace plateau::http
