// Checkpointed resources and persistent volumes on the agent.
//
// The master sends the agent's whole total whenever a reservation or a persistent volume changes
// it (CHECKPOINT_RESOURCES). The agent writes it to <work_dir>/meta/resources/resources.info
// (atomically) before acting, so that a restarted agent reports the same total, creates a
// directory for each persistent volume under <work_dir>/volumes/roles/<role>/<id>, and removes
// the directories of volumes that were destroyed. A task whose resources hold a volume sees it
// at <sandbox>/<container_path> through a symbolic link (no mount namespace or bind mount is
// needed, so it works unprivileged); data written there lives in the volume directory and
// outlives the task, the executor and the agent.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include <fmt/format.h>

#include "agent/agent.h"
#include "common/resources_proto.h"

namespace plateau::agent {

namespace fs = std::filesystem;

namespace {

std::string resourcesFile(const std::string& work_dir) {
  return (fs::path(work_dir) / "meta" / "resources" / "resources.info").string();
}

// Roles may hold '/', ids anything but '/' (the master validates them): one path component each.
std::string component(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c == '/' ? std::string("%2F") : std::string(1, c);
  }
  return out;
}

}  // namespace

std::string Agent::volumePath(const Resource& volume) const {
  return (fs::path(flags_.work_dir) / "volumes" / "roles" / component(volume.role) /
          component(volume.disk.persistence_id))
      .string();
}

void Agent::recoverCheckpointedResources() {
  std::ifstream in(resourcesFile(flags_.work_dir), std::ios::binary);
  if (!in) {
    return;
  }
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  internal::AgentEvent::CheckpointResources saved;
  if (!saved.ParseFromString(data)) {
    log_->error("checkpointed_resources_unreadable path={}", resourcesFile(flags_.work_dir));
    return;
  }
  auto total = resourcesFromProto(saved.resources());
  if (!total) {
    log_->error("checkpointed_resources_invalid error=\"{}\"", total.error().message());
    return;
  }
  // The operator may have changed --resources since: the checkpoint only adds what was
  // reserved or made into volumes, so the flag's unreserved view must still hold it.
  if (total->toUnreserved() != resources_.toUnreserved()) {
    log_->warn("checkpointed_resources_mismatch flags=\"{}\" checkpoint=\"{}\" using=checkpoint",
               resources_.toString(), total->toString());
  }
  resources_ = *total;
  info_.clear_resources();
  resourcesToProto(resources_, info_.mutable_resources(), "", ResourceFormat::kPost);
  log_->info("checkpointed_resources_recovered resources=\"{}\"", resources_.toString());
}

void Agent::checkpointResources(const internal::AgentEvent::CheckpointResources& update) {
  auto total = resourcesFromProto(update.resources());
  if (!total) {
    log_->error("checkpoint_resources_invalid error=\"{}\"", total.error().message());
    return;
  }
  std::error_code ec;
  fs::create_directories(fs::path(resourcesFile(flags_.work_dir)).parent_path(), ec);
  if (Status s = writeFileAtomic(resourcesFile(flags_.work_dir), update.SerializeAsString());
      !s.isOk() || ec) {
    log_->error("checkpoint_resources_failed error=\"{}\"", ec ? ec.message() : s.message());
    return;
  }
  std::set<std::string> kept;
  for (const Resource& volume : total->persistentVolumes()) {
    std::string path = volumePath(volume);
    kept.insert(path);
    fs::create_directories(path, ec);
    if (ec) {
      log_->error("volume_create_failed path={} error=\"{}\"", path, ec.message());
    }
  }
  for (const Resource& volume : resources_.persistentVolumes()) {
    std::string path = volumePath(volume);
    if (!kept.contains(path)) {
      fs::remove_all(path, ec);
      log_->info("volume_destroyed path={}", path);
    }
  }
  resources_ = *total;
  info_.clear_resources();
  *info_.mutable_resources() = update.resources();
  log_->info("resources_checkpointed resources=\"{}\"", resources_.toString());
}

Status Agent::linkVolumes(const Executor& executor, const v1::TaskInfo& task) {
  auto resources = resourcesFromProto(task.resources());
  if (!resources) {
    return Status(StatusCode::kInvalidArgument, resources.error().message());
  }
  for (const Resource& volume : resources->persistentVolumes()) {
    if (!volume.disk.has_volume) {
      continue;
    }
    const fs::path relative(volume.disk.container_path);
    bool escapes = relative.empty() || relative.is_absolute();
    for (const auto& part : relative) {
      escapes = escapes || part == "..";
    }
    if (escapes) {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("Persistent volume '{}' has an invalid container_path '{}'",
                                volume.disk.persistence_id, volume.disk.container_path));
    }
    std::string source = volumePath(volume);
    std::error_code ec;
    fs::create_directories(source, ec);
    fs::path target = fs::path(executor.directory()) / volume.disk.container_path;
    fs::create_directories(target.parent_path(), ec);
    if (fs::is_symlink(target, ec)) {
      if (fs::read_symlink(target, ec) == fs::path(source)) {
        continue;
      }
      fs::remove(target, ec);
    }
    fs::create_directory_symlink(source, target, ec);
    if (ec) {
      return Status(StatusCode::kInternal,
                    fmt::format("Failed to make persistent volume '{}' visible at {}: {}",
                                volume.disk.persistence_id, target.string(), ec.message()));
    }
    log_->info("volume_linked task_id={} volume={} path={}", task.task_id().value(),
               volume.disk.persistence_id, target.string());
  }
  return {};
}

}  // namespace plateau::agent
