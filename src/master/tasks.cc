// Launching tasks and following their states.

#include <fmt/format.h>

#include "common/resources_proto.h"
#include "master/allocation_role.h"
#include "master/master.h"
#include "master/validation.h"

namespace plateau::master {

namespace {

Status invalid(std::string why) { return {StatusCode::kInvalidArgument, std::move(why)}; }

// A custom executor a LAUNCH names, checked as Mesos does: nullopt when the same executor already
// runs on the agent, the new one otherwise, or why the task is refused.
Result<std::optional<Executor>> customExecutor(const Framework& fw, const std::string& agent_id,
                                               const std::string& role,
                                               const v1::ExecutorInfo& executor) {
  const std::string& executor_id = executor.executor_id().value();
  if (Status s = validateId("ExecutorID", executor_id); !s.isOk()) {
    return std::unexpected(s);
  }
  if (executor.has_framework_id() && executor.framework_id().value() != fw.id) {
    return invalidArgument(fmt::format("ExecutorInfo has an invalid FrameworkID '{}'",
                                       executor.framework_id().value()));
  }
  if (executor.has_type() && executor.type() != v1::ExecutorInfo::CUSTOM) {
    // DEFAULT executors run task groups (LAUNCH_GROUP), as in Mesos.
    return invalidArgument("'ExecutorInfo.type' must be 'CUSTOM'");
  }
  if (!executor.has_command()) {
    return invalidArgument("'ExecutorInfo.command' must be set");
  }
  if (auto on_agent = fw.executors.find(agent_id); on_agent != fw.executors.end()) {
    if (auto running = on_agent->second.find(executor_id); running != on_agent->second.end()) {
      if (running->second.info.command().SerializePartialAsString() !=
          executor.command().SerializePartialAsString()) {
        return invalidArgument(fmt::format(
            "ExecutorInfo for executor '{}' differs from the running one", executor_id));
      }
      return std::nullopt;
    }
  }
  auto resources = resourcesFromProto(executor.resources());
  if (!resources) {
    return invalidArgument(
        fmt::format("Executor uses invalid resources: {}", resources.error().message()));
  }
  auto executor_role = allocationRoleOf(executor.resources());
  if (!executor_role || (!executor_role->empty() && *executor_role != role)) {
    return invalidArgument(
        fmt::format("Executor's resources must be allocated to the offer's role '{}'", role));
  }
  Executor e{executor, *resources, role};
  e.info.mutable_framework_id()->set_value(fw.id);
  return e;
}

// What the agent gets to run a task of `fw` (its executor, if custom, marked as the framework's),
// its resources and its executor's carrying the role they were offered to, as from Mesos's master.
internal::AgentEvent runTaskEvent(const Framework& fw, const v1::TaskInfo& task,
                                  const std::string& role) {
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::RUN_TASK);
  auto* run = event.mutable_run_task();
  *run->mutable_framework_info() = fw.info;
  *run->mutable_task() = task;
  fillAllocationRole(run->mutable_task()->mutable_resources(), role);
  if (task.has_executor()) {
    fillAllocationRole(run->mutable_task()->mutable_executor()->mutable_resources(), role);
    *run->mutable_executor() = run->task().executor();
    run->mutable_executor()->mutable_framework_id()->set_value(fw.id);
  }
  return event;
}

}  // namespace

Result<Resources> Master::checkTask(Framework& fw, Agent& agent, const std::string& role,
                                    const v1::TaskInfo& task) {
  const std::string& task_id = task.task_id().value();
  if (Status s = validateId("TaskID", task_id); !s.isOk()) {
    return std::unexpected(s);
  }
  if (tasks_.contains(fw.id, task_id)) {
    return invalidArgument(fmt::format("Task has duplicate ID: {}", task_id));
  }
  if (task.agent_id().value() != agent.id) {
    return invalidArgument(fmt::format("Task uses agent ID '{}' but the offer is for agent '{}'",
                                       task.agent_id().value(), agent.id));
  }
  if (task.has_command() && task.command().shell() && !task.command().has_value()) {
    return invalidArgument("Task's CommandInfo has 'shell' set but no 'value' to run");
  }
  // Without a value, shell: false runs the image's Entrypoint/Cmd (docker/runtime), so only a
  // task without an image needs one.
  bool has_image = task.container().has_docker() || task.container().mesos().has_image();
  if (task.has_command() && !task.command().shell() && !task.command().has_value() && !has_image) {
    return invalidArgument("Task's CommandInfo has 'shell' unset but no 'value' (the program)");
  }
  if (Status s = validateTaskLifecycle(task); !s.isOk()) {
    return std::unexpected(s);
  }
  auto resources = resourcesFromProto(task.resources());
  if (!resources) {
    return invalidArgument(
        fmt::format("Task uses invalid resources: {}", resources.error().message()));
  }
  // Resources carry the role they were offered to (Mesos's allocation_info). A framework of
  // several roles must say it; for one of a single role the master fills it in (Mesos asks
  // it of every MULTI_ROLE framework; Plateau is lenient with those of one role).
  auto allocation_role = allocationRoleOf(task.resources());
  if (!allocation_role) {
    return invalidArgument(
        fmt::format("Task uses invalid resources: {}", allocation_role.error().message()));
  }
  if (allocation_role->empty() && fw.roles.size() > 1) {
    return invalidArgument(
        "Task's resources must have 'allocation_info' set: the framework has several roles");
  }
  if (!allocation_role->empty() && *allocation_role != role) {
    return invalidArgument(
        fmt::format("Task's resources are allocated to role '{}' but the offer is for role '{}'",
                    *allocation_role, role));
  }
  return *resources;
}

void Master::addTask(Framework& fw, Agent& agent, const std::string& role, const v1::TaskInfo& task,
                     const Resources& resources, const v1::ExecutorID* executor_id) {
  Task record;
  v1::Task& info = record.info;
  info.set_name(task.name());
  *info.mutable_task_id() = task.task_id();
  info.mutable_framework_id()->set_value(fw.id);
  if (executor_id != nullptr) {
    *info.mutable_executor_id() = *executor_id;
  }
  info.mutable_agent_id()->set_value(agent.id);
  info.set_state(v1::TASK_STAGING);
  resourcesToProto(resources, info.mutable_resources(), role, ResourceFormat::kPost);
  if (task.has_labels()) *info.mutable_labels() = task.labels();
  if (task.has_discovery()) *info.mutable_discovery() = task.discovery();
  if (task.has_container()) *info.mutable_container() = task.container();
  if (task.has_health_check()) *info.mutable_health_check() = task.health_check();
  if (task.has_kill_policy()) *info.mutable_kill_policy() = task.kill_policy();
  info.set_user(task.has_command() && task.command().has_user() ? task.command().user()
                                                                : fw.info.user());
  record.role = role;
  frameworks_.use(fw, agent.id, resources);
  agents_.use(agent, resources);
  feed_.taskAdded(tasks_.add(fw.id, std::move(record)));
  metrics_.tasks_launched++;
}

void Master::launch(Framework& fw, Agent& agent, const std::string& role,
                    const v1::Offer::Operation& operation, Resources& available) {
  for (const auto& task : operation.launch().task_infos()) {
    if (auto refused = refuseTaskUser(fw, task)) {
      metrics_.tasks_error++;
      per_framework_metrics_.taskEnded(fw.id, v1::TASK_ERROR);
      sendTaskUpdate(fw, masterStatus(fw, task.task_id().value(), agent.id, v1::TASK_ERROR,
                                      v1::TaskStatus::REASON_TASK_UNAUTHORIZED, *refused));
      log_->warn("task_unauthorized framework_id={} task_id={} reason=\"{}\"", fw.id,
                 task.task_id().value(), *refused);
      continue;
    }
    if (Status s = launchTask(fw, agent, role, task, available); !s.isOk()) {
      const std::string& task_id = task.task_id().value();
      metrics_.tasks_error++;
      per_framework_metrics_.taskEnded(fw.id, v1::TASK_ERROR);
      sendTaskUpdate(fw, masterStatus(fw, task_id, agent.id, v1::TASK_ERROR,
                                      v1::TaskStatus::REASON_TASK_INVALID, s.message()));
      log_->warn("task_refused framework_id={} task_id={} reason={}", fw.id, task_id, s.message());
    }
  }
}

Status Master::launchTask(Framework& fw, Agent& agent, const std::string& role,
                          const v1::TaskInfo& task, Resources& available) {
  if (task.has_command() == task.has_executor()) {
    return invalid(
        "Task should have at least one (but not both) of CommandInfo or ExecutorInfo "
        "present");
  }
  auto resources = checkTask(fw, agent, role, task);
  if (!resources) {
    return resources.error();
  }
  Resources needed = *resources;
  std::optional<Executor> new_executor;
  if (task.has_executor()) {
    auto executor = customExecutor(fw, agent.id, role, task.executor());
    if (!executor) {
      return executor.error();
    }
    new_executor = std::move(*executor);
    if (new_executor) {
      needed += new_executor->resources;
    }
  }
  if (needed.empty()) {
    return invalid("Task and its executor use no resources");
  }
  if (Status s = validateGpus(fw.info, needed.scalar("gpus")); !s.isOk()) {
    return s;
  }
  if (!available.contains(needed)) {
    return invalid(fmt::format("Task uses more resources {} than available {}", needed.toString(),
                               available.toString()));
  }
  available -= needed;
  if (new_executor) {
    frameworks_.use(fw, agent.id, new_executor->resources);
    agents_.use(agent, new_executor->resources);
    agent.frameworks_with_executors.insert(fw.id);
    fw.executors[agent.id].emplace(new_executor->info.executor_id().value(), *new_executor);
  }
  addTask(fw, agent, role, task, *resources,
          task.has_executor() ? &task.executor().executor_id() : nullptr);
  sendToAgent(agent, runTaskEvent(fw, task, role));
  log_->info("task_launched framework_id={} task_id={} agent_id={}", fw.id, task.task_id().value(),
             agent.id);
  return {};
}

v1::TaskStatus Master::masterStatus(const Framework& framework, const std::string& task_id,
                                    const std::string& agent_id, v1::TaskState state,
                                    v1::TaskStatus::Reason reason, const std::string& message) {
  (void)framework;
  v1::TaskStatus status;
  status.mutable_task_id()->set_value(task_id);
  status.set_state(state);
  status.set_source(v1::TaskStatus::SOURCE_MASTER);
  status.set_reason(reason);
  status.set_message(message);
  if (!agent_id.empty()) {
    status.mutable_agent_id()->set_value(agent_id);
  }
  status.set_timestamp(now());
  return status;
}

void Master::sendTaskUpdate(Framework& framework, const v1::TaskStatus& status) {
  scheduler::Event event;
  event.set_type(scheduler::Event::UPDATE);
  *event.mutable_update()->mutable_status() = status;
  send(framework, event);
}

void Master::updateTaskState(Framework& fw, Task& task, const v1::TaskStatus& status,
                             v1::TaskState latest) {
  if (tasks_.update(task, status, latest)) {
    metrics::TerminalTaskCounters{.finished = &metrics_.tasks_finished,
                                  .failed = &metrics_.tasks_failed,
                                  .killed = &metrics_.tasks_killed,
                                  .lost = &metrics_.tasks_lost,
                                  .error = &metrics_.tasks_error,
                                  .dropped = &metrics_.tasks_dropped,
                                  .gone = &metrics_.tasks_gone}
        .count(latest);
    per_framework_metrics_.taskEnded(fw.id, latest);
    releaseTaskResources(fw, task, true);
    scheduleAllocation();
  }
  feed_.taskUpdated(task.info, status);
}

void Master::releaseTaskResources(Framework& fw, Task& task, bool tell_allocator) {
  if (task.resources_released) {
    return;
  }
  task.resources_released = true;
  const std::string& agent_id = task.info.agent_id().value();
  const Resources resources = task.resources();
  frameworks_.release(fw, agent_id, resources);
  Agent* agent = agents_.find(agent_id);
  if (agent != nullptr) {
    agents_.release(*agent, resources);
    if (tell_allocator) {
      checked(allocator_.recoverResources(fw.id, task.role.empty() ? fw.role : task.role, agent_id,
                                          resources, std::nullopt, clock_.now()));
    }
  }
}

void Master::completeTask(Framework& fw, const std::string& task_id, bool unreachable) {
  if (Task* task = tasks_.find(fw.id, task_id)) {
    releaseTaskResources(fw, *task, true);
    const std::string agent_id = task->info.agent_id().value();
    if (unreachable) {
      tasks_.markUnreachable(fw.id, task_id);
    } else {
      tasks_.complete(fw.id, task_id);
    }
    checkDrained(agent_id);
  }
}

}  // namespace plateau::master
