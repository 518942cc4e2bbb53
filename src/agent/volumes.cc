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
#include <optional>
#include <set>

#include <fmt/format.h>

#include "agent/agent.h"
#include "common/resource_growth.h"
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
  // The operator may have added to --resources since (--reconfiguration_policy=additive): the
  // checkpoint's reservations and volumes stay and what was added joins them, as in Mesos.
  // Anything else keeps the checkpoint as it is.
  auto grown = grownBy(*total, resources_);
  if (!grown) {
    log_->warn("checkpointed_resources_mismatch flags=\"{}\" checkpoint=\"{}\" using=checkpoint",
               resources_.toString(), total->toString());
  }
  resources_ = grown ? *grown : *total;
  info_.clear_resources();
  resourcesToProto(resources_, info_.mutable_resources(), "", ResourceFormat::kPost);
  for (const auto& operation : saved.operations()) {
    operations_[{operation.framework_id().value(), operation.info().id().value()}] = operation;
  }
  log_->info("checkpointed_resources_recovered resources=\"{}\" operations={}",
             resources_.toString(), operations_.size());
}

Status Agent::saveResources(const google::protobuf::RepeatedPtrField<v1::Resource>& total) {
  internal::AgentEvent::CheckpointResources saved;
  *saved.mutable_resources() = total;
  for (const auto& [key, operation] : operations_) {
    *saved.add_operations() = operation;
  }
  std::error_code ec;
  fs::create_directories(fs::path(resourcesFile(flags_.work_dir)).parent_path(), ec);
  if (ec) {
    return Status(StatusCode::kInternal, ec.message());
  }
  return writeFileAtomic(resourcesFile(flags_.work_dir), saved.SerializeAsString());
}

v1::Operation Agent::operationEnded(const internal::AgentEvent::CheckpointResources& update,
                                    const Status& saved) {
  v1::Operation operation = update.operation();
  v1::OperationStatus* status = operation.mutable_latest_status();
  status->set_state(saved.isOk() ? v1::OPERATION_FINISHED : v1::OPERATION_FAILED);
  status->mutable_uuid()->set_value(uuids_.bytes());
  *status->mutable_agent_id() = info_.id();
  if (saved.isOk()) {
    *status->mutable_converted_resources() = update.converted();
  } else {
    status->set_message(fmt::format("Failed to checkpoint the resources: {}", saved.message()));
  }
  *operation.add_statuses() = *status;
  return operation;
}

void Agent::reportOperation(const v1::Operation& operation) {
  log_->info("operation_reported framework_id={} operation_id={} state={}",
             operation.framework_id().value(), operation.info().id().value(),
             v1::OperationState_Name(operation.latest_status().state()));
  internal::AgentCall call;
  call.set_type(internal::AgentCall::UPDATE_OPERATION_STATUS);
  *call.mutable_agent_id() = info_.id();
  *call.mutable_operation() = operation;
  master_link_.send(call);
}

void Agent::forgetOperations(const std::string& framework_id,
                             const std::optional<std::string>& operation_id) {
  size_t before = operations_.size();
  if (!operation_id) {
    std::erase_if(operations_, [&](const auto& kept) { return kept.first.first == framework_id; });
  } else {
    operations_.erase({framework_id, *operation_id});
  }
  if (operations_.size() != before) {
    checkpointed(saveResources(info_.resources()), "operations");
    log_->info("operations_forgotten framework_id={} remaining={}", framework_id,
               operations_.size());
  }
}

void Agent::checkpointResources(const internal::AgentEvent::CheckpointResources& update) {
  auto total = resourcesFromProto(update.resources());
  if (!total) {
    log_->error("checkpoint_resources_invalid error=\"{}\"", total.error().message());
    if (update.has_operation()) {
      reportOperation(
          operationEnded(update, Status(StatusCode::kInvalidArgument, total.error().message())));
    }
    return;
  }
  // An operation that came with the total is kept finished, checkpointed in the same write;
  // one sent again (the master did not hear from us) gets the same answer.
  const auto key =
      std::pair{update.operation().framework_id().value(), update.operation().info().id().value()};
  std::optional<v1::Operation> answer;
  if (update.has_operation()) {
    auto kept = operations_.find(key);
    const bool again = kept != operations_.end() &&
                       kept->second.uuid().value() == update.operation().uuid().value();
    answer = again ? kept->second : operationEnded(update, Status::ok());
    operations_[key] = *answer;
  }
  if (Status s = saveResources(update.resources()); !s.isOk()) {
    log_->error("checkpoint_resources_failed error=\"{}\"", s.message());
    if (answer) {
      operations_.erase(key);
      reportOperation(operationEnded(update, s));
    }
    return;
  }
  if (answer) {
    reportOperation(*answer);
  }
  std::error_code ec;
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
      releaseVolumeGids(path);
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
