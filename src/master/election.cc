// Leading and standing by: with --zk, masters contend through ZooKeeper; the elected one
// recovers the registry from ZooKeeper and serves, the others redirect to it.

#include <fmt/format.h>

#include "common/json_codec.h"
#include "master/master.h"
#include "master/registry/zookeeper_registry.h"

namespace plateau::master {

void Master::contend() {
  auto url = zk::Url::parse(flags_.zk);  // validated with the flags
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(flags_.zk_session_timeout);
  contender_ = std::make_unique<zk::LeaderContender>(
      loop_, *url, timeout, toJson(info_),
      zk::LeaderContender::Callbacks{
          .elected = [this] { onElected(); },
          .lost =
              [this](const std::string& why) {
                // A master that may have been deposed must not act on anything any more; the
                // process ends and its supervisor starts it again as a fresh contender.
                log_->error("leadership_lost reason=\"{}\" leading={}", why, leading_);
                leading_ = false;
                exit_code_ = 1;
                loop_.stop();
              },
          .leader = [this](std::optional<std::string> json) { onLeaderChanged(json); }});
  contender_->start();
}

void Master::onLeaderChanged(std::optional<std::string> leader_json) {
  if (!leader_json) {
    leader_.reset();
    log_->warn("leader_unknown");
    return;
  }
  v1::MasterInfo info;
  if (Status s = fromJson(*leader_json, &info); !s.isOk()) {
    log_->warn("leader_info_unreadable error=\"{}\"", s.message());
    return;
  }
  leader_ = info;
  log_->info("leader_detected id={} address={}:{}", info.id(), info.address().ip(),
             info.address().port());
}

void Master::onElected() {
  log_->info("elected_leader id={}", master_id_);
  leading_ = true;
  leader_ = info_;
  auto url = zk::Url::parse(flags_.zk);
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(flags_.zk_session_timeout);
  registry_zk_ = std::make_unique<zk::ZooKeeper>(loop_, *url, timeout, [this](zk::SessionEvent e) {
    if (e == zk::SessionEvent::kExpired) {
      log_->error("registry_session_expired");
      exit_code_ = 1;
      loop_.stop();
    }
  });
  registry_ =
      std::make_unique<registry::ZooKeeperRegistry>(loop_, *registry_zk_, url->path, master_id_);
  recover();
}

http::Response Master::notLeader(const http::Request& request) const {
  if (!leader_ || leader_->id() == master_id_) {
    return http::Response::text(503, "No leader elected: try again shortly");
  }
  http::Response r = http::Response::text(
      307, fmt::format("This master is not the leader; the leader is {}:{}",
                       leader_->address().hostname(), leader_->address().port()));
  std::string path = request.path == "/master/redirect" || request.path == "/redirect"
                         ? std::string()
                         : request.path;
  r.headers["location"] =
      fmt::format("//{}:{}{}", leader_->address().hostname(), leader_->address().port(), path);
  return r;
}

}  // namespace plateau::master
