// Task groups (LAUNCH_GROUP): run by the default executor (`plateau-executor --default`) or
// by the scheduler's own executor, which then gets LAUNCH_GROUP events.

#include <fmt/format.h>

#include "agent/agent.h"
#include "agent/containers.h"
#include "agent/images/container_image.h"
#include "common/task_state.h"

namespace plateau::agent {

v1::ExecutorInfo Agent::groupExecutorInfo(const internal::AgentEvent::RunTaskGroup& run) const {
  v1::ExecutorInfo info = run.executor();
  info.mutable_framework_id()->set_value(run.framework_info().id().value());
  if (!info.has_name()) {
    if (info.type() == v1::ExecutorInfo::DEFAULT) {
      info.set_name(fmt::format("Default Executor ({})", info.executor_id().value()));
    }
  }
  if (info.type() == v1::ExecutorInfo::DEFAULT) {
    // The agent decides how the default executor runs, as Mesos's does.
    auto* command = info.mutable_command();
    command->set_value(executor_path_);
    command->set_shell(false);
    command->clear_arguments();
    command->add_arguments("plateau-executor");
    command->add_arguments("--default");
  }
  return info;
}

void Agent::runTaskGroup(const internal::AgentEvent::RunTaskGroup& run) {
  const std::string& fw_id = run.framework_info().id().value();
  if (auto why = images::groupImageError(run.executor(), run.task_group(), images_ != nullptr)) {
    for (const auto& task : run.task_group().tasks()) {  // never on the host instead
      statusUpdate(fw_id, agentStatus(task.task_id().value(), v1::TASK_FAILED,
                                      v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED,
                                      "Failed to launch container: " + *why,
                                      run.executor().executor_id().value()));
    }
    return;
  }
  auto admitted = book_.admit(run.framework_info(), groupExecutorInfo(run), false,
                              [this] { return uuids_.text(); });
  Executor& executor = admitted.executor;
  const std::string executor_id = executor.id();
  if (run.framework_info().checkpoint() && admitted.framework_changed) {
    checkpointed(checkpoint_.writeFramework(run.framework_info()), "framework");
  }
  if (Status staged = book_.stage(executor, run.task_group()); !staged.isOk()) {
    for (const auto& task : run.task_group().tasks()) {
      statusUpdate(fw_id, agentStatus(task.task_id().value(), v1::TASK_LOST,
                                      v1::TaskStatus::REASON_EXECUTOR_TERMINATED, staged.message(),
                                      executor_id));
    }
    return;
  }
  if (run.framework_info().checkpoint()) {
    for (const auto& task : run.task_group().tasks()) {
      checkpointed(checkpoint_.writeTask(fw_id, executor_id, task), "task");
    }
  }
  log_->info("task_group_received framework_id={} executor_id={} tasks={}", fw_id, executor_id,
             run.task_group().tasks_size());
  if (book_.place(executor, run.task_group()) == ExecutorBook::Placement::kLaunched) {
    launchGroupOnExecutor(executor, run.task_group());
  }
  if (admitted.new_executor) {
    launchExecutor(executor);
  }
}

void Agent::launchGroupOnExecutor(Executor& executor, const v1::TaskGroupInfo& group) {
  if (provisionGroupImages(executor, group)) {
    return;  // sent once its tasks' images are ready (images_groups.cc)
  }
  sendGroupToExecutor(executor, group);
}

void Agent::sendGroupToExecutor(Executor& executor, const v1::TaskGroupInfo& group) {
  // The group's tasks run inside the default executor's container: its limits grow by them.
  resizeContainer(*containerizer_, executor);
  executor::Event event;
  event.set_type(executor::Event::LAUNCH_GROUP);
  *event.mutable_launch_group()->mutable_task_group() = group;
  sendToExecutor(executor, event);
}

}  // namespace plateau::agent
