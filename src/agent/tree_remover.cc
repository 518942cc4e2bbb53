#include "agent/tree_remover.h"

#include <filesystem>
#include <utility>

namespace plateau::agent {

TreeRemover::TreeRemover(Timers& loop)
    : loop_(loop), alive_(std::make_shared<bool>(true)), worker_([this] { work(); }) {}

TreeRemover::~TreeRemover() {
  *alive_ = false;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

void TreeRemover::remove(std::string path, Done done) {
  ++pending_;
  {
    std::lock_guard lock(mutex_);
    queue_.emplace_back(std::move(path), std::move(done));
  }
  wake_.notify_one();
}

void TreeRemover::work() {
  for (;;) {
    std::pair<std::string, Done> next;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) {
        return;
      }
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    std::error_code ec;  // what cannot be removed stays: nothing here can do better
    std::filesystem::remove_all(next.first, ec);
    // alive_ is read on the loop only: the destructor, which clears it, runs there too.
    loop_.post([this, alive = alive_, done = std::move(next.second)] {
      if (!*alive) {
        return;
      }
      --pending_;
      if (done) {
        done();
      }
    });
  }
}

}  // namespace plateau::agent
