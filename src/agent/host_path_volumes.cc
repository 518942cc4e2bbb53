#include "agent/host_path_volumes.h"

#include <filesystem>

#include <fmt/format.h>

namespace plateau::agent {

namespace fs = std::filesystem;
namespace v1 = mesos::v1;

Result<std::vector<images::VolumeMount>> hostPathVolumes(const v1::ContainerInfo& container) {
  std::vector<images::VolumeMount> out;
  for (const auto& volume : container.volumes()) {
    std::string host;
    if (volume.has_source() && volume.source().type() == v1::Volume::Source::HOST_PATH) {
      host = volume.source().host_path().path();
      if (!host.starts_with("/")) {
        return failedPrecondition(
            fmt::format("Path '{}' in HOST_PATH volume is not absolute", host));
      }
    } else if (volume.has_host_path() && volume.host_path().starts_with("/")) {
      host = volume.host_path();
    } else {
      continue;
    }
    const std::string& path = volume.container_path();
    if (path.empty() || path.find("..") != std::string::npos ||
        path.find(':') != std::string::npos) {
      return failedPrecondition(
          fmt::format("HOST_PATH volume '{}' needs a container_path without '..' or ':'", path));
    }
    out.push_back(
        {fs::path(host).lexically_normal().string(), path, volume.mode() != v1::Volume::RW});
  }
  return out;
}

bool mayCreateHostPath(const std::string& path, const std::vector<std::string>& dirs) {
  for (const std::string& dir : dirs) {
    if (path == dir || (path.starts_with(dir) && (dir.ends_with('/') || path[dir.size()] == '/'))) {
      return true;
    }
  }
  return false;
}

Status prepareHostPaths(const std::vector<images::VolumeMount>& volumes,
                        const std::vector<std::string>& force_creation_dirs) {
  for (const auto& volume : volumes) {
    std::string path = volume.source;
    if (path.size() > 1 && path.ends_with('/')) {
      path.pop_back();
    }
    std::error_code ec;
    auto status = fs::status(path, ec);
    if (fs::exists(status)) {
      if (!fs::is_directory(status)) {
        return {StatusCode::kFailedPrecondition,
                fmt::format("Path '{}' in HOST_PATH volume is not a folder (only folders are "
                            "bound here)",
                            path)};
      }
      continue;
    }
    if (force_creation_dirs.empty()) {
      return {StatusCode::kFailedPrecondition,
              fmt::format("Path '{}' in HOST_PATH volume does not exist", path)};
    }
    if (!mayCreateHostPath(path, force_creation_dirs)) {
      return {StatusCode::kFailedPrecondition,
              fmt::format("Path '{}' in HOST_PATH volume does not exist and is not below a "
                          "folder of --host_path_volume_force_creation",
                          path)};
    }
    fs::create_directories(path, ec);
    if (ec) {
      return {StatusCode::kFailedPrecondition,
              fmt::format("Failed to create the host path '{}' of a HOST_PATH volume: {}", path,
                          ec.message())};
    }
  }
  return {};
}

}  // namespace plateau::agent
