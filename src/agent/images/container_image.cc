#include "agent/images/container_image.h"

#include <fmt/format.h>

#include "common/json.h"

namespace plateau::agent::images {

namespace {

// A Docker config whose "auths" give `principal`/`secret` for any registry: the key "*" is
// matched by credentialsFor() as a wildcard.
std::string credentialConfig(const std::string& principal, const std::string& secret) {
  json::Value entry = json::Object{};
  entry.set("username", principal);
  entry.set("password", secret);
  json::Value auths = json::Object{};
  auths.set("*", entry);
  json::Value config = json::Object{};
  config.set("auths", auths);
  return json::stringify(config);
}

}  // namespace

Result<std::optional<ImageRequest>> requestedImage(const v1::ContainerInfo& container) {
  for (const auto& volume : container.volumes()) {
    if (volume.has_image() || (volume.has_source() && volume.source().has_docker_volume())) {
      // Refused rather than ignored: the task would run without what it mounts.
      return failedPrecondition(fmt::format(
          "Volume '{}' is an {}, which this agent does not support yet", volume.container_path(),
          volume.has_image() ? "image volume (Volume.image)" : "external Docker volume"));
    }
  }
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
  ImageRequest request{image.docker().name(), image.cached(), ""};
  const auto& docker = image.docker();
  if (docker.has_config()) {
    if (docker.config().type() != v1::Secret::VALUE || !docker.config().has_value()) {
      return failedPrecondition(
          "Image.docker.config must be a Secret of type VALUE (Docker's config.json): this "
          "agent resolves no secret references");
    }
    request.docker_config = docker.config().value().data();
  } else if (docker.has_credential() && docker.credential().has_secret()) {
    // The deprecated principal/secret pair, for every registry.
    request.docker_config =
        credentialConfig(docker.credential().principal(), docker.credential().secret());
  }
  return request;
}

std::optional<std::string> unsupportedGroupImage(const v1::ExecutorInfo& executor,
                                                 const v1::TaskGroupInfo& group) {
  for (const auto& task : group.tasks()) {
    if (!task.has_container()) {
      continue;
    }
    auto own = requestedImage(task.container());
    if (!own) {
      return fmt::format("Task '{}': {}", task.task_id().value(), own.error().message());
    }
    if (*own) {
      return fmt::format(
          "Task '{}' names its own image '{}': per-task images in task groups (nested "
          "containers) are not supported by this agent",
          task.task_id().value(), (*own)->name);
    }
  }
  if (executor.type() == v1::ExecutorInfo::DEFAULT && executor.has_container()) {
    auto image = requestedImage(executor.container());
    if (!image) {
      return "ExecutorInfo.container: " + image.error().message();
    }
    if (*image) {
      return fmt::format(
          "The default executor cannot run in image '{}': images in task groups are not "
          "supported by this agent",
          (*image)->name);
    }
  }
  return std::nullopt;
}

}  // namespace plateau::agent::images
