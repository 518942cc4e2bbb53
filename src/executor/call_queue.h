#pragma once

// The executor's calls to the agent, one at a time and in order. Guarantees:
//  - in order: calls go out in the order they were pushed;
//  - one in flight: a call goes out only once the one before it has finished (answered, refused
//    or failed), so the agent takes a task's updates in the order the executor made them, which
//    calls on parallel pooled connections did not promise (a TASK_STARTING could land after its
//    TASK_RUNNING);
//  - no retries here: a call that fails is not sent again by the queue (the executor's updates
//    stay unacknowledged and travel again with its next SUBSCRIBE, as Mesos's executors do).
// The sending itself is the Sender's (an HTTP POST in the executor, a fake in tests).
// Single-threaded: every call on the executor's loop thread.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

#include "http/client.h"

namespace plateau::executor {

class CallQueue {
 public:
  // Runs once when the call it was given with has finished, whatever the outcome.
  using Finished = std::function<void()>;
  // Sends one call and runs `finished` when it is over; it may run it before returning.
  using Sender = std::function<void(http::ClientRequest request, Finished finished)>;

  explicit CallQueue(Sender sender);
  ~CallQueue();
  CallQueue(const CallQueue&) = delete;
  CallQueue& operator=(const CallQueue&) = delete;

  // Sends `request` now when nothing is in flight, else after the calls pushed before it.
  void push(http::ClientRequest request);
  // Forgets the calls not yet sent (the one in flight stays); returns how many there were.
  size_t dropQueued();

  size_t queued() const { return queue_.size(); }
  bool inFlight() const { return in_flight_; }

 private:
  void sendNext();

  Sender sender_;
  std::deque<http::ClientRequest> queue_;
  bool in_flight_ = false;
  bool sending_ = false;  // inside sendNext(): a call finished synchronously continues its loop
  uint64_t sent_ = 0;     // calls handed to the sender so far; names the one in flight
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // finished after destruction: no-op
};

}  // namespace plateau::executor
