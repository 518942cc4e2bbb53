#pragma once

// Virtual time for unit tests of the daemons' state machines: a Clock that moves only when the
// test advances it, and Timers that fire, in deadline order, as it does. No sleeps, no loop, no
// sockets: a test of hours of retries runs in microseconds and the same way every time.

#include <chrono>
#include <functional>
#include <map>
#include <utility>

#include "runtime/clock.h"
#include "runtime/timers.h"

namespace plateau::testing {

class VirtualTime final : public Clock, public Timers {
 public:
  TimePoint now() const override { return now_; }
  // Starts at 2026-01-01T00:00:00Z.
  double wallSeconds() const override {
    return 1767225600.0 + std::chrono::duration<double>(now_.time_since_epoch()).count();
  }

  TimerId after(std::chrono::nanoseconds delay, std::function<void()> fn) override {
    TimerId id = next_id_++;
    timers_.emplace(std::make_pair(now_ + std::max(delay, std::chrono::nanoseconds(0)), id),
                    std::move(fn));
    return id;
  }
  void cancel(TimerId id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return;
      }
    }
  }

  // Moves time forward by `d`, firing every timer that falls due on the way (timers they set
  // that fall due within `d` fire too), each with the clock at its deadline.
  void advance(std::chrono::nanoseconds d) {
    TimePoint end = now_ + d;
    while (!timers_.empty() && timers_.begin()->first.first <= end) {
      auto it = timers_.begin();
      now_ = it->first.first;
      auto fn = std::move(it->second);
      timers_.erase(it);
      fn();
    }
    now_ = end;
  }

  // Timers waiting to fire.
  size_t pending() const { return timers_.size(); }

 private:
  TimePoint now_{};
  TimerId next_id_ = 1;
  // Ordered by (deadline, id): equal deadlines fire in the order they were set.
  std::map<std::pair<TimePoint, TimerId>, std::function<void()>> timers_;
};

}  // namespace plateau::testing
