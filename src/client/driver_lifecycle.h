#pragma once

// The lifecycle every classic driver shares (MesosSchedulerDriver, MesosExecutorDriver): the
// driver's Status, the v1 client library it runs on, and the calls that move it.
//
// Guarantees:
//   1. The status only moves DRIVER_NOT_STARTED -> DRIVER_RUNNING -> DRIVER_STOPPED or
//      DRIVER_ABORTED, and DRIVER_ABORTED -> DRIVER_STOPPED (stop() after an abort).
//   2. join() and joinFor() return once the status has left DRIVER_RUNNING.
//   3. The client is created by start() and destroyed by shutdown(), outside the lock, so its
//      destructor may wait for a callback that calls back into the driver.
//   4. Thread-safe. No user code runs under the lock, except what whileRunning() and the
//      stop functions are given (which must only talk to the client).

#include <chrono>
#include <condition_variable>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include <mesos/mesos.pb.h>

namespace plateau::client {

template <class Client>
class DriverLifecycle {
 public:
  using Create = std::function<std::expected<std::unique_ptr<Client>, std::string>()>;
  using StopClient = std::function<void(Client& client)>;

  mesos::Status status() const {
    std::lock_guard lock(mutex_);
    return status_;
  }
  bool running() const { return status() == mesos::DRIVER_RUNNING; }

  // From DRIVER_NOT_STARTED: DRIVER_RUNNING with the client `create` makes, or DRIVER_ABORTED
  // when it fails, after which `failed` runs (unlocked) with the error. Otherwise the status.
  mesos::Status start(const Create& create, const std::function<void(const std::string&)>& failed) {
    std::unique_lock lock(mutex_);
    if (status_ != mesos::DRIVER_NOT_STARTED) {
      return status_;
    }
    auto client = create();
    if (!client) {
      setLocked(mesos::DRIVER_ABORTED);
      lock.unlock();
      failed(client.error());
      return mesos::DRIVER_ABORTED;
    }
    client_ = std::move(*client);
    status_ = mesos::DRIVER_RUNNING;
    return status_;
  }

  // From DRIVER_RUNNING or DRIVER_ABORTED: stops the client and moves to DRIVER_STOPPED;
  // returns DRIVER_ABORTED when it had been aborted, else DRIVER_STOPPED. Otherwise the status.
  mesos::Status stop(const StopClient& stop_client) {
    std::lock_guard lock(mutex_);
    if (status_ != mesos::DRIVER_RUNNING && status_ != mesos::DRIVER_ABORTED) {
      return status_;
    }
    bool aborted = status_ == mesos::DRIVER_ABORTED;
    if (client_) {
      stop_client(*client_);
    }
    setLocked(mesos::DRIVER_STOPPED);
    return aborted ? mesos::DRIVER_ABORTED : mesos::DRIVER_STOPPED;
  }

  // From DRIVER_RUNNING: DRIVER_ABORTED (the client keeps running). Returns the status.
  mesos::Status abort() {
    std::lock_guard lock(mutex_);
    if (status_ == mesos::DRIVER_RUNNING) {
      setLocked(mesos::DRIVER_ABORTED);
    }
    return status_;
  }

  // From DRIVER_RUNNING: moves to `final` and runs `stop_client` (if any) on the client.
  void finish(mesos::Status final, const StopClient& stop_client) {
    std::lock_guard lock(mutex_);
    if (status_ != mesos::DRIVER_RUNNING) {
      return;
    }
    status_ = final;
    if (client_ && stop_client) {
      stop_client(*client_);
    }
    changed_.notify_all();
  }

  // Runs `fn` on the client when DRIVER_RUNNING; returns the status either way.
  template <class Fn>
  mesos::Status whileRunning(Fn&& fn) {
    std::lock_guard lock(mutex_);
    if (status_ == mesos::DRIVER_RUNNING) {
      std::forward<Fn>(fn)(*client_);
    }
    return status_;
  }

  mesos::Status join() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return status_ != mesos::DRIVER_RUNNING; });
    return status_;
  }

  // join() for at most `timeout`; DRIVER_RUNNING when still running.
  mesos::Status joinFor(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [this] { return status_ != mesos::DRIVER_RUNNING; });
    return status_;
  }

  // For the driver's destructor: DRIVER_RUNNING -> DRIVER_STOPPED, then the client is destroyed
  // (unlocked: it waits for its callbacks to return).
  void shutdown() {
    std::unique_ptr<Client> client;
    {
      std::lock_guard lock(mutex_);
      client = std::move(client_);
      if (status_ == mesos::DRIVER_RUNNING) {
        status_ = mesos::DRIVER_STOPPED;
      }
      changed_.notify_all();
    }
    client.reset();
  }

 private:
  void setLocked(mesos::Status status) {
    status_ = status;
    changed_.notify_all();
  }

  mutable std::mutex mutex_;  // guards status_ and client_
  std::condition_variable changed_;
  mesos::Status status_ = mesos::DRIVER_NOT_STARTED;
  std::unique_ptr<Client> client_;
};

}  // namespace plateau::client
