// Task groups whose tasks name their own images (Mesos runs them as nested containers of the
// default executor, each in its own rootfs). Before the group goes to the default executor,
// the agent provisions each such task's image (and image volumes) as a nested container
// "<executor container id>.<uuid>" on the image workers, then hands each task its rootfs and
// image config as PLATEAU_* variables in the copy of its CommandInfo.environment that the
// executor gets; the executor takes them out and starts the task through plateau-rootfs. A
// task whose image could not be provisioned gets PLATEAU_IMAGE_ERROR instead: the executor
// fails it (REASON_CONTAINER_LAUNCH_FAILED) and the group's rule kills the others, as Mesos's
// default executor does when a nested container fails to launch. A task's nested rootfs goes
// when the agent takes the task's terminal update; what is left (after an agent restart, which
// forgets which task had which) goes when the executor's container ends (Provisioner::destroy)
// and survives an agent restart with it.

#include <fmt/format.h>

#include "agent/agent.h"
#include "agent/images/container_image.h"
#include "agent/images/enter_rootfs.h"
#include "agent/images/image_runtime.h"
#include "agent/images/image_user.h"
#include "common/json.h"

namespace plateau::agent {

namespace {

void addVariable(v1::TaskInfo& task, const std::string& name, const std::string& value) {
  auto* var = task.mutable_command()->mutable_environment()->add_variables();
  var->set_name(name);
  var->set_type(v1::Environment::Variable::VALUE);
  var->set_value(value);
}

struct PendingGroup {
  v1::TaskGroupInfo group;
  size_t remaining = 0;
  std::vector<std::string> nested;  // the nested container ids provisioned for it
};

}  // namespace

void Agent::handImage(const Executor& executor, v1::TaskInfo& task,
                      const Result<images::Provisioned>& result) {
  if (!result) {
    return addVariable(task, "PLATEAU_IMAGE_ERROR", result.error().message());
  }
  const Framework* framework = book_.framework(executor.frameworkId());
  std::string user = task.command().has_user() || framework == nullptr ? task.command().user()
                                                                       : framework->info().user();
  if (flags_.switch_user && !user.empty() && user != "root") {
    if (auto found = images::readImageUser(result->rootfs.empty() ? "/" : result->rootfs, user);
        !found) {
      return addVariable(task, "PLATEAU_IMAGE_ERROR", found.error().message());
    }
    addVariable(task, "PLATEAU_CONTAINER_USER", user);
  }
  addVariable(task, "PLATEAU_ROOTFS", result->rootfs);
  addVariable(task, "PLATEAU_SANDBOX_DIRECTORY", flags_.sandbox_directory);
  addVariable(task, "PLATEAU_IMAGE_CONFIG", json::stringify(images::configToJson(result->config)));
  if (!result->mounts.empty()) {
    addVariable(task, "PLATEAU_ROOTFS_MOUNTS", images::mountsToJson(result->mounts));
  }
}

bool Agent::provisionGroupImages(Executor& executor, const v1::TaskGroupInfo& group) {
  if (!images_ || executor.info().type() != v1::ExecutorInfo::DEFAULT) {
    return false;  // runTaskGroup() refused groups with images it cannot run
  }
  auto pending = std::make_shared<PendingGroup>();
  pending->group = group;
  std::vector<std::pair<int, images::ContainerImages>> requests;
  for (int i = 0; i < group.tasks_size(); i++) {
    auto request = images::requestedImages(group.tasks(i).container());
    if (request && !request->empty()) {
      requests.emplace_back(i, std::move(*request));
    }
  }
  if (requests.empty()) {
    return false;
  }
  pending->remaining = requests.size();
  const std::string fw_id = executor.frameworkId();
  const std::string ex_id = executor.id();
  const std::string container_id = executor.containerId();
  for (auto& [index, request] : requests) {
    std::string nested = container_id + "." + uuids_.text();
    pending->nested.push_back(nested);
    log_->info("image_provision_started framework_id={} executor_id={} task_id={} image={}", fw_id,
               ex_id, group.tasks(index).task_id().value(), request.name());
    images_->provision(
        nested, std::move(request),
        [this, pending, index, order = pending->nested.size() - 1, fw_id, ex_id,
         container_id](Result<images::Provisioned> result) {
          Executor* e = book_.find(fw_id, ex_id);
          bool gone = e == nullptr || e->containerId() != container_id;
          if (!gone) {
            handImage(*e, *pending->group.mutable_tasks(index), result);
            if (result) {
              channel(*e).task_rootfs[pending->group.tasks(index).task_id().value()] =
                  pending->nested[order];
            }
          }
          if (--pending->remaining > 0) {
            return;
          }
          if (gone) {
            for (const auto& id : pending->nested) {
              images_->destroy(id);
            }
            return;
          }
          log_->info("task_group_images_provisioned framework_id={} executor_id={} tasks={}", fw_id,
                     ex_id, pending->nested.size());
          sendGroupToExecutor(*e, pending->group);
        });
  }
  return true;
}

void Agent::releaseTaskImage(const std::string& container_id, const std::string& task_id) {
  auto it = channels_.find(container_id);
  if (!images_ || it == channels_.end()) {
    return;
  }
  auto task = it->second.task_rootfs.find(task_id);
  if (task == it->second.task_rootfs.end()) {
    return;
  }
  log_->info("task_rootfs_removed task_id={} container_id={}", task_id, task->second);
  images_->destroy(task->second);
  it->second.task_rootfs.erase(task);
}

}  // namespace plateau::agent
