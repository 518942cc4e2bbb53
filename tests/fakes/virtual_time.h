#pragma once

// Virtual time for unit tests of the daemons' state machines: a Clock that moves only when the
// test advances it, and Timers that fire, in deadline order, as it does. No sleeps, no loop, no
// sockets: a test of hours of retries runs in microseconds and the same way every time.

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
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
    arm(now_ + std::max(delay, std::chrono::nanoseconds(0)), id,
        std::make_shared<std::function<void()>>(std::move(fn)), {});
    return id;
  }
  TimerId every(std::chrono::nanoseconds interval, std::function<void()> fn) override {
    TimerId id = next_id_++;
    interval = std::max(interval, std::chrono::nanoseconds(1));
    arm(now_ + interval, id, std::make_shared<std::function<void()>>(std::move(fn)), interval);
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
  // Due now: runs at the next advance(), even advance(0), before later timers.
  void post(std::function<void()> fn) override {
    after(std::chrono::nanoseconds(0), std::move(fn));
  }

  // Moves time forward by `d`, firing every timer that falls due on the way (timers they set
  // that fall due within `d` fire too), each with the clock at its deadline.
  void advance(std::chrono::nanoseconds d) {
    TimePoint end = now_ + d;
    while (!timers_.empty() && timers_.begin()->first.first <= end) {
      auto it = timers_.begin();
      now_ = it->first.first;
      TimerId id = it->first.second;
      Timer timer = std::move(it->second);
      timers_.erase(it);
      if (timer.interval.count() > 0) {
        arm(now_ + timer.interval, id, timer.fn, timer.interval);  // before fn: it may cancel
      }
      (*timer.fn)();
    }
    now_ = end;
  }
  // Runs what is due now (posted work and what it posts), without moving the clock.
  void settle() { advance(std::chrono::nanoseconds(0)); }

  // Timers waiting to fire (a repeating one counts once).
  size_t pending() const { return timers_.size(); }

 private:
  struct Timer {
    std::shared_ptr<std::function<void()>> fn;
    std::chrono::nanoseconds interval;  // 0: fires once
  };
  void arm(TimePoint at, TimerId id, std::shared_ptr<std::function<void()>> fn,
           std::chrono::nanoseconds interval) {
    timers_.emplace(std::make_pair(at, id), Timer{std::move(fn), interval});
  }

  TimePoint now_{};
  TimerId next_id_ = 1;
  // Ordered by (deadline, id): equal deadlines fire in the order they were set.
  std::map<std::pair<TimePoint, TimerId>, Timer> timers_;
};

}  // namespace plateau::testing
