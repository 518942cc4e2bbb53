#include "zookeeper/detector.h"
#include "common/backoff.h"

#include <algorithm>

namespace plateau::zk {

namespace {

constexpr std::chrono::milliseconds kMinBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{2000};

}  // namespace

LeaderDetector::LeaderDetector(EventLoop& loop, Url url, std::chrono::milliseconds session_timeout,
                               std::function<void(std::optional<std::string>)> changed)
    : loop_(loop),
      url_(std::move(url)),
      session_timeout_(session_timeout),
      changed_(std::move(changed)) {}

LeaderDetector::~LeaderDetector() {
  disarmUnreachable();
  group_.reset();
  zk_.reset();
}

void LeaderDetector::start() {
  if (!zk_) {
    openSession();
  }
}

void LeaderDetector::openSession() {
  group_.reset();
  zk_.reset();
  zk_ = std::make_unique<ZooKeeper>(loop_, url_, session_timeout_,
                                    [this](SessionEvent e) { onSession(e); });
  group_ = std::make_unique<GroupWatcher>(loop_, *zk_, url_.path, [this](GroupWatcher::View view) {
    report(std::move(view.leader_data));
  });
  armUnreachable();
}

void LeaderDetector::onSession(SessionEvent event) {
  switch (event) {
    case SessionEvent::kConnected:
      disarmUnreachable();
      backoff_ = std::chrono::milliseconds(0);
      group_->refresh();
      break;
    case SessionEvent::kDisconnected:
      armUnreachable();
      break;
    case SessionEvent::kExpired: {
      // The leader may well be unchanged: keep reporting it until a new session says otherwise,
      // or the unreachable timer says nobody can know.
      armUnreachable();
      backoff_ = nextBackoff(backoff_, kMinBackoff, kMaxBackoff);
      std::weak_ptr<char> weak = alive_;
      loop_.after(backoff_, [this, weak] {
        if (!weak.expired()) {
          openSession();
        }
      });
      break;
    }
  }
}

void LeaderDetector::armUnreachable() {
  if (unreachable_timer_) {
    return;
  }
  std::weak_ptr<char> weak = alive_;
  uint64_t generation = ++unreachable_generation_;
  unreachable_timer_ = loop_.after(session_timeout_, [this, weak, generation] {
    if (weak.expired() || generation != unreachable_generation_) {
      return;
    }
    unreachable_timer_.reset();
    report(std::nullopt);
  });
}

void LeaderDetector::disarmUnreachable() {
  ++unreachable_generation_;
  if (unreachable_timer_) {
    loop_.cancel(*unreachable_timer_);
    unreachable_timer_.reset();
  }
}

void LeaderDetector::report(std::optional<std::string> leader) {
  if (reported_ && *reported_ == leader) {
    return;
  }
  reported_ = leader;
  auto changed = changed_;  // a copy: the callback may destroy this detector
  if (changed) {
    changed(std::move(leader));
  }
}

}  // namespace plateau::zk
