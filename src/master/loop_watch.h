#pragma once

// How long the master's event loop goes without turning: a tick every `period` on the loop's own
// timers; a tick that comes late by more than the period means the loop ran something else for
// that long (a stall: nothing else, /health included, was answered meanwhile). The loop thread's
// CPU time over the same gap tells a stall the master caused (busy) from one where other
// processes had the machine's CPU (stall without busy).
//
// Guarantees: stall() and busy() are the largest seen in the last `window` ticks' seconds
// (kept per second, so reading them changes nothing); every tick's figures also go to the
// observer, for histograms. Loop thread only.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>

#include "runtime/clock.h"
#include "runtime/timers.h"

namespace plateau::master {

class LoopWatch {
 public:
  // The loop thread's CPU time so far (CLOCK_THREAD_CPUTIME_ID in the daemon).
  using CpuClock = std::function<std::chrono::nanoseconds()>;
  // Seconds late beyond the period, and the loop thread's CPU seconds over the gap beyond one
  // period (what the loop itself spent of the stall).
  using Observer = std::function<void(double stall_s, double busy_s)>;
  static constexpr int kWindowSeconds = 10;

  LoopWatch(Timers& timers, const Clock& clock, std::chrono::nanoseconds period, CpuClock cpu,
            Observer observer);
  ~LoopWatch();
  LoopWatch(const LoopWatch&) = delete;
  LoopWatch& operator=(const LoopWatch&) = delete;

  void start();
  // One tick at `now`, with the thread's CPU time `cpu` then (start() calls it on its timer).
  void tick(Clock::TimePoint now, std::chrono::nanoseconds cpu);

  // The largest stall / busy gap within the last kWindowSeconds, in milliseconds.
  double stallMs() const;
  double busyMs() const;
  // The largest since start.
  double maxStallMs() const { return max_stall_ms_; }

 private:
  struct Second {
    int64_t second = -1;  // whole seconds since the first tick
    double stall_ms = 0;
    double busy_ms = 0;
  };
  double largest(double Second::*field) const;

  Timers& timers_;
  const Clock& clock_;
  const std::chrono::nanoseconds period_;
  CpuClock cpu_;
  Observer observer_;
  Timers::TimerId timer_ = 0;
  bool ticked_ = false;
  Clock::TimePoint first_{};
  Clock::TimePoint last_{};
  std::chrono::nanoseconds last_cpu_{0};
  int64_t current_second_ = 0;
  std::array<Second, kWindowSeconds> seconds_{};
  double max_stall_ms_ = 0;
};

// CLOCK_THREAD_CPUTIME_ID of the calling thread.
std::chrono::nanoseconds threadCpuTime();

}  // namespace plateau::master
