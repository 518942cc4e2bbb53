// Task groups (LAUNCH_GROUP): run by the default executor (`plateau-executor --default`) or
// by the scheduler's own executor, which then gets LAUNCH_GROUP events.

#include <fmt/format.h>

#include "agent/agent.h"
#include "agent/containers.h"
#include "common/task_state.h"

namespace plateau::agent {

void Agent::runTaskGroup(const internal::AgentEvent::RunTaskGroup& run) {
  const std::string& fw_id = run.framework_info().id().value();
  Framework& framework = frameworks_[fw_id];
  bool framework_changed =
      framework.info.SerializePartialAsString() != run.framework_info().SerializePartialAsString();
  framework.info = run.framework_info();
  if (framework.info.checkpoint() && framework_changed) {
    checkpointed(checkpoint_.writeFramework(framework.info), "framework");
  }
  v1::ExecutorInfo info = run.executor();
  info.mutable_framework_id()->set_value(fw_id);
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
  const std::string& executor_id = info.executor_id().value();
  auto [it, inserted] = framework.executors.try_emplace(executor_id);
  Executor& executor = it->second;
  if (inserted) {
    executor.info = info;
    executor.framework_id = fw_id;
    executor.command_executor = false;
    executor.container_id = uuids_.text();
  }
  if (executor.state == Executor::State::kTerminating) {
    for (const auto& task : run.task_group().tasks()) {
      statusUpdate(fw_id, agentStatus(task.task_id().value(), v1::TASK_LOST,
                                      v1::TaskStatus::REASON_EXECUTOR_TERMINATED,
                                      "Executor is shutting down", executor_id));
    }
    return;
  }
  for (const auto& task : run.task_group().tasks()) {
    executor.task_states[task.task_id().value()] = v1::TASK_STAGING;
    if (framework.info.checkpoint()) {
      checkpointed(checkpoint_.writeTask(fw_id, executor_id, task), "task");
    }
  }
  log_->info("task_group_received framework_id={} executor_id={} tasks={}", fw_id, executor_id,
             run.task_group().tasks_size());
  if (executor.state == Executor::State::kRunning) {
    launchGroupOnExecutor(executor, run.task_group());
  } else {
    executor.queued_groups.push_back(run.task_group());
  }
  if (inserted) {
    launchExecutor(framework, executor);
  }
}

void Agent::launchGroupOnExecutor(Executor& executor, const v1::TaskGroupInfo& group) {
  for (const auto& task : group.tasks()) {
    executor.launched_tasks[task.task_id().value()] = task;
  }
  // The group's tasks run inside the default executor's container: its limits grow by them.
  resizeContainer(*containerizer_, executor);
  executor::Event event;
  event.set_type(executor::Event::LAUNCH_GROUP);
  *event.mutable_launch_group()->mutable_task_group() = group;
  sendToExecutor(executor, event);
}

bool Agent::killQueuedGroup(Executor& executor, const std::string& task_id) {
  for (auto group = executor.queued_groups.begin(); group != executor.queued_groups.end();
       ++group) {
    bool found = false;
    for (const auto& task : group->tasks()) {
      found = found || task.task_id().value() == task_id;
    }
    if (!found) {
      continue;
    }
    // Tasks of a group start together or not at all.
    const std::string& ex_id = executor.info.executor_id().value();
    for (const auto& task : group->tasks()) {
      executor.task_states[task.task_id().value()] = v1::TASK_KILLED;
      statusUpdate(executor.framework_id,
                   agentStatus(task.task_id().value(), v1::TASK_KILLED,
                               v1::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH,
                               "Killed before the executor started its group", ex_id));
    }
    executor.queued_groups.erase(group);
    if (executor.queued_tasks.empty() && executor.queued_groups.empty() &&
        executor.launched_tasks.empty()) {
      shutdownExecutor(executor);
    }
    return true;
  }
  return false;
}

}  // namespace plateau::agent
