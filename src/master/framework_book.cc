#include "master/framework_book.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/invariant.h"

namespace plateau::master {

FrameworkBook::FrameworkBook(Timers& timers, std::chrono::nanoseconds heartbeat_interval,
                             size_t max_completed, Hooks hooks)
    : timers_(timers),
      heartbeat_interval_(heartbeat_interval),
      max_completed_(max_completed),
      hooks_(std::move(hooks)) {}

FrameworkBook::~FrameworkBook() {
  for (auto& [id, fw] : frameworks_) {
    timers_.cancel(fw.heartbeat_timer);
    timers_.cancel(fw.failover_timer);
    if (fw.stream) {
      // The stream may outlive the book (or die with it): its end must not reach the book.
      fw.stream->onClosed([] {});
    }
  }
}

Framework* FrameworkBook::find(const std::string& id) {
  auto it = frameworks_.find(id);
  return it == frameworks_.end() ? nullptr : &it->second;
}

const Framework* FrameworkBook::find(const std::string& id) const {
  auto it = frameworks_.find(id);
  return it == frameworks_.end() ? nullptr : &it->second;
}

bool FrameworkBook::removed(const std::string& id) const {
  return std::any_of(completed_.begin(), completed_.end(),
                     [&](const Framework& fw) { return fw.id == id; });
}

std::pair<Framework&, bool> FrameworkBook::add(const std::string& id) {
  auto [it, inserted] = frameworks_.try_emplace(id);
  if (inserted) {
    it->second.id = id;
  }
  return {it->second, inserted};
}

void FrameworkBook::attach(Framework& fw, std::shared_ptr<http::Stream> stream,
                           std::string stream_id, http::ContentType content) {
  if (auto old = std::move(fw.stream)) {
    old->close();  // no longer the framework's link: its end goes unreported
  }
  if (fw.failover_timer != 0) {
    timers_.cancel(fw.failover_timer);
    fw.failover_timer = 0;
  }
  setLink(fw, true, true);
  fw.content = content;
  fw.stream_id = std::move(stream_id);
  fw.stream = std::move(stream);
  std::weak_ptr<http::Stream> weak = fw.stream;
  fw.stream->onClosed([this, id = fw.id, weak] {
    Framework* current = find(id);
    if (current != nullptr && current->stream != nullptr && current->stream == weak.lock()) {
      hooks_.disconnected(id);
    }
  });
  if (fw.heartbeat_timer == 0) {
    fw.heartbeat_timer = timers_.every(heartbeat_interval_, [this, id = fw.id] {
      if (Framework* current = find(id)) {
        hooks_.heartbeat(*current);
      }
    });
  }
}

void FrameworkBook::awaitFailover(Framework& fw) {
  setLink(fw, false, false);
  fw.stream.reset();
  if (fw.failover_timer != 0) {
    timers_.cancel(fw.failover_timer);
  }
  // Frameworks pass huge values to mean "forever": capped at about 100 years, no overflow.
  double seconds = std::clamp(fw.info.failover_timeout(), 0.0, 3.15e9);
  auto delay = std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9));
  fw.failover_timer = timers_.after(delay, [this, id = fw.id] {
    Framework* current = find(id);
    if (current != nullptr && !current->connected) {
      current->failover_timer = 0;
      hooks_.failover_expired(id);
    }
  });
}

std::vector<std::string> FrameworkBook::retire(const std::string& id) {
  auto it = frameworks_.find(id);
  if (it == frameworks_.end()) {
    return {};
  }
  Framework& fw = it->second;
  timers_.cancel(fw.heartbeat_timer);
  timers_.cancel(fw.failover_timer);
  fw.heartbeat_timer = fw.failover_timer = 0;
  auto stream = std::move(fw.stream);
  setLink(fw, false, false);
  completed_.push_back(std::move(fw));
  frameworks_.erase(it);
  if (stream) {
    stream->close();
  }
  std::vector<std::string> dropped;
  while (completed_.size() > max_completed_) {
    dropped.push_back(completed_.front().id);
    completed_.pop_front();
  }
  return dropped;
}

void FrameworkBook::setLink(Framework& fw, bool connected, bool active) {
  if (fw.connected != connected) {
    connected ? ++connected_count_ : --connected_count_;
  }
  if (fw.active != active) {
    active ? ++active_count_ : --active_count_;
  }
  fw.connected = connected;
  fw.active = active;
}

const Resources& Framework::used() const {
  if (used_stale_) {
    used_ = Resources();
    for (const auto& [agent_id, resources] : used_on_) {
      used_ += resources;
    }
    used_stale_ = false;
  }
  return used_;
}

void FrameworkBook::use(Framework& framework, const std::string& agent_id,
                        const Resources& resources) {
  if (resources.empty()) {
    return;
  }
  framework.used_on_[agent_id] += resources;
  framework.used_stale_ = true;
}

void FrameworkBook::release(Framework& framework, const std::string& agent_id,
                            const Resources& resources) {
  if (resources.empty()) {
    return;
  }
  auto it = framework.used_on_.find(agent_id);
  if (it == framework.used_on_.end() || !it->second.contains(resources)) {
    invariantBroken(fmt::format(
        "framework {} releases {} on agent {} but uses {} there", framework.id,
        resources.toString(), agent_id,
        it == framework.used_on_.end() ? std::string("nothing") : it->second.toString()));
  }
  it->second -= resources;
  if (it->second.empty()) {
    framework.used_on_.erase(it);
  }
  framework.used_stale_ = true;
}

}  // namespace plateau::master
