#pragma once

// Which image, if any, a ContainerInfo asks for, and whether this agent can honour it without
// a Docker daemon: `type: MESOS` with a Docker image, or `type: DOCKER` run the same way (host
// networking). Pure: no I/O.

#include <optional>
#include <string>

#include "common/status.h"
#include "mesos/v1/mesos.pb.h"

namespace plateau::agent::images {

namespace v1 = mesos::v1;

struct ImageRequest {
  std::string name;    // as the task gives it (Image.Docker.name or DockerInfo.image)
  bool cached = true;  // false: pull afresh (Image.cached, DockerInfo.force_pull_image)
  // Image.Docker.config (a Secret of type VALUE holding Docker's config.json), or the deprecated
  // Image.Docker.credential made into one; "" when the image brings no credentials.
  std::string docker_config;
};

// nullopt when the container names no image. FailedPrecondition, with a message naming the
// option, for what needs a Docker daemon or a network this agent does not make (bridge or user
// networks, port mappings, docker parameters, privileged mode) or an image kind it does not
// provide (APPC), or credentials given as a secret reference (no secret resolver here).
Result<std::optional<ImageRequest>> requestedImage(const v1::ContainerInfo& container);

// Why a task group cannot run here, if so: a task naming its own image (Mesos runs those as
// nested containers, each in its own rootfs: not supported yet) or a bad container request of
// a task, or a default executor (type DEFAULT) that names an image. Such a group must fail, not run
// on the host.
std::optional<std::string> unsupportedGroupImage(const v1::ExecutorInfo& executor,
                                                 const v1::TaskGroupInfo& group);

}  // namespace plateau::agent::images
