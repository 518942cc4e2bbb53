#include "master/allocator/filter_book.h"

namespace plateau::master::allocator {

void FilterBook::addAgent(uint32_t agent) {
  if (by_agent_.size() <= agent) {
    by_agent_.resize(agent + 1);
  }
  by_agent_[agent] = PerAgent{};
}

void FilterBook::removeAgent(uint32_t agent) {
  PerAgent& a = by_agent_[agent];
  for (uint32_t seat : a.filters.frameworks()) {
    by_seat_[seat].reset(agent);
  }
  if (a.next_expiry != TimePoint::max()) {
    expiries_.erase({a.next_expiry, agent});
  }
  a = PerAgent{};
}

void FilterBook::add(uint32_t seat, uint32_t agent, const Resources& refused,
                     std::chrono::nanoseconds duration, TimePoint now) {
  const auto length = std::chrono::duration_cast<Clock::duration>(duration);
  // Saturate: a refusal of 1e9 seconds, or nanoseconds::max(), must not wrap around.
  const bool forever = now.time_since_epoch().count() >= 0 && length >= TimePoint::max() - now;
  const TimePoint expiry = forever ? TimePoint::max() : now + length;
  PerAgent& a = by_agent_[agent];
  a.filters.add(seat, refused, expiry);
  if (by_seat_.size() <= seat) {
    by_seat_.resize(seat + 1);
  }
  by_seat_[seat].set(agent);
  if (expiry < a.next_expiry) {
    if (a.next_expiry != TimePoint::max()) {
      expiries_.erase({a.next_expiry, agent});
    }
    a.next_expiry = expiry;
    expiries_.emplace(expiry, agent);
  }
}

void FilterBook::clearSeat(uint32_t seat) {
  if (seat >= by_seat_.size()) {
    return;
  }
  by_seat_[seat].forEach([&](size_t agent) { by_agent_[agent].filters.remove(seat); });
  by_seat_[seat].clear();
}

void FilterBook::expire(TimePoint now, std::vector<uint32_t>& changed) {
  std::vector<uint32_t> cleared;
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    const uint32_t agent = expiries_.begin()->second;
    expiries_.erase(expiries_.begin());
    PerAgent& a = by_agent_[agent];
    const size_t before = a.filters.size();
    cleared.clear();
    a.next_expiry = a.filters.expire(now, cleared);
    if (a.next_expiry != TimePoint::max()) {
      expiries_.emplace(a.next_expiry, agent);
    }
    for (uint32_t seat : cleared) {
      by_seat_[seat].reset(agent);
    }
    if (a.filters.size() != before) {
      changed.push_back(agent);
    }
  }
}

}  // namespace plateau::master::allocator
