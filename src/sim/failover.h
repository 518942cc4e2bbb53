#pragma once

// How the simulated agents came back after the master's leader changed (a failover): the
// curve of agents re-registered over time, counted from the first agent that lost its link
// before the last change. Pure (tests/unit/sim/failover_test.cc).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.h"
#include "runtime/clock.h"

namespace plateau::sim {

struct Failover {
  int leader_changes = 0;
  double leader_known_s = 0;  // when the new leader was known
  int agents_back = 0;        // distinct agents that registered again
  // When half, 90 % and all of the agents were back; -1: not reached within the run.
  double half_back_s = -1;
  double most_back_s = -1;
  double all_back_s = -1;
  std::vector<std::pair<double, int>> curve;  // (seconds, agents back), one point a second

  // From when links were lost, when which agent (by its hostname's address) registered and
  // when the leader changed, each in order; `agents` in all.
  static Failover of(const std::vector<Clock::TimePoint>& links_lost,
                     const std::vector<std::pair<Clock::TimePoint, const std::string*>>& registered,
                     const std::vector<Clock::TimePoint>& leader_changes, int agents);

  // Lines for the report's table ("" without a change), and its JSON object.
  std::string table() const;
  void writeJson(json::Writer& w) const;
};

// What a refusal's Retry-After asks (whole seconds, as a busy master sends it with 503 or 429,
// at most a minute) plus up to half again: `share` is a uniform draw in [0, 1), so that
// clients refused together do not come back together. nullopt when `retry_after` is absent or
// not a whole number of seconds (an HTTP date, a fraction, a negative number).
std::optional<std::chrono::milliseconds> retryAfterDelay(std::string_view retry_after,
                                                         double share);

// How long a simulated agent waits before registering again. `backoff` is its current backoff
// (doubled before the call: 100 ms up to 1 s, plateau-agent's with its default
// --registration_backoff_factor). A refusal's Retry-After is honoured (retryAfterDelay);
// anything else waits half the backoff plus up to the other half (plateau-agent's jitter).
std::chrono::milliseconds registrationRetryDelay(std::string_view retry_after,
                                                 std::chrono::milliseconds backoff, double share);

// How long a simulated framework waits before subscribing again after its subscription ended:
// a refusal's Retry-After is honoured (retryAfterDelay), otherwise one second.
std::chrono::milliseconds subscriptionRetryDelay(std::string_view retry_after, double share);

}  // namespace plateau::sim
