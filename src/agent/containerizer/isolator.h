#pragma once

// The isolator interface: one class per --isolation name. The containerizer calls, in order,
// prepare (before the child exists), procsFiles (cgroups the child joins before it execs),
// isolate (after the child runs), then usage/check while it runs, and cleanup once it is gone.
// All calls run on the agent's loop thread.

#include <sys/types.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace plateau::agent {

// What a container was given: the sum of its executor's and tasks' resources.
struct ContainerConfig {
  std::string container_id;
  std::string directory;
  double cpus = 0;
  double mem_mb = 0;
  double disk_mb = 0;  // 0: no disk resource
  // Some of its cpus are revocable (oversubscribed): with --revocable_cpu_low_priority the
  // cgroups/cpu isolator gives it a low CPU priority, as Mesos does.
  bool revocable_cpus = false;
  pid_t pid = 0;  // the executor, once launched
  // ContainerInfo.LinuxInfo.share_pid_namespace: run in the agent's pid namespace (namespaces/pid).
  bool share_pid_namespace = false;
  // Groups the first process gets beside its user's (the gids of its volumes, agent/volume_gids.h).
  std::vector<gid_t> supplementary_groups;
};

// A limit a container crossed; the agent fails its tasks with the reason and kills it.
struct Limitation {
  enum class Kind { kMemory, kDisk };
  Kind kind;
  std::string message;
};

class Isolator {
 public:
  virtual ~Isolator() = default;
  // The --isolation name.
  virtual std::string name() const = 0;
  // Sets up what the container needs before its first process starts (a cgroup, limits).
  virtual Status prepare(const ContainerConfig& /*container*/) { return {}; }
  // cgroup.procs files the container's first process must be written to before it execs.
  virtual std::vector<std::string> procsFiles(const std::string& /*container_id*/) const {
    return {};
  }
  // clone(2) namespace flags the container's first process needs (CLONE_NEWPID, ...).
  virtual int cloneFlags(const ContainerConfig& /*container*/) const { return 0; }
  // The container's resources changed: limits follow.
  virtual Status update(const ContainerConfig& /*container*/) { return {}; }
  // Adds ResourceStatistics fields to `stats` (a JSON object). Reads a few files at most.
  virtual void usage(const ContainerConfig& /*container*/, json::Value* /*stats*/) {}
  // A limit crossed, checked now. Cheap: called every few hundred milliseconds.
  virtual std::optional<Limitation> check(const ContainerConfig& /*container*/) {
    return std::nullopt;
  }
  // Removes what prepare made; kills whatever still runs in it. Returns the cgroups it could not
  // remove yet (processes still in them), for the containerizer to retry.
  virtual std::vector<std::string> cleanup(const std::string& /*container_id*/) { return {}; }
  // At agent start: removes what belongs to containers not in `alive` (orphans). Returns what
  // it could not remove yet, as cleanup does.
  virtual std::vector<std::string> recover(const std::set<std::string>& /*alive*/) { return {}; }
};

}  // namespace plateau::agent
