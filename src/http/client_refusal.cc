#include "http/client_refusal.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>
#include <spdlog/logger.h>

namespace plateau::http {

Response tooManyFromClient(const std::string& client, const ClientRateLimiter::Options& options,
                           std::string_view flag, std::chrono::nanoseconds wait) {
  auto seconds = std::max<int64_t>(
      static_cast<int64_t>(std::ceil(std::chrono::duration<double>(wait).count())), 1);
  Response response = Response::text(
      429, fmt::format("Too many requests from {}: over {} a second after a burst of {} "
                       "(--{}_qps, --{}_capacity); retry after {} s",
                       client, options.qps, options.capacity, flag, flag, seconds));
  response.headers["retry-after"] = std::to_string(seconds);
  return response;
}

Status checkClientLimitFlags(std::string_view flag, double qps, int capacity) {
  if (!(qps >= 0) || !std::isfinite(qps)) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Flag '--{}_qps' must be a number of 0 (no limit) or more", flag)};
  }
  if (qps > 0 && capacity < 1) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Flag '--{}_capacity' must be at least 1", flag)};
  }
  return {};
}

std::string clientOf(const Request& request) {
  return request.principal.empty() ? "address " + clientAddress(request.remote)
                                   : "principal " + request.principal;
}

std::optional<Response> limitClientRequest(ClientRateLimiter& limiter, const Request& request,
                                           ClientRateLimiter::TimePoint now,
                                           metrics::Counter& refused, spdlog::logger& log) {
  const std::string client = clientOf(request);
  auto wait = limiter.admit(client, now);
  if (!wait) {
    return std::nullopt;
  }
  refused++;
  log.debug("request_rate_limited path={} client=\"{}\"", request.path, client);
  return tooManyFromClient(client, limiter.options(), "client_request", *wait);
}

}  // namespace plateau::http
