#pragma once

// Removes directory trees on a worker thread of its own, so that the agent's loop never waits on
// the file system while a sandbox of many files goes (a removal of 100,000 files takes seconds).
// Guarantees:
//  - trees are removed one at a time, in the order given;
//  - `done` runs on the loop (posted through `loop`) once its tree is gone or could not be
//    removed further, and never after the TreeRemover is destroyed;
//  - destruction waits for the removal in progress and drops those queued (their trees stay on
//    disk: the agent queues what is left in its trash folder again at its next start).
// remove() and pending() are for the loop thread.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/timers.h"

namespace plateau::agent {

class TreeRemover {
 public:
  using Done = std::function<void()>;

  explicit TreeRemover(Timers& loop);
  ~TreeRemover();
  TreeRemover(const TreeRemover&) = delete;
  TreeRemover& operator=(const TreeRemover&) = delete;

  // Queues `path` (a file or a directory and whatever it holds) for removal.
  void remove(std::string path, Done done = {});
  // Trees queued or being removed.
  size_t pending() const { return pending_; }

 private:
  void work();

  Timers& loop_;
  std::shared_ptr<bool> alive_;  // false once destroyed: posted completions are dropped
  size_t pending_ = 0;           // loop thread only
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, Done>> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace plateau::agent
