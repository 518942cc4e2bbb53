#include "agent/status_update_manager.h"

#include <algorithm>
#include <utility>

#include "common/task_state.h"

namespace plateau::agent {

namespace v1 = mesos::v1;
using namespace std::chrono_literals;

namespace {
constexpr std::chrono::nanoseconds kMaxBackoff = 10min;
}

StatusUpdateManager::StatusUpdateManager(Timers& timers, std::chrono::nanoseconds retry_interval,
                                         Hooks hooks)
    : timers_(timers), retry_interval_(retry_interval), hooks_(std::move(hooks)) {}

StatusUpdateManager::~StatusUpdateManager() { clear(); }

std::string StatusUpdateManager::key(const std::string& framework_id, const std::string& task_id) {
  return framework_id + "/" + task_id;
}

const StatusUpdateManager::Stream* StatusUpdateManager::find(const std::string& framework_id,
                                                             const std::string& task_id) const {
  auto it = streams_.find(key(framework_id, task_id));
  return it == streams_.end() ? nullptr : &it->second;
}

void StatusUpdateManager::setConnected(bool connected) {
  connected_ = connected;
  if (!connected) {
    return;
  }
  std::vector<std::string> heads;
  for (auto& [k, stream] : streams_) {
    if (!stream.pending.empty()) {
      stream.backoff = 0s;  // as Mesos's agent on a new master: the shortest interval again
      heads.push_back(k);
    }
  }
  for (const auto& k : heads) {
    forward(k);
  }
}

bool StatusUpdateManager::update(const std::string& framework_id, const std::string& executor_id,
                                 v1::TaskStatus status, bool checkpoint) {
  std::string k = key(framework_id, status.task_id().value());
  Stream& stream = streams_[k];
  if (isTerminal(stream.latest) && !stream.pending.empty()) {
    return false;
  }
  if (stream.pending.empty() && stream.acknowledged.empty()) {
    stream.framework_id = framework_id;
    stream.executor_id = executor_id;
    stream.checkpoint = checkpoint;
  }
  if (stream.checkpoint && hooks_.checkpoint_update) {
    hooks_.checkpoint_update(framework_id, stream.executor_id, status);
  }
  stream.latest = status.state();
  stream.pending.push_back(std::move(status));
  if (stream.pending.size() == 1) {
    forward(k);
  }
  return true;
}

void StatusUpdateManager::recover(const std::string& framework_id, const std::string& executor_id,
                                  const std::string& task_id, v1::TaskState latest,
                                  std::set<std::string> acknowledged,
                                  std::deque<v1::TaskStatus> pending) {
  Stream& stream = streams_[key(framework_id, task_id)];
  cancelRetry(stream);
  stream.framework_id = framework_id;
  stream.executor_id = executor_id;
  stream.checkpoint = true;
  stream.latest = latest;
  stream.acknowledged = std::move(acknowledged);
  stream.pending = std::move(pending);
  stream.backoff = 0s;
  // Whether the head reached a master before the restart is not known: it is the earliest
  // update the framework may lack, so the one reported until it is sent again.
  if (!stream.pending.empty()) {
    stream.sent = Sent{stream.pending.front().state(), stream.pending.front().uuid()};
  } else if (!stream.acknowledged.empty()) {
    stream.sent = Sent{latest, {}};
  } else {
    stream.sent.reset();
  }
}

std::optional<StatusUpdateManager::Acknowledged> StatusUpdateManager::acknowledge(
    const std::string& framework_id, const std::string& task_id, const std::string& uuid) {
  std::string k = key(framework_id, task_id);
  auto it = streams_.find(k);
  if (it == streams_.end() || it->second.pending.empty() ||
      it->second.pending.front().uuid() != uuid) {
    return std::nullopt;
  }
  Stream& stream = it->second;
  Acknowledged acked{.status = std::move(stream.pending.front()),
                     .executor_id = stream.executor_id,
                     .checkpoint = stream.checkpoint};
  stream.pending.pop_front();
  stream.acknowledged.insert(uuid);
  stream.sent = Sent{acked.status.state(), uuid};  // until the next one is sent
  if (stream.checkpoint && hooks_.checkpoint_ack) {
    hooks_.checkpoint_ack(framework_id, stream.executor_id, task_id, uuid);
  }
  stream.backoff = 0s;
  cancelRetry(stream);
  if (!stream.pending.empty()) {
    forward(k);
  } else if (isTerminal(acked.status.state())) {
    streams_.erase(it);
    acked.stream_ended = true;
  }
  return acked;
}

std::optional<StatusUpdateManager::Sent> StatusUpdateManager::lastSent(
    const std::string& framework_id, const std::string& task_id) const {
  const Stream* stream = find(framework_id, task_id);
  return stream == nullptr ? std::nullopt : stream->sent;
}

bool StatusUpdateManager::isPending(const std::string& framework_id, const std::string& task_id,
                                    const std::string& uuid) const {
  const Stream* stream = find(framework_id, task_id);
  return stream != nullptr &&
         std::any_of(stream->pending.begin(), stream->pending.end(),
                     [&](const v1::TaskStatus& status) { return status.uuid() == uuid; });
}

bool StatusUpdateManager::wasAcknowledged(const std::string& framework_id,
                                          const std::string& task_id,
                                          const std::string& uuid) const {
  const Stream* stream = find(framework_id, task_id);
  return stream != nullptr && stream->acknowledged.contains(uuid);
}

bool StatusUpdateManager::hasPendingCheckpointed(const std::string& framework_id,
                                                 const std::string& executor_id) const {
  return std::any_of(streams_.begin(), streams_.end(), [&](const auto& entry) {
    const Stream& s = entry.second;
    return s.checkpoint && s.framework_id == framework_id && s.executor_id == executor_id &&
           !s.pending.empty();
  });
}

void StatusUpdateManager::removeFramework(const std::string& framework_id) {
  for (auto it = streams_.begin(); it != streams_.end();) {
    if (it->second.framework_id == framework_id) {
      cancelRetry(it->second);
      it = streams_.erase(it);
    } else {
      ++it;
    }
  }
}

void StatusUpdateManager::clear() {
  for (auto& [k, stream] : streams_) {
    cancelRetry(stream);
  }
  streams_.clear();
}

void StatusUpdateManager::cancelRetry(Stream& stream) {
  if (stream.retry_timer != 0) {
    timers_.cancel(stream.retry_timer);
    stream.retry_timer = 0;
  }
}

void StatusUpdateManager::forward(const std::string& k) {
  auto it = streams_.find(k);
  if (it == streams_.end() || it->second.pending.empty()) {
    return;
  }
  Stream& stream = it->second;
  cancelRetry(stream);
  if (connected_ && hooks_.forward) {
    stream.sent = Sent{stream.pending.front().state(), stream.pending.front().uuid()};
    hooks_.forward(stream.framework_id, stream.pending.front(), stream.latest);
  }
  stream.backoff =
      stream.backoff == 0s ? retry_interval_ : std::min(stream.backoff * 2, kMaxBackoff);
  stream.retry_timer = timers_.after(stream.backoff, [this, k] {
    auto s = streams_.find(k);
    if (s != streams_.end()) {
      s->second.retry_timer = 0;
      forward(k);
    }
  });
}

}  // namespace plateau::agent
