// disk/du: sandbox usage measured like `du` (allocated blocks, symlinks not followed, one
// filesystem) on a worker thread, so a large sandbox never stalls the agent's loop.

#include <sys/stat.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "agent/containerizer/isolators.h"
#include "runtime/event_loop.h"

namespace plateau::agent {

namespace fs = std::filesystem;

namespace {

uint64_t diskUsage(const std::string& dir) {
  struct stat top;
  if (::lstat(dir.c_str(), &top) != 0) {
    return 0;
  }
  uint64_t total = static_cast<uint64_t>(top.st_blocks) * 512;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) {
      continue;
    }
    if (S_ISDIR(st.st_mode) && st.st_dev != top.st_dev) {
      it.disable_recursion_pending();  // another filesystem mounted inside
      continue;
    }
    total += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

class DiskDuIsolator : public Isolator {
 public:
  DiskDuIsolator(EventLoop& loop, std::chrono::nanoseconds interval, bool enforce)
      : loop_(loop), enforce_(enforce), alive_(std::make_shared<bool>(true)) {
    worker_ = std::thread([this] { work(); });
    timer_ = loop_.every(interval, [this] { schedule(); });
  }

  ~DiskDuIsolator() override {
    loop_.cancel(timer_);
    *alive_ = false;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
  }

  std::string name() const override { return "disk/du"; }

  Status prepare(const ContainerConfig& container) override {
    containers_[container.container_id].directory = container.directory;
    return {};
  }

  void usage(const ContainerConfig& container, json::Value* stats) override {
    auto it = containers_.find(container.container_id);
    if (it == containers_.end()) {
      containers_[container.container_id].directory = container.directory;  // recovered
      return;
    }
    if (it->second.measured) {
      stats->set("disk_used_bytes", it->second.used);
    }
    if (container.disk_mb > 0) {
      stats->set("disk_limit_bytes", static_cast<uint64_t>(container.disk_mb * 1024 * 1024));
    }
  }

  std::optional<Limitation> check(const ContainerConfig& container) override {
    auto it = containers_.find(container.container_id);
    if (it == containers_.end()) {
      containers_[container.container_id].directory = container.directory;  // recovered
      return std::nullopt;
    }
    auto limit = static_cast<uint64_t>(container.disk_mb * 1024 * 1024);
    if (!enforce_ || limit == 0 || !it->second.measured || it->second.used <= limit) {
      return std::nullopt;
    }
    return Limitation{Limitation::Kind::kDisk, fmt::format("Disk usage ({}KB) exceeds quota ({}KB)",
                                                           it->second.used / 1024, limit / 1024)};
  }

  std::vector<std::string> cleanup(const std::string& container_id) override {
    containers_.erase(container_id);
    return {};
  }

 private:
  struct Entry {
    std::string directory;
    bool measured = false;
    bool in_flight = false;
    uint64_t used = 0;
  };

  void schedule() {
    std::lock_guard lock(mutex_);
    for (auto& [id, entry] : containers_) {
      if (!entry.in_flight) {
        entry.in_flight = true;
        queue_.emplace_back(id, entry.directory);
      }
    }
    wake_.notify_one();
  }

  void work() {
    while (true) {
      std::pair<std::string, std::string> job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) {
          return;
        }
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      uint64_t used = diskUsage(job.second);
      std::weak_ptr<bool> alive = alive_;
      loop_.post([this, alive, id = job.first, used] {
        auto a = alive.lock();
        if (!a || !*a) {
          return;
        }
        auto it = containers_.find(id);
        if (it != containers_.end()) {
          it->second.used = used;
          it->second.measured = true;
          it->second.in_flight = false;
        }
      });
    }
  }

  EventLoop& loop_;
  bool enforce_;
  std::shared_ptr<bool> alive_;
  EventLoop::TimerId timer_ = 0;
  std::map<std::string, Entry> containers_;  // loop thread only

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, std::string>> queue_;  // (container, directory)
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace

std::unique_ptr<Isolator> makeDiskDuIsolator(EventLoop& loop, std::chrono::nanoseconds interval,
                                             bool enforce) {
  return std::make_unique<DiskDuIsolator>(loop, interval, enforce);
}

}  // namespace plateau::agent
