#pragma once

// When plateau-sim sends a call again. The master answers 429 (Too Many Requests: a per-client
// bound or --rate_limits) and 503 (Service Unavailable: recovering, or its registry busy) for
// a call it did not run; dropping such a call would leave its effect undone for good (an
// ACCEPT or DECLINE never made keeps its offer outstanding, and with it the agent's resources).
// Such a call is sent again after the wait its Retry-After names (whole seconds, RFC 9110), or
// else after a back-off that doubles from kFirstBackoff up to kMaxBackoff, never less than the
// back-off so far; spread by up to a quarter so that refused calls do not return together. Any
// other answer, or kMaxAttempts refusals, ends the call. Pure: no clock, no I/O.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace plateau::sim {

inline constexpr std::chrono::milliseconds kFirstBackoff{100};
inline constexpr std::chrono::milliseconds kMaxBackoff{10000};
inline constexpr int kMaxAttempts = 20;

// Whether `status` says the call was not run and may be sent again.
bool isRetryable(int status);

// The wait before sending again a call that was answered `status` (with `retry_after`, the
// Retry-After header's value, empty when absent) on its `attempt`-th try (1: the first send);
// nullopt when it is not to be sent again. `random` (any 64 bits) spreads the wait.
std::optional<std::chrono::milliseconds> retryDelay(int status, std::string_view retry_after,
                                                    int attempt, uint64_t random);

}  // namespace plateau::sim
