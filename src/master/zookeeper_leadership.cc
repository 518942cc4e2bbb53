#include "master/zookeeper_leadership.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/json_codec.h"

namespace plateau::master {

ZooKeeperLeadership::ZooKeeperLeadership(EventLoop& loop, zk::Url url,
                                         std::chrono::milliseconds session_timeout)
    : loop_(loop), url_(std::move(url)), session_timeout_(session_timeout) {}

ZooKeeperLeadership::~ZooKeeperLeadership() = default;

std::string ZooKeeperLeadership::describe() const { return fmt::format("zk={}", url_.toString()); }

void ZooKeeperLeadership::start(const mesos::v1::MasterInfo& self, Callbacks callbacks) {
  self_id_ = self.id();
  callbacks_ = std::move(callbacks);
  contender_ = std::make_unique<zk::LeaderContender>(
      loop_, url_, session_timeout_, toJson(self),
      zk::LeaderContender::Callbacks{
          .elected = [this] { onElected(); },
          .lost = [this](const std::string& why) { callbacks_.lost(why); },
          .leader = [this](std::optional<std::string> json) { onLeader(json); }});
  openRegistry();
  contender_->start();
}

void ZooKeeperLeadership::openRegistry() {
  registry_.reset();
  registry_zk_ =
      std::make_unique<zk::ZooKeeper>(loop_, url_, session_timeout_, [this](zk::SessionEvent e) {
        if (e != zk::SessionEvent::kExpired) {
          return;
        }
        if (elected_) {
          return callbacks_.lost("the registry's ZooKeeper session expired");
        }
        // Standing by: the copy goes with its session; a new session starts over (opened
        // outside the old session's callback).
        registry_.reset();
        loop_.post([this] {
          if (!elected_ && !registry_) {
            openRegistry();
          }
        });
      });
  registry_ =
      std::make_unique<registry::ZooKeeperRegistry>(loop_, *registry_zk_, url_.path, self_id_);
  registry_->standBy();
}

void ZooKeeperLeadership::onElected() {
  elected_ = true;
  if (!registry_) {
    openRegistry();
  }
  callbacks_.elected(std::move(registry_));
}

void ZooKeeperLeadership::onLeader(const std::optional<std::string>& json) {
  if (!json) {
    callbacks_.leader(std::nullopt);
    return;
  }
  mesos::v1::MasterInfo info;
  if (Status s = fromJson(*json, &info); !s.isOk()) {
    // Another program's node, or a newer format: keep the leader last known.
    spdlog::warn("leader_info_unreadable error=\"{}\"", s.message());
    return;
  }
  callbacks_.leader(info);
}

}  // namespace plateau::master
