#pragma once

// What must survive a master restart or failover: admitted, unreachable and gone agents,
// frameworks, weights, quotas. The master keeps the state in memory and persists each change
// through a Registry before acting on it. Backends: in memory, SQLite in --work_dir, ZooKeeper.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <mesos/v1/mesos.pb.h>
#include <mesos/v1/quota/quota.pb.h>

#include "common/status.h"

namespace plateau::master::registry {

struct State {
  std::map<std::string, mesos::v1::AgentInfo> agents;  // admitted
  std::map<std::string, double> unreachable;           // agent id -> time marked
  std::map<std::string, double> gone;                  // agent id -> time marked
  std::map<std::string, mesos::v1::FrameworkInfo> frameworks;
  std::map<std::string, double> weights;  // role -> weight
  // Maintenance: "schedule" -> serialized maintenance.Schedule, "machines" -> serialized
  // maintenance.ClusterStatus holding the machines' modes (its down_machines).
  std::map<std::string, std::string> maintenance;
  std::map<std::string, mesos::v1::quota::QuotaConfig> quotas;  // role -> quota
};

// One durable change. Entries are keyed by (kind, id); a put replaces, a remove deletes.
struct Change {
  enum class Kind { kAgent, kUnreachable, kGone, kFramework, kWeight, kMaintenance, kQuota };
  Kind kind;
  std::string id;
  std::string data;  // serialized AgentInfo / FrameworkInfo, or a number as text
  bool remove = false;

  static Change putAgent(const mesos::v1::AgentInfo& info);
  static Change putFramework(const mesos::v1::FrameworkInfo& info);
  static Change putQuota(const mesos::v1::quota::QuotaConfig& config);
  static Change putNumber(Kind kind, const std::string& id, double value);
  static Change erase(Kind kind, const std::string& id);
  static Change putBlob(Kind kind, const std::string& id, std::string data);
};

// Applies changes to an in-memory State (what every backend also does on recovery).
Status applyTo(State& state, const Change& change);
const char* kindName(Change::Kind kind);

class Registry {
 public:
  virtual ~Registry() = default;
  // Loads everything stored; `done` runs on the caller's loop.
  virtual void recover(std::function<void(Result<State>)> done) = 0;
  // Stores the changes atomically, in order; `done` runs on the caller's loop once they are
  // durable (or failed: the master must then not act on them).
  virtual void apply(std::vector<Change> changes, std::function<void(Status)> done) = 0;
  virtual std::string name() const = 0;
};

}  // namespace plateau::master::registry
