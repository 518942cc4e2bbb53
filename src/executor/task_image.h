#pragma once

// A task that runs in a container image (agent/images): where its provisioned rootfs is, how
// the image's runtime config and the volume mounts go with it, and how a command (the task's,
// or a command check's) is made to start inside it through plateau-rootfs. The executor
// itself stays on the host.
//
// The agent hands these over as PLATEAU_* variables: in the executor's own environment for the
// command executor's task, in each task's CommandInfo.environment for a task group's task
// (which the default executor takes out before the task sees its environment).

#include <functional>
#include <string>

#include <mesos/v1/mesos.pb.h>

#include "common/process.h"
#include "common/status.h"

namespace plateau::executor {

struct TaskImage {
  std::string rootfs;             // PLATEAU_ROOTFS ("": the task has no image of its own)
  std::string sandbox_directory;  // PLATEAU_SANDBOX_DIRECTORY: the sandbox inside the rootfs
  std::string image_config;       // PLATEAU_IMAGE_CONFIG: the image's runtime config (JSON)
  std::string container_user;     // PLATEAU_CONTAINER_USER: looked up in the image ("": none)
  std::string mounts;             // PLATEAU_ROOTFS_MOUNTS: image volumes (JSON, "" for none)
  std::string error;              // PLATEAU_IMAGE_ERROR: why the agent could not provision it

  // From variables read by `get` (name → value, "" when unset).
  static TaskImage from(const std::function<std::string(const std::string&)>& get);
  // From a group task's CommandInfo.environment.
  static TaskImage fromCommand(const mesos::v1::CommandInfo& command);
  // Whether `name` is one of the variables above (never passed to the task).
  static bool isVariable(const std::string& name);

  // Whether the task runs as any task on the host: no image, no image volumes, no error.
  bool empty() const { return rootfs.empty() && mounts.empty() && error.empty(); }

  // Makes `spec` run `command` inside the image: through plateau-rootfs (beside this
  // executor), with the command and environment merged with the image's config by the
  // docker/runtime rules. `sandbox` is the host path that appears at sandbox_directory.
  // Without a rootfs (image volumes only) `spec`, as made for the host, is kept and only
  // wrapped in plateau-rootfs, which mounts the volumes first.
  Status enter(const mesos::v1::CommandInfo& command, const std::string& sandbox,
               LaunchSpec& spec) const;
};

}  // namespace plateau::executor
