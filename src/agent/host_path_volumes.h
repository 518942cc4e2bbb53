#pragma once

// HOST_PATH volumes (Mesos's volume/host_path isolator, on with "volume/host_path" in
// --isolation): a folder of the host bound into the container at its container_path. The
// binding itself is plateau-rootfs's (agent/images/enter_rootfs.h: a private mount namespace,
// the mount below the sandbox for a relative container_path, at that path of the container's
// image or, without one, of the host, which must then exist). Here: which volumes a
// ContainerInfo holds, and the host side of each, checked or made before the launch.

#include <string>
#include <vector>

#include "agent/images/enter_rootfs.h"
#include "common/status.h"
#include "mesos/v1/mesos.pb.h"

namespace plateau::agent {

// The HOST_PATH volumes of `container`: Volume.source of type HOST_PATH, and the legacy
// Volume.host_path when absolute (a relative one is a sandbox path, not handled here). Each as
// a mount (source: the host path, lexically normalized; target: container_path; read-only
// unless mode RW). FailedPrecondition, naming the volume, for a relative HOST_PATH path, an empty
// container_path, or one with '..' or ':' in it.
Result<std::vector<images::VolumeMount>> hostPathVolumes(const mesos::v1::ContainerInfo& container);

// Whether a missing host path may be created: it is one of `dirs`
// (--host_path_volume_force_creation, normalized), or lies below one. Pure.
bool mayCreateHostPath(const std::string& path, const std::vector<std::string>& dirs);

// Before the launch: each volume's host path must exist and be a folder. A missing one is
// created (with its parents, as root, mode 0755) when mayCreateHostPath() allows; otherwise
// FailedPrecondition: "Path '...' in HOST_PATH volume does not exist" (and why it is not made).
Status prepareHostPaths(const std::vector<images::VolumeMount>& volumes,
                        const std::vector<std::string>& force_creation_dirs);

}  // namespace plateau::agent
