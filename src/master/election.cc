// Leading and standing by, through the Leadership chosen at wiring time: the elected master
// recovers its registry and serves, the others redirect to the leader they detect.

#include <fmt/format.h>

#include "master/master.h"

namespace plateau::master {

void Master::contend() {
  leadership_->start(
      info_, Leadership::Callbacks{.elected =
                                       [this](std::unique_ptr<registry::Registry> registry) {
                                         onElected(std::move(registry));
                                       },
                                   .lost =
                                       [this](const std::string& why) {
                                         // A master that may have been deposed must not act on
                                         // anything any more; the process ends and its supervisor
                                         // starts it again as a fresh one.
                                         log_->error("leadership_lost reason=\"{}\" leading={}",
                                                     why, leading_);
                                         abdicate();
                                       },
                                   .leader =
                                       [this](std::optional<v1::MasterInfo> leader) {
                                         onLeaderChanged(std::move(leader));
                                       }});
}

void Master::abdicate() {
  leading_ = false;
  exit_code_ = 1;
  stop_();
}

void Master::onLeaderChanged(std::optional<v1::MasterInfo> leader) {
  leader_ = std::move(leader);
  if (!leader_) {
    log_->warn("leader_unknown");
    return;
  }
  log_->info("leader_detected id={} address={}:{}", leader_->id(), leader_->address().ip(),
             leader_->address().port());
}

void Master::onElected(std::unique_ptr<registry::Registry> registry) {
  log_->info("elected_leader id={}", master_id_);
  leading_ = true;
  leader_ = info_;
  registry_ = std::move(registry);
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
