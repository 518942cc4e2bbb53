#pragma once

// Mesos's two limits on removing agents: --agent_removal_rate_limit spaces out the removals of
// agents that failed health checks, and --recovery_agent_removal_limit bounds the share of the
// agents a failed-over master may remove for not re-registering. Guarantees:
//  - parseRemovalRate() and parseRemovalLimit() accept Mesos's forms ("1/20mins", "100%") and
//    refuse others with InvalidArgument naming the flag;
//  - with a rate of N per D, RemovalLimiter runs the queued removals in order, at most one per
//    D/N, the first at once; each agent is queued once at most, and the check it was queued
//    with is asked again when its turn comes (an agent heard from meanwhile is not removed).
// Waits go through Timers and time through the Clock (unit-tested in virtual time). Loop thread
// only.

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "common/status.h"
#include "runtime/clock.h"
#include "runtime/timers.h"

namespace plateau::master {

struct RemovalRate {
  int permits = 1;
  std::chrono::nanoseconds duration{0};
};

// "" is no limit (nullopt).
Result<std::optional<RemovalRate>> parseRemovalRate(const std::string& text);
// "75%" -> 0.75 (0% to 100%).
Result<double> parseRemovalLimit(const std::string& text);
// Whether removing `missing` of `expected` agents stays within `limit` (a share, 0..1).
bool withinRemovalLimit(size_t missing, size_t expected, double limit);

class RemovalLimiter {
 public:
  RemovalLimiter(Timers& timers, const Clock& clock, std::optional<RemovalRate> rate);
  ~RemovalLimiter();
  RemovalLimiter(const RemovalLimiter&) = delete;
  RemovalLimiter& operator=(const RemovalLimiter&) = delete;

  // Removes the agent through `remove` when its turn comes (at once without a rate), if
  // `still_due` then holds. Nothing when the agent is queued already. True when the agent now
  // waits for its turn (it was not queued, and is not removed at once).
  bool acquire(const std::string& agent_id, std::function<bool()> still_due,
               std::function<void()> remove);
  size_t waiting() const { return queue_.size(); }

 private:
  struct Waiting {
    std::string agent_id;
    std::function<bool()> still_due;
    std::function<void()> remove;
  };
  void drain();

  Timers& timers_;
  const Clock& clock_;
  std::optional<RemovalRate> rate_;
  std::deque<Waiting> queue_;
  std::set<std::string> queued_;
  Clock::TimePoint next_free_{};
  Timers::TimerId timer_ = 0;
};

}  // namespace plateau::master
