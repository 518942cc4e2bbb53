#include "client/reconnect_policy.h"

namespace plateau::client {

ReconnectPolicy::ReconnectPolicy(Options options, const Clock& clock)
    : options_(options), clock_(clock) {
  if (options_.jitter_seed) {
    jitter_.emplace(*options_.jitter_seed);
  }
}

void ReconnectPolicy::subscribed() {
  ever_subscribed_ = true;
  backoff_ = std::chrono::nanoseconds(0);
  disconnected_since_.reset();
}

ReconnectPolicy::Decision ReconnectPolicy::failed() {
  auto now = clock_.now();
  if (!disconnected_since_) {
    disconnected_since_ = now;
  }
  const auto& window =
      ever_subscribed_ ? options_.recovery_window : options_.first_subscription_window;
  if (window && now - *disconnected_since_ >= *window) {
    return {.give_up = true};
  }
  backoff_ = nextBackoff(backoff_, options_.backoff_min, options_.backoff_max);
  return {.give_up = false, .delay = jitter_ ? (*jitter_)(backoff_) : backoff_};
}

}  // namespace plateau::client
