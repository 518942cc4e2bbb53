#include "http/rate_limits.h"

#include <cmath>

#include <fmt/format.h>

#include "common/json.h"

namespace plateau::http {

using namespace std::chrono_literals;

namespace {

Status parseLimit(const json::Value& qps, const json::Value& capacity, const std::string& where,
                  RateLimit* out) {
  if (!qps.isNull()) {
    if (!qps.isNumber() || !(qps.asDouble() > 0) || !std::isfinite(qps.asDouble())) {
      return {StatusCode::kInvalidArgument,
              fmt::format("--rate_limits: {}: qps must be a positive number", where)};
    }
    out->qps = qps.asDouble();
  }
  if (!capacity.isNull()) {
    if (!capacity.isNumber() || capacity.asDouble() < 0 ||
        capacity.asDouble() != std::floor(capacity.asDouble())) {
      return {StatusCode::kInvalidArgument,
              fmt::format("--rate_limits: {}: capacity must be a whole number", where)};
    }
    out->capacity = static_cast<uint64_t>(capacity.asDouble());
  }
  return Status::ok();
}

}  // namespace

Result<RateLimitsConfig> parseRateLimits(std::string_view text) {
  auto doc = json::parse(text);
  if (!doc) {
    return invalidArgument(fmt::format("--rate_limits: {}", doc.error().message()));
  }
  if (!doc->isObject()) {
    return invalidArgument("--rate_limits: expected a JSON object with 'limits'");
  }
  RateLimitsConfig config;
  const json::Value& limits = (*doc)["limits"];
  for (size_t i = 0; i < limits.asArray().size(); i++) {
    const json::Value& entry = limits[i];
    std::string where = fmt::format("limits[{}]", i);
    const std::string& principal = entry["principal"].asString();
    if (principal.empty()) {
      return invalidArgument(fmt::format("--rate_limits: {}: 'principal' is required", where));
    }
    RateLimit limit;
    if (Status s = parseLimit(entry["qps"], entry["capacity"], where, &limit); !s.isOk()) {
      return std::unexpected(s);
    }
    if (!config.principals.emplace(principal, limit).second) {
      return invalidArgument(
          fmt::format("--rate_limits: {}: principal '{}' is listed twice", where, principal));
    }
  }
  if (Status s = parseLimit((*doc)["aggregate_default_qps"], (*doc)["aggregate_default_capacity"],
                            "aggregate_default", &config.aggregate_default);
      !s.isOk()) {
    return std::unexpected(s);
  }
  return config;
}

Admission RateLimiter::admit(const std::string& principal,
                             std::chrono::steady_clock::time_point now) {
  auto listed = config_.principals.find(principal);
  const RateLimit& limit =
      listed != config_.principals.end() ? listed->second : config_.aggregate_default;
  if (!limit.qps) {
    return {};
  }
  Bucket& bucket = listed != config_.principals.end() ? buckets_[principal] : aggregate_;
  auto interval = std::chrono::nanoseconds(static_cast<int64_t>(1e9 / *limit.qps));
  // Calls released after `now`, that is, waiting in the queue.
  uint64_t queued = 0;
  if (bucket.last_release > now) {
    queued = static_cast<uint64_t>((bucket.last_release - now + interval - 1ns) / interval);
  }
  if (limit.capacity && queued >= *limit.capacity) {
    // A place frees when the oldest queued call is released (capacity 0 refuses every call,
    // as in Mesos: a retry is no better off, and one interval is as good a hint as any).
    std::chrono::nanoseconds wait = interval;
    if (queued > 0) {
      auto oldest = bucket.last_release - interval * static_cast<int64_t>(queued - 1);
      wait = std::max(std::chrono::nanoseconds(oldest - now), interval);
    }
    return {.kind = Admission::Kind::kReject, .wait = wait, .capacity = *limit.capacity};
  }
  auto release = std::max(now, bucket.last_release + interval);
  if (bucket.last_release == std::chrono::steady_clock::time_point{}) {
    release = now;
  }
  bucket.last_release = release;
  if (release <= now) {
    return {};
  }
  return {.kind = Admission::Kind::kDelay, .wait = release - now};
}

bool RateLimiter::limits(const std::string& principal) const {
  auto listed = config_.principals.find(principal);
  return listed != config_.principals.end() ? listed->second.qps.has_value()
                                            : config_.aggregate_default.qps.has_value();
}

}  // namespace plateau::http
