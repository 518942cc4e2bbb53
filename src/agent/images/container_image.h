#pragma once

// Which image, if any, a ContainerInfo asks for, and whether this agent can honour it without
// a Docker daemon: `type: MESOS` with a Docker image, or `type: DOCKER` run the same way (host
// networking). Pure: no I/O.

#include <optional>
#include <string>
#include <vector>

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

// An image volume (Volume.image): the image's root filesystem mounted in the container at
// `container_path` (absolute: inside the container's own rootfs, or, for a container without
// an image, at that path of the host, which must exist; relative: below the sandbox).
struct VolumeImageRequest {
  std::string container_path;
  bool read_only = true;  // Volume.mode RO (RW writes go to the volume's own upper layer)
  ImageRequest image;
};

// Every image a container needs: its own (if any) and those of its image volumes.
struct ContainerImages {
  std::optional<ImageRequest> image;
  std::vector<VolumeImageRequest> volumes;
  bool empty() const { return !image && volumes.empty(); }
  // The image named in logs and messages: the container's own, else its first volume's.
  const std::string& name() const { return image ? image->name : volumes.front().image.name; }
};

// requestedImage() and the image volumes. FailedPrecondition, naming the volume, for an image
// volume of another type than DOCKER, one with an empty container_path or a '..' in it, an
// external Docker volume (not supported).
Result<ContainerImages> requestedImages(const v1::ContainerInfo& container);

// Why a task group cannot run here, if so: a task with a bad container request, a task naming
// an image (or image volumes) when `images_enabled` is false or when the group's executor is
// not the default executor (a custom executor would run it on the host), or a default
// executor (type DEFAULT) that names an image itself. Such a group must fail, not run on the
// host.
std::optional<std::string> groupImageError(const v1::ExecutorInfo& executor,
                                           const v1::TaskGroupInfo& group, bool images_enabled);

}  // namespace plateau::agent::images
