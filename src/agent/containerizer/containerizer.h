#pragma once

// What the agent asks of a containerizer: one container per executor, started, resized,
// measured, killed and destroyed by container id. Chosen at wiring time (main.cc builds a
// LinuxContainerizer; tests/fakes/fake_containerizer.h records calls instead). Loop thread only.
//
// The container's first process is a child of the agent: its exit reaches the agent through
// SIGCHLD with the pid launch() returned, and the agent then calls destroy(). Limits a
// container crosses are reported once through the limitation callback, and also answered by
// limitation() when asked.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/containerizer/isolator.h"
#include "common/json.h"
#include "common/process.h"
#include "common/status.h"

namespace plateau::agent {

class Containerizer {
 public:
  using LimitationCallback = std::function<void(const std::string& container_id, Limitation)>;

  virtual ~Containerizer() = default;

  // Where crossed limits are reported (the container is killed first). Set once, before launch.
  virtual void setLimitationCallback(LimitationCallback on_limitation) = 0;

  // Launches a container's first process as `user` (empty: the agent's own user), inside the
  // container's isolation. Errors (an unknown user, a container id in use, a program that
  // cannot run) leave nothing behind and name what failed.
  virtual Result<pid_t> launch(ContainerConfig config, const LaunchSpec& process,
                               const std::string& user) = 0;

  // Takes over containers found running at agent start (`alive`), and removes whatever an
  // earlier agent left of any other container.
  virtual void recover(const std::vector<ContainerConfig>& alive) = 0;

  // The container's resources changed: cpu and disk limits follow; memory is only ever raised.
  // Unknown ids are ignored.
  virtual void update(const std::string& container_id, double cpus, double mem_mb,
                      double disk_mb) = 0;

  // ResourceStatistics fields of a container as a JSON object, its timestamp read from the
  // agent's clock (null when the container is unknown).
  virtual json::Value usage(const std::string& container_id) = 0;

  // A limit the container has crossed, checked now (nullopt when none, or unknown).
  virtual std::optional<Limitation> limitation(const std::string& container_id) = 0;

  // SIGTERMs the container's processes: asks them to stop (kill() follows after a grace period).
  virtual void terminate(const std::string& container_id) = 0;

  // SIGKILLs every process of the container while it stays known, including what is left of its
  // first process's session once that process has ended.
  virtual void kill(const std::string& container_id) = 0;

  // Kills everything in the container and removes what its isolation made. Idempotent.
  virtual void destroy(const std::string& container_id) = 0;

  // Whether the container was launched or recovered and not destroyed since.
  virtual bool contains(const std::string& container_id) const = 0;

  // Containers whose destruction failed since the agent started (Mesos's
  // containerizer/mesos/container_destroy_errors); 0 where destruction cannot fail.
  virtual uint64_t destroyErrors() const { return 0; }
};

}  // namespace plateau::agent
