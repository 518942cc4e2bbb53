#pragma once

// The threads of a client library (the scheduler and executor libraries) and the handshake
// that ends them: an event loop thread that owns the connection state, and a callback thread
// that runs the user's callbacks one at a time, so that a callback that blocks (a Python
// executor sleeping in launchTask) never stalls I/O.
//
// Guarantees:
//   1. deliver() runs callbacks in the order they were queued, never on the loop thread, and
//      none once stop() has been called.
//   2. join() returns with the loop thread joined and no callback running (unless join() runs
//      inside a callback, which then is the last one), so the owner may tear down its state.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "client/callback_thread.h"
#include "http/client.h"
#include "runtime/event_loop.h"

namespace plateau::client {

class ClientThreads {
 public:
  ClientThreads() = default;
  // Joins (as join() with no grace) if join() was not called.
  ~ClientThreads();
  ClientThreads(const ClientThreads&) = delete;
  ClientThreads& operator=(const ClientThreads&) = delete;

  EventLoop& loop() { return loop_; }

  // Starts the loop thread, which runs `first` before anything posted later. Once.
  void start(std::function<void()> first);
  // Any thread: true the first time only. From then on deliver() drops what it is given and
  // queued callbacks do not run.
  bool stop();
  bool stopped() const { return stopped_; }
  // Any thread: queues `fn` on the callback thread; `keep_alive` lives until `fn` has run or
  // been dropped (the state `fn` uses, which may outlive the library's handle).
  void deliver(std::shared_ptr<const void> keep_alive, std::function<void()> fn);
  // Loop thread: the owner has closed its connections, so join() need not wait longer.
  void markClosed();
  // Not on the loop thread: waits up to `grace` for markClosed(), then stops and joins the loop
  // thread and stops the callback thread (waiting for a running callback, unless called from it).
  void join(std::chrono::nanoseconds grace);

 private:
  EventLoop loop_;
  CallbackThread callback_thread_;
  std::thread io_thread_;
  std::atomic<bool> stopped_{false};
  std::mutex closed_mutex_;  // with closed_cv_, guards closed_
  std::condition_variable closed_cv_;
  bool closed_ = false;
};

// POSTs one call of a client library to `endpoint`, logging to stderr (as "plateau <library>
// library: <type> call failed/refused") an error or an answer other than 202; `done` then runs
// on the loop thread.
void postCall(http::Client& client, const http::Endpoint& endpoint, http::ClientRequest request,
              std::string_view library, std::string type, std::function<void()> done);

}  // namespace plateau::client
