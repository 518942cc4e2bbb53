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
    if (volume.has_source() && volume.source().has_docker_volume()) {
      // Refused rather than ignored: the task would run without what it mounts.
      return failedPrecondition(fmt::format(
          "Volume '{}' is an external Docker volume, which this agent does not support yet",
          volume.container_path()));
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

Result<ContainerImages> requestedImages(const v1::ContainerInfo& container) {
  auto own = requestedImage(container);
  if (!own) {
    return std::unexpected(own.error());
  }
  ContainerImages out{*own, {}};
  for (const auto& volume : container.volumes()) {
    if (!volume.has_image()) {
      continue;
    }
    const std::string& path = volume.container_path();
    auto bad = [&](const std::string& why) {
      return failedPrecondition(fmt::format("Volume '{}' (Volume.image) {}", path, why));
    };
    if (volume.image().type() != v1::Image::DOCKER || !volume.image().has_docker()) {
      return bad("must name a Docker image: this agent provides Docker images only");
    }
    if (path.empty() || path.find("..") != std::string::npos ||
        path.find(':') != std::string::npos) {
      return bad("needs a container_path without '..' or ':'");
    }
    VolumeImageRequest request;
    request.container_path = path;
    request.read_only = volume.mode() != v1::Volume::RW;
    request.image.name = volume.image().docker().name();
    request.image.cached = volume.image().cached();
    out.volumes.push_back(std::move(request));
  }
  return out;
}

std::optional<std::string> groupImageError(const v1::ExecutorInfo& executor,
                                           const v1::TaskGroupInfo& group, bool images_enabled) {
  for (const auto& task : group.tasks()) {
    if (!task.has_container()) {
      continue;
    }
    auto own = requestedImages(task.container());
    if (!own) {
      return fmt::format("Task '{}': {}", task.task_id().value(), own.error().message());
    }
    if (own->empty()) {
      continue;
    }
    std::string name = own->image ? own->image->name : own->volumes.front().image.name;
    if (!images_enabled) {
      return fmt::format(
          "Task '{}' names image '{}', but this agent runs no images (start it with "
          "--image_providers=docker)",
          task.task_id().value(), name);
    }
    if (executor.type() != v1::ExecutorInfo::DEFAULT) {
      return fmt::format(
          "Task '{}' names its own image '{}': only the default executor runs the tasks of a "
          "group in their own images",
          task.task_id().value(), name);
    }
  }
  if (executor.type() == v1::ExecutorInfo::DEFAULT && executor.has_container()) {
    auto image = requestedImage(executor.container());
    if (!image) {
      return "ExecutorInfo.container: " + image.error().message();
    }
    if (*image) {
      return fmt::format(
          "The default executor cannot run in image '{}' here: give the image to its tasks "
          "(TaskInfo.container)",
          (*image)->name);
    }
  }
  return std::nullopt;
}

}  // namespace plateau::agent::images
