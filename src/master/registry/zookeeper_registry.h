#pragma once

// The registry in ZooKeeper, for masters elected through --zk: one znode per entry under
// <path>/registry/<kind>/<id> (a znode holds at most 1 MB, a big cluster's registry far more),
// changed with multi-op transactions of at most ~900 KB each. Every transaction also checks the
// version of <path>/registry/epoch, which each new leader bumps during recovery, so a deposed
// leader can never overwrite its successor's writes.

#include <set>
#include <string>

#include "master/registry/registry.h"
#include "runtime/event_loop.h"
#include "zookeeper/client.h"

namespace plateau::master::registry {

class ZooKeeperRegistry : public Registry {
 public:
  // `root` is the election path (e.g. "/mesos"); `leader` identifies this master in the epoch.
  ZooKeeperRegistry(EventLoop& loop, zk::ZooKeeper& zookeeper, std::string root,
                    std::string leader);
  void recover(std::function<void(Result<State>)> done) override;
  void apply(std::vector<Change> changes, std::function<void(Status)> done) override;
  std::string name() const override { return "zookeeper"; }

 private:
  std::string entryPath(Change::Kind kind, const std::string& id) const;
  void bumpEpoch(std::function<void(Status)> done);
  void load(std::function<void(Result<State>)> done);

  EventLoop& loop_;
  zk::ZooKeeper& zk_;
  std::string root_;
  std::string leader_;
  int epoch_version_ = -1;
  std::set<std::string> existing_;  // entry paths known to exist
};

}  // namespace plateau::master::registry
