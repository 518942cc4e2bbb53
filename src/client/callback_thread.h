#pragma once

// A thread that runs the user's callbacks one at a time, in the order they were queued, so a
// callback that blocks (a Python executor sleeping in launchTask) never stalls network I/O.

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace plateau::client {

class CallbackThread {
 public:
  CallbackThread();
  // Drops what is still queued and joins (detaches when run from a callback, which then ends
  // the thread as soon as that callback returns).
  ~CallbackThread();
  CallbackThread(const CallbackThread&) = delete;
  CallbackThread& operator=(const CallbackThread&) = delete;

  // Drops what is queued, runs nothing more, and waits for a callback still running to return
  // (not when called from a callback). After it, no user code runs on this thread again, so the
  // owner may tear down what callbacks use (a Python interpreter, say).
  void stopAndWait();
  // Thread-safe: queues fn behind everything queued before it.
  void post(std::function<void()> fn);
  // True on the callback thread.
  bool onThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::function<void()>> queue;
    bool stopping = false;
    bool running = false;  // a callback is running (or its closure is being destroyed)
    std::condition_variable idle;
  };
  static void loop(std::shared_ptr<State> state);

  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace plateau::client
