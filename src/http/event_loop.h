#pragma once

// The single event loop of a daemon: one thread runs it and owns the daemon's state.
// Timers, signals and posted work all run on that thread. Asio stays behind this header.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace plateau {

class EventLoop {
 public:
  using TimerId = uint64_t;

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
  void post(std::function<void()> fn);

  // Runs fn once after delay; cancel() before it fires drops it.
  TimerId after(std::chrono::nanoseconds delay, std::function<void()> fn);
  // Runs fn every interval until cancelled.
  TimerId every(std::chrono::nanoseconds interval, std::function<void()> fn);
  void cancel(TimerId id);

  // Calls fn on the loop thread whenever signo arrives (SIGCHLD, SIGTERM, ...).
  void onSignal(int signo, std::function<void(int)> fn);

  // The underlying asio::io_context, for src/http only.
  void* native();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace plateau
