#pragma once

// How a master comes to lead, and the registry it leads with. Chosen at wiring time (main.cc):
// a sole master leads at once with its local registry; with --zk, masters contend through
// ZooKeeper and the elected one gets a registry in ZooKeeper. Tests substitute
// tests/fakes/fake_leadership.h and decide themselves when a master is elected or deposed.
//
// Guarantees to the master: `elected` runs at most once, `lost` at most once and never before
// start(); after `lost` no other callback runs. All callbacks run on the loop thread.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <mesos/v1/mesos.pb.h>

#include "master/registry/registry.h"

namespace plateau::master {

class Leadership {
 public:
  struct Callbacks {
    // This master leads from now on; `registry` is its durable store.
    std::function<void(std::unique_ptr<registry::Registry> registry)> elected;
    // It may lead no longer (its session ended): it must stop acting at once.
    std::function<void(const std::string& why)> lost;
    // The leader as now detected; nullopt while there is none.
    std::function<void(std::optional<mesos::v1::MasterInfo> leader)> leader;
  };

  virtual ~Leadership() = default;
  // Starts contending as `self` (its id, address and version are what others detect).
  virtual void start(const mesos::v1::MasterInfo& self, Callbacks callbacks) = 0;
  // For the start-up log line, e.g. "registry=local" or "zk=zk://127.0.0.1:2181/plateau".
  virtual std::string describe() const = 0;
  // Whether other masters may lead: then a registry write refused as stale means this one was
  // deposed.
  virtual bool contended() const = 0;
};

// The only master: elected as soon as it starts, with the registry it was given.
class SoleLeadership final : public Leadership {
 public:
  explicit SoleLeadership(std::unique_ptr<registry::Registry> registry)
      : name_(registry->name()), registry_(std::move(registry)) {}
  void start(const mesos::v1::MasterInfo& self, Callbacks callbacks) override;
  std::string describe() const override;
  bool contended() const override { return false; }

 private:
  std::string name_;
  std::unique_ptr<registry::Registry> registry_;  // handed over when elected
};

}  // namespace plateau::master
