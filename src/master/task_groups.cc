// LAUNCH_GROUP: a task group for one executor (DEFAULT: the agent's default executor; CUSTOM:
// the scheduler's), checked as Mesos checks it and launched all together or not at all.

#include <functional>
#include <set>

#include <fmt/format.h>

#include "common/resources_proto.h"
#include "master/allocation_role.h"
#include "master/master.h"
#include "master/validation.h"

namespace plateau::master {

namespace {

// The group's executor on its own, as Mesos checks it.
Status checkGroupExecutor(const v1::ExecutorInfo& executor, const std::string& framework_id) {
  if (Status s = validateId("ExecutorID", executor.executor_id().value()); !s.isOk()) {
    return s;
  }
  auto invalid = [](std::string why) { return Status(StatusCode::kInvalidArgument, why); };
  if (!executor.has_type()) {
    return invalid("'ExecutorInfo.type' must be set");
  }
  if (executor.type() == v1::ExecutorInfo::UNKNOWN) {
    return invalid("Unknown executor type");
  }
  // DEFAULT: the agent runs its own (plateau-executor --default); CUSTOM: the scheduler's
  // command, which then receives LAUNCH_GROUP events.
  if (executor.type() == v1::ExecutorInfo::DEFAULT && executor.has_command()) {
    return invalid("'ExecutorInfo.command' must not be set for 'DEFAULT' executor");
  }
  if (executor.type() == v1::ExecutorInfo::CUSTOM && !executor.has_command()) {
    return invalid("'ExecutorInfo.command' must be set for 'CUSTOM' executor");
  }
  if (executor.has_container() && executor.container().type() == v1::ContainerInfo::DOCKER) {
    return invalid("Docker ContainerInfo is not supported on the executor");
  }
  if (executor.has_framework_id() && executor.framework_id().value() != framework_id) {
    return invalid(fmt::format("ExecutorInfo has an invalid FrameworkID '{}'",
                               executor.framework_id().value()));
  }
  return {};
}

// What the group's executor needs beyond what already runs: nothing when the same executor
// runs on the agent, its resources (at least Mesos's minimums) when it is new.
Result<Resources> groupExecutorNeeds(const Framework& fw, const std::string& agent_id,
                                     const v1::ExecutorInfo& executor) {
  const std::string& executor_id = executor.executor_id().value();
  if (auto on_agent = fw.executors.find(agent_id); on_agent != fw.executors.end()) {
    if (auto existing = on_agent->second.find(executor_id); existing != on_agent->second.end()) {
      v1::ExecutorInfo known = existing->second.info;
      v1::ExecutorInfo given = executor;
      if (executor.type() == v1::ExecutorInfo::DEFAULT) {
        // The agent fills in how the default executor runs; compare what the scheduler gave.
        known.clear_command();
        known.clear_name();
        given.clear_name();
      }
      if (known.SerializePartialAsString() != given.SerializePartialAsString()) {
        return invalidArgument(fmt::format(
            "ExecutorInfo for executor '{}' differs from the running one", executor_id));
      }
      return Resources();
    }
  }
  auto resources = resourcesFromProto(executor.resources());
  if (!resources) {
    return invalidArgument(
        fmt::format("Executor uses invalid resources: {}", resources.error().message()));
  }
  double cpus = resources->scalar("cpus");
  double mem = resources->scalar("mem");
  if (cpus < 0.01) {
    return invalidArgument(fmt::format(
        "Executor '{}' uses less CPUs ({}) than the minimum required (0.01)", executor_id, cpus));
  }
  if (mem < 32) {
    return invalidArgument(
        fmt::format("Executor '{}' uses less memory ({} MB) than the minimum required (32 MB)",
                    executor_id, mem));
  }
  return resources;
}

// The group's tasks: unique ids, the group's executor, a command each, and what `checkTask`
// (the checks every task passes) says of its resources. Their resources summed.
Result<Resources> groupTasksNeed(
    const google::protobuf::RepeatedPtrField<v1::TaskInfo>& tasks, const v1::ExecutorInfo& executor,
    const std::string& framework_id,
    const std::function<Result<Resources>(const v1::TaskInfo&)>& checkTask) {
  Resources needed;
  std::set<std::string> ids;
  for (const auto& task : tasks) {
    const std::string& task_id = task.task_id().value();
    if (!ids.insert(task_id).second) {
      return invalidArgument(fmt::format("Duplicate task ID '{}' in the task group", task_id));
    }
    auto task_error = [&](const std::string& why) {
      return invalidArgument(fmt::format("Task '{}' is invalid: {}", task_id, why));
    };
    if (task.has_executor()) {
      v1::ExecutorInfo own = task.executor();
      own.mutable_framework_id()->set_value(framework_id);
      if (own.SerializePartialAsString() != executor.SerializePartialAsString()) {
        return invalidArgument(
            fmt::format("The `ExecutorInfo` of task '{}' is different from executor '{}'", task_id,
                        executor.executor_id().value()));
      }
    }
    if (!task.has_command()) {
      return task_error("'TaskInfo.command' must be set");
    }
    if (task.has_container() && task.container().type() == v1::ContainerInfo::DOCKER) {
      return task_error("Docker ContainerInfo is not supported on the task");
    }
    auto resources = checkTask(task);
    if (!resources) {
      return task_error(resources.error().message());
    }
    if (resources->empty()) {
      return task_error("Task uses no resources");
    }
    needed += *resources;
  }
  return needed;
}

}  // namespace

void Master::launchGroup(Framework& fw, Agent& agent, const std::string& role,
                         const v1::Offer::Operation& operation, Resources& available) {
  const auto& launch = operation.launch_group();
  const auto& tasks = launch.task_group().tasks();
  v1::ExecutorInfo executor = launch.executor();
  executor.mutable_framework_id()->set_value(fw.id);
  const std::string& executor_id = executor.executor_id().value();
  std::optional<std::string> unauthorized;
  for (const auto& task : tasks) {
    unauthorized = unauthorized ? unauthorized : refuseTaskUser(fw, task);
  }
  auto needed = unauthorized ? invalidArgument(*unauthorized)
                             : checkTaskGroup(fw, agent, role, launch, available);
  if (!needed) {
    const std::string why = needed.error().message();
    for (const auto& task : tasks) {
      metrics_.tasks_error++;
      per_framework_metrics_.taskEnded(fw.id, v1::TASK_ERROR);
      sendTaskUpdate(fw, masterStatus(fw, task.task_id().value(), agent.id, v1::TASK_ERROR,
                                      unauthorized ? v1::TaskStatus::REASON_TASK_GROUP_UNAUTHORIZED
                                                   : v1::TaskStatus::REASON_TASK_GROUP_INVALID,
                                      why));
    }
    log_->warn("task_group_refused framework_id={} executor_id={} reason={}", fw.id, executor_id,
               why);
    return;
  }
  available -= *needed;

  auto& running = fw.executors[agent.id];
  if (!running.contains(executor_id)) {
    Executor record{executor, *resourcesFromProto(executor.resources()), role};
    frameworks_.use(fw, agent.id, record.resources);
    agents_.use(agent, record.resources);
    agent.frameworks_with_executors.insert(fw.id);
    running.emplace(executor_id, std::move(record));
  }
  for (const auto& task : tasks) {
    addTask(fw, agent, role, task, *resourcesFromProto(task.resources()), &executor.executor_id());
  }

  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::RUN_TASK_GROUP);
  auto* run = event.mutable_run_task_group();
  *run->mutable_framework_info() = fw.info;
  *run->mutable_executor() = executor;
  *run->mutable_task_group() = launch.task_group();
  fillAllocationRole(run->mutable_executor()->mutable_resources(), role);
  for (auto& task : *run->mutable_task_group()->mutable_tasks()) {
    fillAllocationRole(task.mutable_resources(), role);
  }
  sendToAgent(agent, event);
  log_->info("task_group_launched framework_id={} executor_id={} tasks={} agent_id={}", fw.id,
             executor_id, tasks.size(), agent.id);
}

Result<Resources> Master::checkTaskGroup(Framework& fw, Agent& agent, const std::string& role,
                                         const v1::Offer::Operation::LaunchGroup& launch,
                                         const Resources& available) {
  // The first problem found refuses the whole group.
  const auto& tasks = launch.task_group().tasks();
  if (tasks.empty()) {
    return invalidArgument("Task group cannot be empty");
  }
  if (Status s = checkGroupExecutor(launch.executor(), fw.id); !s.isOk()) {
    return std::unexpected(s);
  }
  v1::ExecutorInfo executor = launch.executor();
  executor.mutable_framework_id()->set_value(fw.id);
  auto executor_needs = groupExecutorNeeds(fw, agent.id, executor);
  if (!executor_needs) {
    return executor_needs;
  }
  auto tasks_need = groupTasksNeed(tasks, executor, fw.id, [&](const v1::TaskInfo& task) {
    return checkTask(fw, agent, role, task);
  });
  if (!tasks_need) {
    return tasks_need;
  }
  Resources needed = *executor_needs + *tasks_need;
  if (!available.contains(needed)) {
    return invalidArgument(fmt::format("Task group uses more resources {} than available {}",
                                       needed.toString(), available.toString()));
  }
  return needed;
}

}  // namespace plateau::master
