#include "client/callback_thread.h"

namespace plateau::client {

CallbackThread::CallbackThread()
    : state_(std::make_shared<State>()), thread_([state = state_] { loop(state); }) {}

CallbackThread::~CallbackThread() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    state_->queue.clear();
  }
  state_->ready.notify_all();
  if (onThread()) {
    thread_.detach();  // the thread owns a reference to the state and ends after this callback
  } else {
    thread_.join();
  }
}

void CallbackThread::stopAndWait() {
  std::unique_lock lock(state_->mutex);
  state_->stopping = true;
  state_->queue.clear();
  state_->ready.notify_all();
  if (!onThread()) {
    state_->idle.wait(lock, [this] { return !state_->running; });
  }
}

void CallbackThread::post(std::function<void()> fn) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopping) {
      return;
    }
    state_->queue.push_back(std::move(fn));
  }
  state_->ready.notify_one();
}

void CallbackThread::loop(std::shared_ptr<State> state) {
  while (true) {
    std::function<void()> fn;
    {
      std::unique_lock lock(state->mutex);
      state->ready.wait(lock, [&] { return state->stopping || !state->queue.empty(); });
      if (state->stopping) {
        return;
      }
      fn = std::move(state->queue.front());
      state->queue.pop_front();
      state->running = true;
    }
    fn();
    fn = nullptr;  // what the closure holds goes now, still counted as running
    {
      std::lock_guard lock(state->mutex);
      state->running = false;
    }
    state->idle.notify_all();
  }
}

}  // namespace plateau::client
