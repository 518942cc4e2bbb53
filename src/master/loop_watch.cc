#include "master/loop_watch.h"

#include <time.h>

#include <algorithm>
#include <utility>

namespace plateau::master {

LoopWatch::LoopWatch(Timers& timers, const Clock& clock, std::chrono::nanoseconds period,
                     CpuClock cpu, Observer observer)
    : timers_(timers),
      clock_(clock),
      period_(period),
      cpu_(std::move(cpu)),
      observer_(std::move(observer)) {}

LoopWatch::~LoopWatch() {
  if (timer_ != 0) {
    timers_.cancel(timer_);
  }
}

void LoopWatch::start() {
  if (timer_ == 0) {
    timer_ = timers_.every(period_, [this] { tick(clock_.now(), cpu_()); });
  }
}

void LoopWatch::tick(Clock::TimePoint now, std::chrono::nanoseconds cpu) {
  if (!ticked_) {
    ticked_ = true;
    first_ = now;
    last_ = now;
    last_cpu_ = cpu;
    return;
  }
  const auto gap = now - last_;
  const auto late = std::max(gap - period_, std::chrono::nanoseconds(0));
  const auto busy = std::max(cpu - last_cpu_, std::chrono::nanoseconds(0));
  last_ = now;
  last_cpu_ = cpu;
  const double stall_ms = std::chrono::duration<double, std::milli>(late).count();
  // Busy counts within the gap only beyond one period's worth, as the stall does.
  const double busy_ms = std::max(
      0.0, std::chrono::duration<double, std::milli>(busy - std::min(busy, period_)).count());
  const int64_t second = std::chrono::duration_cast<std::chrono::seconds>(now - first_).count();
  Second& slot = seconds_[static_cast<size_t>(second % kWindowSeconds)];
  if (slot.second != second) {
    slot = Second{.second = second, .stall_ms = 0, .busy_ms = 0};
  }
  slot.stall_ms = std::max(slot.stall_ms, stall_ms);
  slot.busy_ms = std::max(slot.busy_ms, busy_ms);
  current_second_ = second;
  max_stall_ms_ = std::max(max_stall_ms_, stall_ms);
  if (observer_) {
    observer_(stall_ms / 1e3, busy_ms / 1e3);
  }
}

double LoopWatch::largest(double Second::*field) const {
  double best = 0;
  for (const Second& s : seconds_) {
    if (s.second >= 0 && s.second > current_second_ - kWindowSeconds) {
      best = std::max(best, s.*field);
    }
  }
  return best;
}

double LoopWatch::stallMs() const { return largest(&Second::stall_ms); }
double LoopWatch::busyMs() const { return largest(&Second::busy_ms); }

std::chrono::nanoseconds threadCpuTime() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace plateau::master
