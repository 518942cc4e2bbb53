#pragma once

// Offer filters across the cluster and their expiry: per agent the AgentFilters of the seats
// that declined there, per seat the agents it holds filters on, and a queue of agents by their
// earliest expiry.
//
// Guarantees (FilterBook alone writes its fields): a seat's agent set holds exactly the agents
// whose AgentFilters hold a filter of that seat; an agent is in the expiry queue exactly when it
// has a filter, keyed by its earliest expiry. Seats and agents are the allocator's dense handles;
// addAgent() must precede any use of an agent handle and removeAgent() ends it.

#include <chrono>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "common/resources.h"
#include "master/allocator/agent_filters.h"
#include "master/allocator/dense_bitset.h"

namespace plateau::master::allocator {

class FilterBook {
 public:
  void addAgent(uint32_t agent);
  // Drops the agent's filters.
  void removeAgent(uint32_t agent);
  // The seat refuses `refused` on the agent for `duration` from `now` (saturating: huge durations
  // mean "for ever").
  void add(uint32_t seat, uint32_t agent, const Resources& refused,
           std::chrono::nanoseconds duration, TimePoint now);
  // Drops every filter of the seat.
  void clearSeat(uint32_t seat);
  // Drops the filters that expired by `now`; appends each agent that lost some to `changed`.
  void expire(TimePoint now, std::vector<uint32_t>& changed);

  // Calls fn(agent) for each agent the seat holds filters on.
  template <class Fn>
  void forEachFilteredAgent(uint32_t seat, Fn&& fn) const {
    if (seat < by_seat_.size()) {
      by_seat_[seat].forEach(std::forward<Fn>(fn));
    }
  }

  // The agent's filters, as AgentFilters answers (see there).
  bool empty(uint32_t agent) const { return by_agent_[agent].filters.empty(); }
  bool blocks(uint32_t agent, uint32_t seat, const Resources& offered) const {
    return by_agent_[agent].filters.blocks(seat, offered);
  }
  bool blocks(uint32_t agent, uint32_t seat, const Resources& offered,
              std::vector<int8_t>& memo) const {
    return by_agent_[agent].filters.blocks(seat, offered, memo);
  }
  void prepare(uint32_t agent, const Resources& free) { by_agent_[agent].filters.prepare(free); }
  bool blocksPrepared(uint32_t agent, uint32_t seat) const {
    return by_agent_[agent].filters.blocksPrepared(seat);
  }
  const Resources* preparedForUnreservedOf(uint32_t agent, const Resources& free) const {
    return by_agent_[agent].filters.preparedForUnreservedOf(free);
  }

 private:
  struct PerAgent {
    AgentFilters filters;  // by seat handle
    TimePoint next_expiry = TimePoint::max();
  };

  std::vector<PerAgent> by_agent_;
  std::vector<DenseBitset> by_seat_;
  std::set<std::pair<TimePoint, uint32_t>> expiries_;
};

}  // namespace plateau::master::allocator
