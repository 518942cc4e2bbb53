// LAUNCH_GROUP: a task group for the default executor, checked as Mesos checks it and
// launched all together or not at all.

#include <set>

#include <fmt/format.h>

#include "common/resources_proto.h"
#include "master/master.h"
#include "master/validation.h"

namespace plateau::master {

void Master::launchGroup(Framework& fw, Agent& agent, const v1::Offer::Operation& operation,
                         Resources& available) {
  const auto& launch = operation.launch_group();
  const auto& tasks = launch.task_group().tasks();
  v1::ExecutorInfo executor = launch.executor();
  const std::string& executor_id = executor.executor_id().value();

  // The first problem found refuses the whole group.
  auto check = [&]() -> Result<Resources> {
    if (tasks.empty()) {
      return invalidArgument("Task group cannot be empty");
    }
    if (Status s = validateId("ExecutorID", executor_id); !s.isOk()) {
      return std::unexpected(s);
    }
    if (executor.type() != v1::ExecutorInfo::DEFAULT) {
      return invalidArgument("'ExecutorInfo.type' must be 'DEFAULT' for a task group");
    }
    if (executor.has_command()) {
      return invalidArgument("'ExecutorInfo.command' must not be set for 'DEFAULT' executor");
    }
    if (executor.has_framework_id() && executor.framework_id().value() != fw.id) {
      return invalidArgument(fmt::format("ExecutorInfo has an invalid FrameworkID '{}'",
                                         executor.framework_id().value()));
    }
    executor.mutable_framework_id()->set_value(fw.id);
    Resources needed;
    auto& running = fw.executors[agent.id];
    auto existing = running.find(executor_id);
    if (existing != running.end()) {
      v1::ExecutorInfo known = existing->second.info;
      // The agent fills in how the default executor runs; compare what the scheduler gave.
      known.clear_command();
      known.clear_name();
      v1::ExecutorInfo given = executor;
      given.clear_name();
      if (known.SerializePartialAsString() != given.SerializePartialAsString()) {
        return invalidArgument(fmt::format(
            "ExecutorInfo for executor '{}' differs from the running one", executor_id));
      }
    } else {
      auto executor_resources = resourcesFromProto(executor.resources());
      if (!executor_resources) {
        return invalidArgument(fmt::format("Executor uses invalid resources: {}",
                                           executor_resources.error().message()));
      }
      if (executor_resources->empty()) {
        return invalidArgument("The default executor must have resources (e.g. cpus and mem)");
      }
      needed += *executor_resources;
    }
    std::set<std::string> ids;
    for (const auto& task : tasks) {
      const std::string& task_id = task.task_id().value();
      if (!ids.insert(task_id).second) {
        return invalidArgument(fmt::format("Duplicate task ID '{}' in the task group", task_id));
      }
      if (task.has_executor()) {
        return invalidArgument(
            fmt::format("Task '{}': 'TaskInfo.executor' must not be set in a task group", task_id));
      }
      if (!task.has_command()) {
        return invalidArgument(fmt::format("Task '{}': 'TaskInfo.command' must be set", task_id));
      }
      if (task.has_container() && task.container().type() != v1::ContainerInfo::MESOS) {
        return invalidArgument(fmt::format(
            "Task '{}': only 'MESOS' containers are supported in a task group", task_id));
      }
      auto resources = checkTask(fw, agent, task);
      if (!resources) {
        return invalidArgument(fmt::format("Task '{}': {}", task_id, resources.error().message()));
      }
      if (resources->empty()) {
        return invalidArgument(fmt::format("Task '{}' uses no resources", task_id));
      }
      needed += *resources;
    }
    if (!available.contains(needed)) {
      return invalidArgument(fmt::format("Task group uses more resources {} than available {}",
                                         needed.toString(), available.toString()));
    }
    return needed;
  };
  auto needed = check();
  if (!needed) {
    const std::string why = needed.error().message();
    for (const auto& task : tasks) {
      metrics_.tasks_error++;
      sendTaskUpdate(fw, masterStatus(fw, task.task_id().value(), agent.id, v1::TASK_ERROR,
                                      v1::TaskStatus::REASON_TASK_GROUP_INVALID, why));
    }
    log_->warn("task_group_refused framework_id={} executor_id={} reason={}", fw.id, executor_id,
               why);
    return;
  }
  available -= *needed;

  auto& running = fw.executors[agent.id];
  if (!running.contains(executor_id)) {
    Executor record{executor, *resourcesFromProto(executor.resources())};
    fw.used += record.resources;
    agent.used += record.resources;
    agent.frameworks_with_executors.insert(fw.id);
    running.emplace(executor_id, std::move(record));
  }
  for (const auto& task : tasks) {
    addTask(fw, agent, task, *resourcesFromProto(task.resources()), &executor.executor_id());
  }

  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::RUN_TASK_GROUP);
  auto* run = event.mutable_run_task_group();
  *run->mutable_framework_info() = fw.info;
  *run->mutable_executor() = executor;
  *run->mutable_task_group() = launch.task_group();
  sendToAgent(agent, event);
  log_->info("task_group_launched framework_id={} executor_id={} tasks={} agent_id={}", fw.id,
             executor_id, tasks.size(), agent.id);
}

}  // namespace plateau::master
