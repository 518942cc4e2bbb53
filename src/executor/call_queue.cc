#include "executor/call_queue.h"

#include <utility>

namespace plateau::executor {

CallQueue::CallQueue(Sender sender) : sender_(std::move(sender)) {}

CallQueue::~CallQueue() = default;

void CallQueue::push(http::ClientRequest request) {
  queue_.push_back(std::move(request));
  sendNext();
}

size_t CallQueue::dropQueued() {
  size_t dropped = queue_.size();
  queue_.clear();
  return dropped;
}

void CallQueue::sendNext() {
  if (sending_) {
    return;  // a sender that finished before returning: the loop below goes on
  }
  sending_ = true;
  while (!in_flight_ && !queue_.empty()) {
    in_flight_ = true;
    const uint64_t id = ++sent_;
    http::ClientRequest request = std::move(queue_.front());
    queue_.pop_front();
    std::weak_ptr<int> alive = alive_;
    // A finish that comes twice, or after the queue is gone, changes nothing.
    sender_(std::move(request), [this, alive, id] {
      if (alive.expired() || !in_flight_ || id != sent_) {
        return;
      }
      in_flight_ = false;
      sendNext();
    });
  }
  sending_ = false;
}

}  // namespace plateau::executor
