#pragma once

// Leadership through ZooKeeper (--zk): masters contend for the lowest candidacy node; the
// elected one opens a session of its own for the registry, which lives under the same path and
// is fenced by the leader's epoch. Every master, leading or not, follows who leads, so that a
// standby can redirect clients to it. A standby also opens that registry session at once and
// keeps a copy of the registry (ZooKeeperRegistry::standBy), so that once elected it recovers
// without reading every entry when nothing changed since.
//
// Beyond Leadership's guarantees: `lost` is reported when the candidacy ends (session expired,
// disconnected for the session timeout, node gone) or when the elected master's registry
// session expires; the master must then exit, and its supervisor starts it as a fresh
// contender. A standby whose registry session expires drops its copy and opens a new session.

#include <chrono>
#include <memory>

#include "master/leadership.h"
#include "master/registry/zookeeper_registry.h"
#include "runtime/event_loop.h"
#include "zookeeper/client.h"
#include "zookeeper/election.h"
#include "zookeeper/url.h"

namespace plateau::master {

class ZooKeeperLeadership final : public Leadership {
 public:
  ZooKeeperLeadership(EventLoop& loop, zk::Url url, std::chrono::milliseconds session_timeout);
  ~ZooKeeperLeadership() override;

  void start(const mesos::v1::MasterInfo& self, Callbacks callbacks) override;
  std::string describe() const override;
  bool contended() const override { return true; }

 private:
  void openRegistry();
  void onElected();
  void onLeader(const std::optional<std::string>& json);

  EventLoop& loop_;
  zk::Url url_;
  std::chrono::milliseconds session_timeout_;
  std::string self_id_;
  Callbacks callbacks_;
  std::unique_ptr<zk::LeaderContender> contender_;
  bool elected_ = false;
  std::unique_ptr<zk::ZooKeeper> registry_zk_;  // the registry's session, standing by or elected
  std::unique_ptr<registry::ZooKeeperRegistry> registry_;  // until handed over when elected
};

}  // namespace plateau::master
