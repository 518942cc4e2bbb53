#pragma once

// The single event loop of a daemon: one thread runs it and owns the daemon's state.
// Timers, signals and posted work all run on that thread. Asio stays behind this header.
// Handlers must not throw: an exception that escapes one aborts the process as a broken
// invariant (common/invariant.h), whether it came from a timer, a posted callback, a signal
// or an I/O completion.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "runtime/clock.h"
#include "runtime/timers.h"

namespace plateau {

class EventLoop final : public Timers {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs handlers on the calling thread until stop().
  void run();
  // Runs handlers until `fn` returns true or `timeout` passes; returns fn's last value.
  bool runUntil(const std::function<bool()>& fn, std::chrono::nanoseconds timeout);
  // Thread-safe: makes run() return once the current handler finishes.
  void stop();
  // Thread-safe: runs fn on the loop thread.
  void post(std::function<void()> fn) override;

  // Runs fn once after delay; cancel() before it fires drops it.
  TimerId after(std::chrono::nanoseconds delay, std::function<void()> fn) override;
  // Runs fn every interval until cancelled.
  TimerId every(std::chrono::nanoseconds interval, std::function<void()> fn) override;
  void cancel(TimerId id) override;

  // Calls fn on the loop thread whenever signo arrives (SIGCHLD, SIGTERM, ...).
  void onSignal(int signo, std::function<void(int)> fn);

  // The time source the loop's timers follow: the system's clocks. Code that reads time does so
  // through a Clock (runtime/clock.h), so that it can run in virtual time without a loop.
  const Clock& clock() const { return systemClock(); }

  // The underlying asio::io_context, for src/http only.
  void* native();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace plateau
