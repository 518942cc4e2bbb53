#include "sim/call_retry.h"

#include <algorithm>
#include <charconv>

namespace plateau::sim {

bool isRetryable(int status) { return status == 429 || status == 503; }

std::optional<std::chrono::milliseconds> retryDelay(int status, std::string_view retry_after,
                                                    int attempt, uint64_t random) {
  if (!isRetryable(status) || attempt < 1 || attempt >= kMaxAttempts) {
    return std::nullopt;
  }
  const int doublings = std::min(attempt - 1, 16);
  std::chrono::milliseconds wait = std::min(kFirstBackoff * (int64_t{1} << doublings), kMaxBackoff);
  // Retry-After as delay-seconds; an HTTP date (or garbage) falls back on the back-off alone.
  int64_t seconds = 0;
  const char* end = retry_after.data() + retry_after.size();
  auto [next, error] = std::from_chars(retry_after.data(), end, seconds);
  if (!retry_after.empty() && error == std::errc() && next == end && seconds >= 0) {
    wait = std::max(wait, std::chrono::milliseconds(std::min<int64_t>(seconds, 3600) * 1000));
  }
  // Up to a quarter more, so that calls refused together spread out.
  const auto spread = wait.count() / 4;
  if (spread > 0) {
    wait +=
        std::chrono::milliseconds(static_cast<int64_t>(random % static_cast<uint64_t>(spread + 1)));
  }
  return wait;
}

}  // namespace plateau::sim
