// The agent's side of the containerizer: what a container is given, as whom it runs, what a
// crossed limit does to its tasks, and /monitor/statistics.

#include "agent/containers.h"

#include <string>
#include <utility>

#include <fmt/format.h>

#include "agent/agent.h"
#include "agent/containerizer/containerizer.h"
#include "agent/images/image_runtime.h"
#include "common/json.h"
#include "common/task_state.h"

namespace plateau::agent {

namespace {

void addScalars(const google::protobuf::RepeatedPtrField<v1::Resource>& resources,
                ContainerConfig* config) {
  for (const auto& r : resources) {
    if (!r.has_scalar()) {
      continue;
    }
    if (r.name() == "cpus") {
      config->cpus += r.scalar().value();
      config->revocable_cpus = config->revocable_cpus || r.has_revocable();
    } else if (r.name() == "mem") {
      config->mem_mb += r.scalar().value();
    } else if (r.name() == "disk") {
      config->disk_mb += r.scalar().value();
    }
  }
}

// ContainerInfo.linux_info.share_pid_namespace of the executor's container: the command
// executor's is its task's (as for its image, images.cc), another executor's its own.
bool sharesPidNamespace(const Executor& executor) {
  if (!executor.commandExecutor()) {
    return executor.info().container().linux_info().share_pid_namespace();
  }
  for (const auto* tasks : {&executor.queuedTasks(), &executor.launchedTasks()}) {
    if (!tasks->empty()) {
      return tasks->begin()->second.container().linux_info().share_pid_namespace();
    }
  }
  return false;
}

bool isLimitReason(v1::TaskStatus::Reason reason) {
  return reason == v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY ||
         reason == v1::TaskStatus::REASON_CONTAINER_LIMITATION_DISK;
}

}  // namespace

google::protobuf::RepeatedPtrField<v1::Resource> commandExecutorAllowance(
    const v1::TaskInfo& task) {
  std::string role;
  for (const auto& r : task.resources()) {
    if (r.has_allocation_info() && r.allocation_info().has_role()) {
      role = r.allocation_info().role();
      break;
    }
  }
  google::protobuf::RepeatedPtrField<v1::Resource> allowance;
  for (auto [name, value] :
       {std::pair{"cpus", kCommandExecutorCpus}, std::pair{"mem", kCommandExecutorMemMb}}) {
    v1::Resource* r = allowance.Add();
    r->set_name(name);
    r->set_type(v1::Value::SCALAR);
    r->mutable_scalar()->set_value(value);
    if (!role.empty()) {
      r->mutable_allocation_info()->set_role(role);
    }
  }
  return allowance;
}

ContainerConfig containerConfig(const Executor& executor) {
  ContainerConfig config;
  config.container_id = executor.containerId();
  config.directory = executor.directory();
  config.pid = executor.pid();
  config.share_pid_namespace = sharesPidNamespace(executor);
  addScalars(executor.info().resources(), &config);
  for (const auto* tasks : {&executor.queuedTasks(), &executor.launchedTasks()}) {
    for (const auto& [id, task] : *tasks) {
      // A task that reached a terminal state no longer holds its resources (its update may
      // still wait for an acknowledgement).
      auto state = executor.taskStates().find(id);
      if (state == executor.taskStates().end() || !isTerminal(state->second)) {
        addScalars(task.resources(), &config);
      }
    }
  }
  for (const auto& group : executor.queuedGroups()) {
    for (const auto& task : group.tasks()) {
      addScalars(task.resources(), &config);
    }
  }
  if (executor.commandExecutor() && executor.info().resources().empty()) {
    config.cpus += kCommandExecutorCpus;
    config.mem_mb += kCommandExecutorMemMb;
  }
  return config;
}

void resizeContainer(Containerizer& containerizer, const Executor& executor) {
  ContainerConfig config = containerConfig(executor);
  containerizer.update(config.container_id, config.cpus, config.mem_mb, config.disk_mb);
}

std::string executorUser(const Framework& framework, const Executor& executor) {
  if (executor.info().command().has_user()) {
    return executor.info().command().user();
  }
  return framework.info().user();
}

bool recordLimitation(ExecutorBook& book, Executor& executor, const Limitation& limitation) {
  return book.recordTermination(executor,
                                limitation.kind == Limitation::Kind::kMemory
                                    ? v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY
                                    : v1::TaskStatus::REASON_CONTAINER_LIMITATION_DISK,
                                limitation.message);
}

std::optional<Limitation> applyContainerLimitation(Containerizer& containerizer, ExecutorBook& book,
                                                   Executor& executor, v1::TaskStatus* status) {
  if (!isTerminal(status->state()) || status->state() == v1::TASK_FINISHED) {
    return std::nullopt;
  }
  std::optional<Limitation> found;
  if (!executor.terminationReason()) {
    // The kernel may have killed the task before the periodic check saw it: look now.
    found = containerizer.limitation(executor.containerId());
    if (!found) {
      return std::nullopt;
    }
    recordLimitation(book, executor, *found);
    containerizer.kill(executor.containerId());
  }
  // A limit or a QoS preemption: the task ended because the agent ended its container.
  if (isLimitReason(*executor.terminationReason()) ||
      *executor.terminationReason() == v1::TaskStatus::REASON_CONTAINER_PREEMPTED) {
    status->set_state(executor.terminationState());
    status->set_reason(*executor.terminationReason());
    status->set_message(executor.terminationMessage());
    status->set_source(v1::TaskStatus::SOURCE_AGENT);
  }
  return found;
}

std::optional<Limitation> endContainer(Containerizer& containerizer, ExecutorBook& book,
                                       Executor& executor) {
  std::optional<Limitation> found;
  if (!executor.terminationReason()) {
    found = containerizer.limitation(executor.containerId());
    if (found) {
      recordLimitation(book, executor, *found);
    }
  }
  containerizer.destroy(executor.containerId());
  return found;
}

void Agent::recoverContainers() {
  std::vector<ContainerConfig> alive;
  for (const auto& [fw_id, framework] : book_.frameworks()) {
    for (const auto& [ex_id, executor] : framework.executors()) {
      if (executor.pid() > 0) {
        alive.push_back(containerConfig(executor));
      }
    }
  }
  recoverStandalone(&alive);
  std::vector<std::string> nested = nested_->recoverNested(/*cleanup=*/false);
  containerizer_->recover(alive);
  if (images_) {
    std::vector<std::string> ids = std::move(nested);
    for (const auto& config : alive) {
      ids.push_back(config.container_id);
    }
    images_->recover(ids);
  }
}

void Agent::logLimitation(const Executor& executor, const Limitation& limitation) {
  log_->warn("executor_limited framework_id={} executor_id={} reason=\"{}\"",
             executor.frameworkId(), executor.id(), limitation.message);
}

void Agent::containerLimited(const std::string& container_id, const Limitation& limitation) {
  Executor* executor = book_.findByContainer(container_id);
  if (executor != nullptr && recordLimitation(book_, *executor, limitation)) {
    logLimitation(*executor, limitation);
  }
}

void Agent::applyLimitation(Executor& executor, v1::TaskStatus* status) {
  if (auto found = applyContainerLimitation(*containerizer_, book_, executor, status)) {
    logLimitation(executor, *found);
  }
}

void Agent::containerEnded(Executor& executor) {
  if (auto found = endContainer(*containerizer_, book_, executor)) {
    logLimitation(executor, *found);
  }
  releaseImage(executor.containerId());
}

http::Response Agent::monitorStatistics() {
  std::string out;
  json::Writer w(&out);
  w.beginArray();
  for (const auto& [fw_id, framework] : book_.frameworks()) {
    for (const auto& [ex_id, executor] : framework.executors()) {
      json::Value stats = containerizer_->usage(executor.containerId());
      if (stats.isNull()) {
        continue;
      }
      w.beginObject();
      w.key("executor_id");
      w.value(ex_id);
      w.key("executor_name");
      w.value(executor.info().name());
      w.key("framework_id");
      w.value(fw_id);
      w.key("source");
      // ExecutorInfo.source is deprecated but still what Mesos reports here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
      w.value(executor.info().has_source() ? executor.info().source()
                                           : (executor.commandExecutor() ? ex_id : ""));
#pragma GCC diagnostic pop
      w.key("statistics");
      w.value(stats);
      w.endObject();
    }
  }
  w.endArray();
  return http::Response::json(std::move(out));
}

}  // namespace plateau::agent
