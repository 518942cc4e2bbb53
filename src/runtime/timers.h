#pragma once

// Deferred work on the loop thread. Code that waits through Timers (never by sleeping or by
// owning an Asio timer) runs unchanged in virtual time: EventLoop implements it with real
// timers; tests/fakes/virtual_time.h fires the callbacks when a test advances its clock.

#include <chrono>
#include <cstdint>
#include <functional>

namespace plateau {

class Timers {
 public:
  using TimerId = uint64_t;  // never 0, so 0 can mean "no timer"

  virtual ~Timers() = default;

  // Runs `fn` once, on the loop thread, `delay` from now; cancel() before then drops it.
  virtual TimerId after(std::chrono::nanoseconds delay, std::function<void()> fn) = 0;
  // Runs `fn` every `interval`, on the loop thread, until cancel(id).
  virtual TimerId every(std::chrono::nanoseconds interval, std::function<void()> fn) = 0;
  // Drops a timer that has not fired (or a repeating one); unknown or fired ids are ignored.
  virtual void cancel(TimerId id) = 0;
  // Runs `fn` on the loop thread after the current handler, before any timer that is not yet
  // due: for completions that must not run inside their caller.
  virtual void post(std::function<void()> fn) = 0;
};

}  // namespace plateau
