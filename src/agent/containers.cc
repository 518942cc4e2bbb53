// The agent's side of the containerizer: what a container is given, as whom it runs, what a
// crossed limit does to its tasks, and /monitor/statistics.

#include <fmt/format.h>

#include "agent/agent.h"
#include "agent/containerizer/containerizer.h"
#include "common/json.h"
#include "common/task_state.h"

namespace plateau::agent {

namespace {

// What Mesos gives a command executor on top of its task (DEFAULT_EXECUTOR_CPUS/MEM).
constexpr double kCommandExecutorCpus = 0.1;
constexpr double kCommandExecutorMemMb = 32;

void addScalars(const google::protobuf::RepeatedPtrField<v1::Resource>& resources,
                ContainerConfig* config) {
  for (const auto& r : resources) {
    if (!r.has_scalar()) {
      continue;
    }
    if (r.name() == "cpus") {
      config->cpus += r.scalar().value();
    } else if (r.name() == "mem") {
      config->mem_mb += r.scalar().value();
    } else if (r.name() == "disk") {
      config->disk_mb += r.scalar().value();
    }
  }
}

}  // namespace

Status Agent::startContainerizer() {
  auto containerizer =
      Containerizer::create(loop_, containerizerOptions(flags_), log_,
                            [this](const std::string& container_id, Limitation limitation) {
                              containerLimited(container_id, limitation);
                            });
  if (!containerizer) {
    return containerizer.error();
  }
  containerizer_ = std::move(*containerizer);
  return {};
}

ContainerConfig Agent::containerConfig(const Executor& executor) const {
  ContainerConfig config;
  config.container_id = executor.container_id;
  config.directory = executor.directory;
  config.pid = executor.pid;
  addScalars(executor.info.resources(), &config);
  for (const auto* tasks : {&executor.queued_tasks, &executor.launched_tasks}) {
    for (const auto& [id, task] : *tasks) {
      // A task that reached a terminal state no longer holds its resources (its update may
      // still wait for an acknowledgement).
      auto state = executor.task_states.find(id);
      if (state == executor.task_states.end() || !isTerminal(state->second)) {
        addScalars(task.resources(), &config);
      }
    }
  }
  for (const auto& group : executor.queued_groups) {
    for (const auto& task : group.tasks()) {
      addScalars(task.resources(), &config);
    }
  }
  if (executor.command_executor && executor.info.resources().empty()) {
    config.cpus += kCommandExecutorCpus;
    config.mem_mb += kCommandExecutorMemMb;
  }
  return config;
}

void Agent::resizeContainer(const Executor& executor) {
  ContainerConfig config = containerConfig(executor);
  containerizer_->update(config.container_id, config.cpus, config.mem_mb, config.disk_mb);
}

std::string Agent::executorUser(const Framework& framework, const Executor& executor) const {
  if (executor.info.command().has_user()) {
    return executor.info.command().user();
  }
  return framework.info.user();
}

void Agent::recoverContainers() {
  std::vector<ContainerConfig> alive;
  for (const auto& [fw_id, framework] : frameworks_) {
    for (const auto& [ex_id, executor] : framework.executors) {
      if (executor.pid > 0) {
        alive.push_back(containerConfig(executor));
      }
    }
  }
  containerizer_->recover(alive);
}

void Agent::containerLimited(const std::string& container_id, const Limitation& limitation) {
  for (auto& [fw_id, framework] : frameworks_) {
    for (auto& [ex_id, executor] : framework.executors) {
      if (executor.container_id != container_id || executor.termination_reason) {
        continue;
      }
      executor.termination_reason = limitation.kind == Limitation::Kind::kMemory
                                        ? v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY
                                        : v1::TaskStatus::REASON_CONTAINER_LIMITATION_DISK;
      executor.termination_message = limitation.message;
      log_->warn("executor_limited framework_id={} executor_id={} reason=\"{}\"", fw_id, ex_id,
                 limitation.message);
      return;
    }
  }
}

void Agent::applyLimitation(Executor& executor, v1::TaskStatus* status) {
  if (!isTerminal(status->state()) || status->state() == v1::TASK_FINISHED) {
    return;
  }
  if (!executor.termination_reason) {
    // The kernel may have killed the task before the periodic check saw it: look now.
    auto limitation = containerizer_->limitation(executor.container_id);
    if (!limitation) {
      return;
    }
    containerLimited(executor.container_id, *limitation);
    containerizer_->kill(executor.container_id);
  }
  if (*executor.termination_reason != v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY &&
      *executor.termination_reason != v1::TaskStatus::REASON_CONTAINER_LIMITATION_DISK) {
    return;
  }
  status->set_state(v1::TASK_FAILED);
  status->set_reason(*executor.termination_reason);
  status->set_message(executor.termination_message);
  status->set_source(v1::TaskStatus::SOURCE_AGENT);
}

void Agent::containerEnded(Executor& executor) {
  if (!executor.termination_reason) {
    if (auto limitation = containerizer_->limitation(executor.container_id)) {
      containerLimited(executor.container_id, *limitation);
    }
  }
  containerizer_->destroy(executor.container_id);
}

http::Response Agent::monitorStatistics() {
  std::string out;
  json::Writer w(&out);
  w.beginArray();
  for (const auto& [fw_id, framework] : frameworks_) {
    for (const auto& [ex_id, executor] : framework.executors) {
      json::Value stats = containerizer_->usage(executor.container_id);
      if (stats.isNull()) {
        continue;
      }
      w.beginObject();
      w.key("executor_id");
      w.value(ex_id);
      w.key("executor_name");
      w.value(executor.info.name());
      w.key("framework_id");
      w.value(fw_id);
      w.key("source");
      // ExecutorInfo.source is deprecated but still what Mesos reports here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
      w.value(executor.info.has_source() ? executor.info.source()
                                         : (executor.command_executor ? ex_id : ""));
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
