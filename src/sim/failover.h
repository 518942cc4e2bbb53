#pragma once

// How the simulated agents came back after the master's leader changed (a failover): the
// curve of agents re-registered over time, counted from the first agent that lost its link
// before the last change. Pure (tests/unit/sim/failover_test.cc).

#include <chrono>
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

// How long a simulated agent waits before registering again. `backoff` is its current backoff
// (doubled before the call: 250 ms up to 5 s). A refusal that names a Retry-After (whole
// seconds, as a busy master sends it with 503 or 429) waits that long plus up to half again;
// anything else waits half the backoff plus up to the other half. `share` is a uniform draw
// in [0, 1), so that agents refused together do not come back together.
std::chrono::milliseconds registrationRetryDelay(std::string_view retry_after,
                                                 std::chrono::milliseconds backoff, double share);

}  // namespace plateau::sim
