#include "zookeeper/election.h"
#include "common/backoff.h"

#include <algorithm>

namespace plateau::zk {

namespace {

constexpr std::chrono::milliseconds kMinBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{1000};

}  // namespace

LeaderContender::LeaderContender(EventLoop& loop, Url url,
                                 std::chrono::milliseconds session_timeout, std::string data,
                                 Callbacks callbacks)
    : loop_(loop),
      url_(std::move(url)),
      session_timeout_(session_timeout),
      data_(std::move(data)),
      callbacks_(std::move(callbacks)) {}

LeaderContender::~LeaderContender() {
  disarmDisconnect();
  group_.reset();
  zk_.reset();
}

void LeaderContender::start() {
  if (zk_) {
    return;
  }
  alive_ = std::make_shared<char>();
  node_.clear();
  contending_ = false;
  uncertain_ = false;
  elected_ = false;
  reported_leader_.reset();
  backoff_ = std::chrono::milliseconds(0);
  std::weak_ptr<char> weak = alive_;
  zk_ = std::make_unique<ZooKeeper>(loop_, url_, session_timeout_, [this, weak](SessionEvent e) {
    if (!weak.expired()) {
      onSession(e);
    }
  });
  group_ =
      std::make_unique<GroupWatcher>(loop_, *zk_, url_.path, [this, weak](GroupWatcher::View view) {
        if (!weak.expired()) {
          onView(std::move(view));
        }
      });
}

void LeaderContender::onSession(SessionEvent event) {
  switch (event) {
    case SessionEvent::kConnected:
      disarmDisconnect();
      if (!node_.empty()) {
        group_->refresh();
      } else if (!contending_) {
        contend();
      }
      break;
    case SessionEvent::kDisconnected: {
      if (disconnect_timer_) {
        break;
      }
      // As Mesos does: a session that cannot reach ZooKeeper for the session timeout is as good
      // as expired, and another contender may lead by then. The server may have granted less
      // than we asked for: use the smaller.
      auto timeout = zk_->negotiatedTimeout();
      if (timeout.count() <= 0 || timeout > session_timeout_) {
        timeout = session_timeout_;
      }
      std::weak_ptr<char> weak = alive_;
      uint64_t generation = ++disconnect_generation_;
      disconnect_timer_ = loop_.after(timeout, [this, weak, generation] {
        if (weak.expired() || generation != disconnect_generation_) {
          return;
        }
        disconnect_timer_.reset();
        lose("disconnected from ZooKeeper for longer than the session timeout");
      });
      break;
    }
    case SessionEvent::kExpired:
      lose("ZooKeeper session expired");
      break;
  }
}

void LeaderContender::contend() {
  contending_ = true;
  std::weak_ptr<char> weak = alive_;
  zk_->createParents(url_.path, [this, weak](Status status) {
    if (weak.expired()) {
      return;
    }
    if (!status.isOk()) {
      retry([this] { contend(); });
      return;
    }
    adoptOrCreate();
  });
}

void LeaderContender::adoptOrCreate() {
  if (!uncertain_) {
    createNode();
    return;
  }
  // An earlier create may have succeeded without our hearing of it: a second node of ours would
  // be a second candidacy. Adopt the lowest node this session owns, remove any others.
  std::weak_ptr<char> weak = alive_;
  zk_->children(url_.path, nullptr, [this, weak](Result<std::vector<std::string>> children) {
    if (weak.expired()) {
      return;
    }
    if (!children) {
      retry([this] { contend(); });
      return;
    }
    auto names = contenders(*children);
    if (names.empty()) {
      uncertain_ = false;
      createNode();
      return;
    }
    struct Scan {
      size_t pending = 0;
      bool failed = false;
      std::vector<std::pair<std::string, bool>> ours;  // name, owned by this session
    };
    auto scan = std::make_shared<Scan>();
    scan->pending = names.size();
    scan->ours.resize(names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      scan->ours[i].first = names[i];
      zk_->get(url_.path + "/" + names[i],
               [this, weak, scan, i](Result<std::pair<std::string, Stat>> node) {
                 if (weak.expired()) {
                   return;
                 }
                 if (node) {
                   scan->ours[i].second = node->second.ephemeral_owner == zk_->sessionId();
                 } else if (node.error().code() != StatusCode::kNotFound) {
                   scan->failed = true;
                 }
                 if (--scan->pending > 0) {
                   return;
                 }
                 if (scan->failed) {
                   retry([this] { contend(); });
                   return;
                 }
                 uncertain_ = false;
                 std::string adopted;
                 for (const auto& [name, mine] : scan->ours) {
                   if (!mine) {
                     continue;
                   }
                   if (adopted.empty()) {
                     adopted = name;
                   } else {
                     zk_->remove(url_.path + "/" + name, -1, [](Status) {});
                   }
                 }
                 if (adopted.empty()) {
                   createNode();
                   return;
                 }
                 node_ = adopted;
                 contending_ = false;
                 group_->refresh();
               });
    }
  });
}

void LeaderContender::createNode() {
  std::weak_ptr<char> weak = alive_;
  zk_->create(url_.path + "/" + std::string(kContenderPrefix), data_, true, true,
              [this, weak](Result<std::string> created) {
                if (weak.expired()) {
                  return;
                }
                if (!created) {
                  if (created.error().code() == StatusCode::kUnavailable) {
                    uncertain_ = true;
                  }
                  retry([this] { contend(); });
                  return;
                }
                node_ = created->substr(created->rfind('/') + 1);
                contending_ = false;
                backoff_ = std::chrono::milliseconds(0);
                group_->refresh();
              });
}

void LeaderContender::onView(GroupWatcher::View view) {
  std::weak_ptr<char> weak = alive_;
  if (!node_.empty() &&
      std::find(view.contenders.begin(), view.contenders.end(), node_) == view.contenders.end()) {
    lose("our candidacy node " + url_.path + "/" + node_ + " vanished");
    return;
  }
  if (!elected_ && !node_.empty() && view.contenders.front() == node_) {
    elected_ = true;
    auto elected = callbacks_.elected;  // copies: a callback may destroy this contender
    if (elected) {
      elected();
    }
    if (weak.expired()) {
      return;
    }
  }
  if (!reported_leader_ || *reported_leader_ != view.leader_data) {
    reported_leader_ = view.leader_data;
    auto leader = callbacks_.leader;
    if (leader) {
      leader(view.leader_data);
    }
  }
}

void LeaderContender::retry(std::function<void()> step) {
  backoff_ = nextBackoff(backoff_, kMinBackoff, kMaxBackoff);
  std::weak_ptr<char> weak = alive_;
  loop_.after(backoff_, [weak, step = std::move(step)] {
    if (!weak.expired()) {
      step();
    }
  });
}

void LeaderContender::disarmDisconnect() {
  ++disconnect_generation_;
  if (disconnect_timer_) {
    loop_.cancel(*disconnect_timer_);
    disconnect_timer_.reset();
  }
}

void LeaderContender::lose(const std::string& why) {
  if (!zk_) {
    return;
  }
  disarmDisconnect();
  alive_.reset();
  group_.reset();
  zk_.reset();  // closes the session: our node, if any, goes away now
  node_.clear();
  contending_ = false;
  elected_ = false;
  auto lost = callbacks_.lost;
  if (lost) {
    lost(why);
  }
}

}  // namespace plateau::zk
