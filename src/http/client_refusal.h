#pragma once

// The answer of a server to a client past its per-client bound (http/client_rate_limiter.h):
// 429 with Retry-After in whole seconds (at least 1) and a message naming the client and the
// flags that set the bound (docs/security.md, "Per-client limits").

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/fwd.h>

#include "common/metrics.h"
#include "common/status.h"
#include "http/client_rate_limiter.h"
#include "http/message.h"

namespace plateau::http {

// `client` as the limiter keys it ("address 10.0.0.9", "principal ops"); `flag` the flags'
// common prefix ("client_request" for --client_request_qps and --client_request_capacity).
Response tooManyFromClient(const std::string& client, const ClientRateLimiter::Options& options,
                           std::string_view flag, std::chrono::nanoseconds wait);

// Checks the flags of one bound: --<flag>_qps a finite number of 0 (no limit) or more, and
// --<flag>_capacity at least 1 when limited. The error names the flag.
Status checkClientLimitFlags(std::string_view flag, double qps, int capacity);

// Who a request counts under when nothing more specific is known: its principal, else its
// address (any port: one host's connections are one client).
std::string clientOf(const Request& request);

// The --client_request_qps bound of a server: counts `request` of its client (clientOf) in
// `limiter` at `now`; nullopt when admitted, else the 429 (tooManyFromClient), each refusal
// counted in `refused` and logged at debug level as `request_rate_limited path=... client=...`.
std::optional<Response> limitClientRequest(ClientRateLimiter& limiter, const Request& request,
                                           ClientRateLimiter::TimePoint now,
                                           metrics::Counter& refused, spdlog::logger& log);

}  // namespace plateau::http
