// The agent's container image flags, with Mesos's names (see flags.h's image block).

#include <unistd.h>

#include <fmt/format.h>

#include "agent/containerizer/linux_containerizer.h"
#include "agent/flags.h"
#include "agent/images/image_gc.h"
#include "agent/images/provisioner.h"
#include "common/json.h"

namespace plateau::agent {

void registerImageFlags(flags::FlagSet& set, Flags& f) {
  set.add("image_providers", &f.image_providers,
          "Image kinds tasks may name in ContainerInfo: 'docker' (default: none)");
  set.add("docker_registry", &f.docker_registry,
          "Where Docker images come from: a folder of 'docker save' tarballs named "
          "<name>:<tag>.tar, or a registry URL");
  set.add("docker_store_dir", &f.docker_store_dir,
          "Directory of the image store: each layer once, by digest, shared between images");
  set.add("image_provisioner_backend", &f.image_provisioner_backend,
          "How a container's rootfs is assembled from layers: 'overlay' or 'copy' (default: "
          "overlay when the kernel has it)");
  set.add("sandbox_directory", &f.sandbox_directory,
          "Where the sandbox appears inside a container with an image (MESOS_SANDBOX)");
  const flags::FlagOptions json_or_path{.file = flags::FileValue::kUrlOrPath};
  set.add("docker_config", &f.docker_config,
          "Docker's config.json (JSON, or a file): registry credentials for pulls", json_or_path);
  set.add("image_gc_config", &f.image_gc_config,
          "Automatic image garbage collection (JSON, or a file): image_disk_headroom, "
          "image_disk_watch_interval, excluded_images",
          json_or_path);
}

Status validateImageFlags(const Flags& f) {
  if (!f.image_providers.empty() && f.image_providers != "docker") {
    return {StatusCode::kInvalidArgument,
            fmt::format("Flag '--image_providers': unknown provider '{}' (known: docker)",
                        f.image_providers)};
  }
  if (!f.sandbox_directory.starts_with("/")) {
    return {StatusCode::kInvalidArgument, "Flag '--sandbox_directory' must be an absolute path"};
  }
  if (!f.docker_config.empty()) {
    if (auto doc = json::parse(f.docker_config); !doc || !doc->isObject()) {
      return {StatusCode::kInvalidArgument,
              "Flag '--docker_config' must be Docker's config.json: a JSON object (or a file "
              "holding one)"};
    }
  }
  if (!f.image_gc_config.empty()) {
    if (auto gc = images::parseImageGcConfig(f.image_gc_config); !gc) {
      return gc.error();
    }
  }
  if (f.image_providers.empty()) {
    return {};
  }
  auto isolation = parseIsolation(f.isolation);
  if (!isolation) {
    return isolation.error();
  }
  // As Mesos: images need the filesystem/linux isolator, and docker/runtime goes with them.
  for (const char* needed : {"filesystem/linux", "docker/runtime"}) {
    bool found = false;
    for (const auto& name : *isolation) {
      found = found || name == needed;
    }
    if (!found) {
      return {StatusCode::kInvalidArgument,
              fmt::format("Flag '--image_providers=docker' needs '{}' in --isolation", needed)};
    }
  }
  if (::geteuid() != 0) {
    return {StatusCode::kInvalidArgument,
            "Flag '--image_providers=docker' needs root (containers are entered with mount "
            "namespaces and pivot_root)"};
  }
  if (auto backend = images::chooseBackend(f.image_provisioner_backend); !backend) {
    return backend.error();
  }
  return {};
}

}  // namespace plateau::agent
