#include "agent/images/container_image.h"

#include <fmt/format.h>

namespace plateau::agent::images {

Result<std::optional<ImageRequest>> requestedImage(const v1::ContainerInfo& container) {
  // `type` is required in Mesos's schema, but an absent ContainerInfo reads as type DOCKER
  // (the enum's first value): only a type actually given counts.
  if (container.has_type() && container.type() == v1::ContainerInfo::DOCKER) {
    if (!container.has_docker()) {
      return failedPrecondition("ContainerInfo of type DOCKER has no 'docker' with an image");
    }
    const auto& docker = container.docker();
    auto refuse = [](const std::string& what) {
      return failedPrecondition(fmt::format(
          "ContainerInfo.docker {} needs a Docker daemon, which this agent does not use (images "
          "run in the Mesos containerizer with host networking)",
          what));
    };
    if (docker.network() == v1::ContainerInfo::DockerInfo::BRIDGE ||
        docker.network() == v1::ContainerInfo::DockerInfo::USER) {
      return refuse(
          fmt::format("network {}", v1::ContainerInfo::DockerInfo::Network_Name(docker.network())));
    }
    if (docker.port_mappings_size() > 0) {
      return refuse("port_mappings (a bridge network)");
    }
    if (docker.parameters_size() > 0) {
      return refuse(fmt::format("parameters ('{}')", docker.parameters(0).key()));
    }
    if (docker.privileged()) {
      return refuse("privileged");
    }
    return ImageRequest{docker.image(), !docker.force_pull_image()};
  }
  if (!container.has_mesos() || !container.mesos().has_image()) {
    return std::optional<ImageRequest>();
  }
  const auto& image = container.mesos().image();
  if (image.type() != v1::Image::DOCKER || !image.has_docker()) {
    return failedPrecondition(
        "Image of type APPC is not supported: this agent provides Docker images "
        "(--image_providers=docker)");
  }
  return ImageRequest{image.docker().name(), image.cached()};
}

}  // namespace plateau::agent::images
