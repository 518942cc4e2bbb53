// The agent's side of --volume_gid_range (agent/volume_gids.h): the allocator's checkpoint
// (<work_dir>/meta/volume_gids, written after every change, read at start), the ownership of
// each volume given a gid, and the gids a container gets as supplementary groups.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "agent/agent.h"
#include "agent/containerizer/launcher.h"
#include "agent/containers.h"
#include "common/resources_proto.h"

namespace plateau::agent {

namespace fs = std::filesystem;

namespace {

std::string gidsFile(const std::string& work_dir) {
  return (fs::path(work_dir) / "meta" / "volume_gids").string();
}

// One file or folder (links not followed) to group `gid`; a folder also gets the setgid bit
// (what is made in it inherits the gid) and group write, as Mesos's manager does.
Status setGroupOf(const fs::path& path, gid_t gid) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || ::lchown(path.c_str(), st.st_uid, gid) != 0) {
    return {StatusCode::kInternal, fmt::format("'{}': {}", path.string(), std::strerror(errno))};
  }
  if (S_ISDIR(st.st_mode) && ::chmod(path.c_str(), (st.st_mode & 07777) | S_ISGID | S_IWGRP) != 0) {
    return {StatusCode::kInternal, fmt::format("'{}': {}", path.string(), std::strerror(errno))};
  }
  return {};
}

Status setVolumeGroup(const std::string& root, gid_t gid) {
  if (Status s = setGroupOf(root, gid); !s.isOk()) {
    return s;
  }
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (Status s = setGroupOf(it->path(), gid); !s.isOk()) {
      return s;
    }
  }
  if (ec) {
    return {StatusCode::kInternal, fmt::format("'{}': {}", root, ec.message())};
  }
  return {};
}

}  // namespace

void Agent::initVolumeGids() {
  if (!flags_.volume_gids) {
    return;
  }
  volume_gids_ = std::make_unique<VolumeGidAllocator>(*flags_.volume_gids);
  std::ifstream in(gidsFile(flags_.work_dir), std::ios::binary);
  if (in) {
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto entries = VolumeGidAllocator::fromJson(text);
    if (!entries) {
      log_->error("volume_gids_unreadable path={} error=\"{}\"", gidsFile(flags_.work_dir),
                  entries.error().message());
    } else {
      volume_gids_->restore(*entries);
      // The agent may have stopped after removing a volume and before freeing its gid.
      for (const auto& entry : *entries) {
        std::error_code ec;
        if (!fs::exists(entry.path, ec)) {
          releaseVolumeGids(entry.path);
        }
      }
    }
  }
  log_->info("volume_gids_recovered range={} held={} free={}", flags_.volume_gids->toString(),
             volume_gids_->entries().size(), volume_gids_->freeGids());
}

void Agent::saveVolumeGids() {
  std::error_code ec;
  fs::create_directories(fs::path(gidsFile(flags_.work_dir)).parent_path(), ec);
  checkpointed(writeFileAtomic(gidsFile(flags_.work_dir),
                               VolumeGidAllocator::toJson(volume_gids_->entries())),
               "volume_gids");
}

void Agent::releaseVolumeGids(const std::string& path) {
  if (!volume_gids_) {
    return;
  }
  auto freed = volume_gids_->release(path);
  for (const auto& entry : freed) {
    log_->info("volume_gid_released path={} gid={}", entry.path, entry.gid);
  }
  if (!freed.empty()) {
    saveVolumeGids();
  }
}

bool Agent::runsAsNonRoot(const std::string& user) const {
  if (!flags_.switch_user || user.empty()) {
    return ::geteuid() != 0;
  }
  auto ids = lookupUser(user);
  return ids && ids->uid != 0;  // an unknown user fails the launch later, naming it
}

Status Agent::giveVolumeGids(const Executor& executor, const std::string& user) {
  std::vector<gid_t>& given = channel(executor).volume_gids;
  given.clear();
  if (!volume_gids_ || !runsAsNonRoot(user)) {
    return {};
  }
  std::vector<Resource> volumes;
  auto add = [&](const google::protobuf::RepeatedPtrField<v1::Resource>& resources) {
    if (auto parsed = resourcesFromProto(resources)) {
      for (const Resource& volume : parsed->persistentVolumes()) {
        volumes.push_back(volume);
      }
    }
  };
  add(executor.info().resources());
  for (const auto& [task_id, task] : executor.queuedTasks()) {
    add(task.resources());
  }
  for (const Resource& volume : volumes) {
    std::string path = volumePath(volume);
    auto allocation = volume_gids_->allocate(path, VolumeGidAllocator::Kind::kPersistent);
    if (!allocation) {
      return allocation.error();
    }
    if (allocation->fresh) {
      saveVolumeGids();
      if (Status s = setVolumeGroup(path, allocation->gid); !s.isOk()) {
        return {StatusCode::kInternal, fmt::format("Failed to give the volume '{}' to gid {}: {}",
                                                   path, allocation->gid, s.message())};
      }
      log_->info("volume_gid_allocated path={} gid={} user={}", path, allocation->gid, user);
    }
    if (std::find(given.begin(), given.end(), allocation->gid) == given.end()) {
      given.push_back(allocation->gid);
    }
  }
  return {};
}

ContainerConfig Agent::launchConfig(const Executor& executor) {
  ContainerConfig config = containerConfig(executor);
  config.supplementary_groups = channel(executor).volume_gids;
  return config;
}

}  // namespace plateau::agent
