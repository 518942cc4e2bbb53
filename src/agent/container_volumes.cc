// The container an executor runs with (--default_container_info) and its HOST_PATH volumes
// (volume/host_path, --host_path_volume_force_creation): the agent's side of
// agent/host_path_volumes.h, used by images.cc's provisionImage().

#include "agent/agent.h"
#include "agent/host_path_volumes.h"
#include "agent/images/enter_rootfs.h"

namespace plateau::agent {

const v1::ContainerInfo* Agent::launchContainer(const Executor& executor) const {
  // The command executor's container is its task's; a custom executor's is its own. Without
  // one, --default_container_info's, as Mesos gives it to every ExecutorInfo that has none.
  const v1::ContainerInfo* own = nullptr;
  if (executor.commandExecutor()) {
    if (!executor.queuedTasks().empty() && executor.queuedTasks().begin()->second.has_container()) {
      own = &executor.queuedTasks().begin()->second.container();
    }
  } else if (executor.info().has_container()) {
    own = &executor.info().container();
  }
  return own != nullptr ? own : flags_.default_container.get();
}

Result<std::vector<images::VolumeMount>> Agent::hostPathMounts(
    const v1::ContainerInfo& container) const {
  // As Mesos: HOST_PATH volumes are the volume/host_path isolator's; without it, unused.
  if (flags_.isolation.find("volume/host_path") == std::string::npos) {
    return std::vector<images::VolumeMount>();
  }
  auto volumes = hostPathVolumes(container);
  if (!volumes) {
    return volumes;
  }
  if (Status s = prepareHostPaths(*volumes, flags_.force_creation_dirs); !s.isOk()) {
    return std::unexpected(s);
  }
  return volumes;
}

}  // namespace plateau::agent
