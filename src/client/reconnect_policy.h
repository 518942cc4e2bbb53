#pragma once

// When a client of an event stream reconnects, and when it gives up: the decision logic of
// Subscription (client/subscription.h), apart from any socket or timer so that it can be tested
// in virtual time.
//
// Guarantees:
//   1. The n-th failure in a row (counted since the last subscription) waits
//      nextBackoff(previous, min, max): min first, then doubling, never above max(min, max);
//      with a jitter seed, a draw from [half that, that] instead (common/backoff.h).
//   2. subscribed() starts afresh: the next failure waits min again.
//   3. A disconnection lasts from the first failure after a subscription (or after start) to the
//      next subscription. Once it has lasted a window (recovery_window once subscribed,
//      first_subscription_window before), the failure gives up; without a window it never does.

#include <chrono>
#include <optional>

#include "common/backoff.h"
#include "runtime/clock.h"

namespace plateau::client {

class ReconnectPolicy {
 public:
  struct Options {
    std::chrono::nanoseconds backoff_min = std::chrono::milliseconds(100);
    std::chrono::nanoseconds backoff_max = std::chrono::seconds(2);
    // How long a disconnection may last after a subscription; nullopt: for ever.
    std::optional<std::chrono::nanoseconds> recovery_window;
    // How long the client may fail before its first subscription; nullopt: for ever.
    std::optional<std::chrono::nanoseconds> first_subscription_window;
    // Spreads each delay (Jitter) when set; exact delays otherwise.
    std::optional<uint64_t> jitter_seed;
  };

  struct Decision {
    bool give_up = false;
    std::chrono::nanoseconds delay{0};  // before the next attempt, when not giving up
  };

  // `clock` must outlive the policy.
  ReconnectPolicy(Options options, const Clock& clock);

  // A subscription was confirmed (SUBSCRIBED arrived).
  void subscribed();
  // An attempt failed or a connection was lost, now: reconnect after `delay`, or give up.
  Decision failed();
  // True once subscribed() has been called.
  bool everSubscribed() const { return ever_subscribed_; }

 private:
  Options options_;
  const Clock& clock_;
  std::optional<Jitter> jitter_;
  std::chrono::nanoseconds backoff_{0};
  std::optional<Clock::TimePoint> disconnected_since_;
  bool ever_subscribed_ = false;
};

}  // namespace plateau::client
