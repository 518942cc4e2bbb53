// The agent's container volume flags, with Mesos's names: --default_container_info,
// --docker_ignore_runtime, --host_path_volume_force_creation, --volume_gid_range and
// --csi_plugin_config_dir (see flags.h's volume block).

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "agent/containerizer/linux_containerizer.h"
#include "agent/flags.h"
#include "agent/volume_gids.h"
#include "common/json.h"
#include "common/json_codec.h"
#include "mesos/v1/mesos.pb.h"

namespace plateau::agent {

void registerVolumeFlags(flags::FlagSet& set, Flags& f) {
  set.add("default_container_info", &f.default_container_info,
          "ContainerInfo (JSON, or a file holding it) for every executor that has none, and "
          "for every command task without one: its image and volumes apply to them",
          {.file = flags::FileValue::kUrlOrPath});
  set.add("docker_ignore_runtime", &f.docker_ignore_runtime,
          "Ignore the runtime configuration of Docker images (Entrypoint, Cmd, Env, WorkingDir, "
          "User): only the task's command, environment and user apply");
  set.add("host_path_volume_force_creation", &f.host_path_volume_force_creation,
          "Colon-separated absolute host directories: a HOST_PATH volume whose host path is "
          "missing is created (as a directory) when it lies under one of them; elsewhere a "
          "missing host path fails the launch");
  set.add("volume_gid_range", &f.volume_gid_range,
          "Gids (e.g. '[10000-20000]') given to persistent volumes used by tasks running as a "
          "non-root user: the volume is owned by the gid with the setgid bit, and the task gets "
          "the gid as a supplementary group (needs root)");
  set.add("csi_plugin_config_dir", &f.csi_plugin_config_dir,
          "Directory of CSI plugin configs (a CSIPluginInfo as JSON in each file): checked at "
          "start (the directory exists, every file parses and names its 'type'), never run",
          {.no_effect = "Plateau has no CSI: no volume/csi isolator or storage resource provider "
                        "runs the plugins"});
}

namespace {

Status parseDefaultContainerInfo(Flags& f) {
  f.default_container.reset();
  if (f.default_container_info.empty()) {
    return {};
  }
  auto info = std::make_shared<mesos::v1::ContainerInfo>();
  if (Status s = fromJson(f.default_container_info, info.get()); !s.isOk()) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Flag '--default_container_info' must be a ContainerInfo as JSON (or a "
                        "file holding one): {}",
                        s.message())};
  }
  if (!info->has_type()) {
    return {StatusCode::kInvalidArgument,
            "Flag '--default_container_info': the ContainerInfo needs a 'type' (MESOS)"};
  }
  if (info->type() != mesos::v1::ContainerInfo::MESOS) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Flag '--default_container_info': the ContainerInfo's type must be MESOS "
                        "(this agent has the Mesos containerizer only), not {}",
                        mesos::v1::ContainerInfo::Type_Name(info->type()))};
  }
  f.default_container = std::move(info);
  return {};
}

Status parseForceCreation(Flags& f) {
  f.force_creation_dirs.clear();
  if (f.host_path_volume_force_creation.empty()) {
    return {};
  }
  size_t start = 0;
  while (start <= f.host_path_volume_force_creation.size()) {
    size_t end = f.host_path_volume_force_creation.find(':', start);
    if (end == std::string::npos) {
      end = f.host_path_volume_force_creation.size();
    }
    std::string dir = f.host_path_volume_force_creation.substr(start, end - start);
    if (dir.empty() || !dir.starts_with("/")) {
      return {StatusCode::kInvalidArgument,
              fmt::format("Flag '--host_path_volume_force_creation' takes colon-separated absolute "
                          "directories; '{}' is not one",
                          dir)};
    }
    std::string normal = std::filesystem::path(dir).lexically_normal().string();
    if (normal.size() > 1 && normal.ends_with('/')) {
      normal.pop_back();
    }
    f.force_creation_dirs.push_back(normal);
    start = end + 1;
  }
  return {};
}

// As Mesos: volume/host_path needs filesystem/linux (and root: the volumes are bound in a
// mount namespace of the container's own).
Status checkHostPathIsolator(const Flags& f) {
  auto names = parseIsolation(f.isolation);
  if (!names || std::find(names->begin(), names->end(), "volume/host_path") == names->end()) {
    return {};
  }
  if (std::find(names->begin(), names->end(), "filesystem/linux") == names->end()) {
    return {StatusCode::kInvalidArgument,
            "Flag '--isolation': volume/host_path needs filesystem/linux"};
  }
  if (::geteuid() != 0) {
    return {StatusCode::kInvalidArgument,
            "Flag '--isolation': volume/host_path needs root (volumes are bound in a mount "
            "namespace)"};
  }
  return {};
}

// As Mesos's CSI server at start: the directory must exist, and each file in it must hold a
// CSIPluginInfo (a JSON object with a non-empty string 'type').
Status checkCsiPluginConfigs(const std::string& dir) {
  if (dir.empty()) {
    return {};
  }
  auto fail = [&](const std::string& why) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("Flag '--csi_plugin_config_dir': {}", why));
  };
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return fail(fmt::format("'{}' is not a directory", dir));
  }
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    files.push_back(it->path());
  }
  if (ec) {
    return fail(fmt::format("cannot list '{}': {}", dir, ec.message()));
  }
  std::ranges::sort(files);
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      return fail(fmt::format("cannot read '{}'", file.string()));
    }
    auto doc = json::parse(text.str());
    if (!doc || !doc->isObject()) {
      return fail(fmt::format("'{}' is not a JSON object (a CSIPluginInfo)", file.string()));
    }
    if (!(*doc)["type"].isString() || (*doc)["type"].asString().empty()) {
      return fail(fmt::format("'{}' names no plugin 'type'", file.string()));
    }
  }
  return {};
}

}  // namespace

Status validateVolumeFlags(Flags& f) {
  if (Status s = checkCsiPluginConfigs(f.csi_plugin_config_dir); !s.isOk()) {
    return s;
  }
  if (Status s = checkHostPathIsolator(f); !s.isOk()) {
    return s;
  }
  if (Status s = parseDefaultContainerInfo(f); !s.isOk()) {
    return s;
  }
  if (Status s = parseForceCreation(f); !s.isOk()) {
    return s;
  }
  f.volume_gids.reset();
  if (!f.volume_gid_range.empty()) {
    auto gids = parseVolumeGidRange(f.volume_gid_range);
    if (!gids) {
      return {
          StatusCode::kInvalidArgument,
          fmt::format("Invalid value for flag '--volume_gid_range': {}", gids.error().message())};
    }
    if (::geteuid() != 0) {
      return {StatusCode::kInvalidArgument,
              "Flag '--volume_gid_range' needs root (volumes are given to their gid)"};
    }
    f.volume_gids = std::move(*gids);
  }
  return {};
}

}  // namespace plateau::agent
