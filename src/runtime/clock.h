#pragma once

// Time as the daemons read it. Code that reads time through a Clock (never the system's clocks
// directly) runs unchanged in virtual time: tests and the simulator substitute a manual clock
// (tests/fakes/manual_clock.h) and advance it themselves.

#include <chrono>

namespace plateau {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;

  // Monotonic time, for durations and deadlines: never goes back.
  virtual TimePoint now() const = 0;
  // Seconds since the Unix epoch, for the timestamps clients see (TaskStatus.timestamp,
  // registered_time, ...). May jump when the system's time is set.
  virtual double wallSeconds() const = 0;
};

// The system's clocks (steady_clock and system_clock). Thread-safe; lives for the process.
const Clock& systemClock();

}  // namespace plateau
