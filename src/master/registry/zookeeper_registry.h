#pragma once

// The registry in ZooKeeper, for masters elected through --zk: one znode per entry under
// <path>/registry/<kind>/<id> (a znode holds at most 1 MB, a big cluster's registry far more),
// changed with multi-op transactions of at most ~900 KB each. Every transaction also checks the
// version of <path>/registry/epoch, which each new leader bumps during recovery, so a deposed
// leader can never overwrite its successor's writes, and bumps <path>/registry/version, so that
// a standby (standBy()) can keep a copy and tell whether it is still current once elected: then
// recovery reads one version instead of every entry (master/registry/standby_copy.h). Each
// leader writes its id into the version when it recovers; a copy is used only if the version
// is the copy's and was written by the leader that held the epoch before, so a leader that does
// not keep the version (an older build) can never leave a stale copy looking current.

#include <memory>
#include <optional>
#include <set>
#include <string>

#include "master/registry/registry.h"
#include "master/registry/standby_copy.h"
#include "runtime/event_loop.h"
#include "zookeeper/client.h"

namespace plateau::master::registry {

class ZooKeeperRegistry : public Registry, private VersionedStore {
 public:
  // `root` is the election path (e.g. "/mesos"); `leader` identifies this master in the epoch.
  ZooKeeperRegistry(EventLoop& loop, zk::ZooKeeper& zookeeper, std::string root,
                    std::string leader);
  ~ZooKeeperRegistry() override;
  // While another master leads: keeps a copy of the registry and follows its changes, until
  // recover() (which uses the copy only if it is of the version found after fencing).
  void standBy();
  // Recovers: fences the registry (bumps the epoch), then takes the standby copy if it is
  // current, else reads every entry.
  void recover(std::function<void(Result<State>)> done) override;
  void apply(std::vector<Change> changes, std::function<void(Status)> done) override;
  std::string name() const override { return "zookeeper"; }
  // The standby's copy, for tests and the log: its version, and whole reads so far.
  const StandbyCopy* standbyCopy() const { return standby_.get(); }

 private:
  std::string entryPath(Change::Kind kind, const std::string& id) const;
  std::string versionPath() const { return root_ + "/version"; }
  void bumpEpoch(std::function<void(Status)> done);
  void recoverFenced(std::function<void(Result<State>)> done);
  void markVersion(std::function<void(Status)> done);
  void readVersion(std::function<void(Result<std::optional<int>>)> done) override;
  void watchVersion(std::function<void()> changed, std::function<void(Status)> done) override;
  void readAll(std::function<void(Result<Snapshot>)> done) override;

  EventLoop& loop_;
  zk::ZooKeeper& zk_;
  std::string root_;
  std::string leader_;
  int epoch_version_ = -1;
  std::string previous_leader_;     // who held the epoch before this master bumped it
  std::set<std::string> existing_;  // entry paths known to exist
  std::unique_ptr<StandbyCopy> standby_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for callbacks in flight
};

}  // namespace plateau::master::registry
