// What the agent does with the master: the leader it follows, what it reports when it
// registers, and the master's events (tasks to run or kill, frameworks and executors to shut
// down, messages, checkpointed resources). The link itself is agent/master_link.h.

#include <fmt/format.h>

#include "agent/agent.h"
#include "common/json_codec.h"

namespace plateau::agent {

using namespace std::chrono_literals;

void Agent::onLeader(std::optional<std::string> master_info_json) {
  v1::MasterInfo info;
  if (!master_info_json || !fromJson(*master_info_json, &info).isOk() || !info.has_address()) {
    log_->warn("master_unknown");
    master_link_.setMaster(std::nullopt);
    return;
  }
  http::Endpoint leader{
      info.address().ip().empty() ? info.address().hostname() : info.address().ip(),
      static_cast<uint16_t>(info.address().port())};
  log_->info("master_detected id={} address={}", info.id(), leader.toString());
  master_link_.setMaster(leader);
}

internal::AgentCall Agent::registration() const {
  internal::AgentCall call;
  call.set_type(internal::AgentCall::REGISTER);
  auto* reg = call.mutable_register_();
  *reg->mutable_agent_info() = info_;
  reg->set_version("0.1.0");
  reg->set_ip(flags_.ip);
  // A master that restarted or failed over rebuilds its books from what we report. A new
  // agent (no id yet, e.g. after being marked gone) reports nothing: what it still runs is
  // being shut down.
  for (const auto& [fw_id, framework] : frameworks_) {
    if (!info_.has_id()) {
      break;
    }
    *reg->add_frameworks() = framework.info;
    for (const auto& [ex_id, executor] : framework.executors) {
      if (!executor.command_executor) {
        *reg->add_executors() = executor.info;
      }
      auto report = [&](const v1::TaskInfo& task) {
        v1::Task* t = reg->add_tasks();
        t->set_name(task.name());
        *t->mutable_task_id() = task.task_id();
        t->mutable_framework_id()->set_value(fw_id);
        if (!executor.command_executor) {
          *t->mutable_executor_id() = executor.info.executor_id();
        }
        *t->mutable_agent_id() = info_.id();
        auto state = executor.task_states.find(task.task_id().value());
        t->set_state(state == executor.task_states.end() ? v1::TASK_STAGING : state->second);
        *t->mutable_resources() = task.resources();
      };
      for (const auto& [task_id, task] : executor.launched_tasks) {
        report(task);
      }
      for (const auto& [task_id, task] : executor.queued_tasks) {
        report(task);
      }
      for (const auto& group : executor.queued_groups) {
        for (const auto& task : group.tasks()) {
          report(task);
        }
      }
    }
  }
  return call;
}

void Agent::handleMasterEvent(const internal::AgentEvent& event) {
  switch (event.type()) {
    case internal::AgentEvent::RUN_TASK:
      runTask(event.run_task());
      break;
    case internal::AgentEvent::RUN_TASK_GROUP:
      runTaskGroup(event.run_task_group());
      break;
    case internal::AgentEvent::CHECKPOINT_RESOURCES:
      checkpointResources(event.checkpoint_resources());
      break;
    case internal::AgentEvent::KILL_TASK:
      killTask(event.kill_task());
      break;
    case internal::AgentEvent::ACKNOWLEDGE:
      acknowledge(event.acknowledge());
      break;
    case internal::AgentEvent::SHUTDOWN_FRAMEWORK:
      shutdownFramework(event.shutdown_framework().framework_id().value());
      break;
    case internal::AgentEvent::SHUTDOWN_EXECUTOR: {
      const auto& s = event.shutdown_executor();
      if (Executor* e = findExecutor(s.framework_id().value(), s.executor_id().value())) {
        shutdownExecutor(*e);
      }
      break;
    }
    case internal::AgentEvent::FRAMEWORK_MESSAGE:
      frameworkMessage(event.framework_message());
      break;
    case internal::AgentEvent::SHUTDOWN:
      shutdownByMaster(event.shutdown().message());
      break;
    default:
      log_->warn("master_event_unknown type={}", static_cast<int>(event.type()));
  }
}

void Agent::registered(const internal::AgentEvent::Registered& r) {
  bool same = info_.has_id() && info_.id().value() == r.agent_id().value();
  *info_.mutable_id() = r.agent_id();
  if (!same) {
    checkpointed(checkpoint_.writeAgentId(r.agent_id().value()), "agent_id");
  }
  log_->info("agent_registered agent_id={} master={} reregistered={}", r.agent_id().value(),
             r.master_info().pid(), same);
  // Updates still waiting for acknowledgement go out again on the new connection.
  status_updates_.setConnected(true);
}

void Agent::frameworkMessage(const internal::AgentEvent::FrameworkMessage& m) {
  if (Executor* e = findExecutor(m.framework_id().value(), m.executor_id().value())) {
    executor::Event out;
    out.set_type(executor::Event::MESSAGE);
    out.mutable_message()->set_data(m.data());
    sendToExecutor(*e, out);
  }
}

void Agent::shutdownByMaster(const std::string& message) {
  log_->warn("agent_shutdown_by_master reason=\"{}\"", message);
  std::vector<std::string> ids;
  for (const auto& [id, fw] : frameworks_) {
    ids.push_back(id);
  }
  for (const auto& id : ids) {
    shutdownFramework(id);
  }
  status_updates_.clear();
  info_.clear_id();
  checkpointed(checkpoint_.wipe(), "wipe");
}

void Agent::runTask(const internal::AgentEvent::RunTask& run) {
  const auto& task = run.task();
  const std::string& fw_id = run.framework_info().id().value();
  Framework& framework = frameworks_[fw_id];
  bool framework_changed =
      framework.info.SerializePartialAsString() != run.framework_info().SerializePartialAsString();
  framework.info = run.framework_info();
  if (framework.info.checkpoint() && framework_changed) {
    checkpointed(checkpoint_.writeFramework(framework.info), "framework");
  }
  v1::ExecutorInfo info = run.has_executor() ? run.executor() : commandExecutorInfo(task, fw_id);
  const std::string& executor_id = info.executor_id().value();
  auto [it, inserted] = framework.executors.try_emplace(executor_id);
  Executor& executor = it->second;
  if (inserted) {
    executor.info = info;
    executor.framework_id = fw_id;
    executor.command_executor = !run.has_executor();
    executor.container_id = uuids_.text();
  }
  if (executor.state == Executor::State::kTerminating) {
    statusUpdate(fw_id, agentStatus(task.task_id().value(), v1::TASK_LOST,
                                    v1::TaskStatus::REASON_EXECUTOR_TERMINATED,
                                    "Executor is shutting down", executor_id));
    return;
  }
  executor.task_states[task.task_id().value()] = v1::TASK_STAGING;
  if (framework.info.checkpoint()) {
    checkpointed(checkpoint_.writeTask(fw_id, executor_id, task), "task");
  }
  log_->info("task_received framework_id={} task_id={} executor_id={}", fw_id,
             task.task_id().value(), executor_id);
  if (!executor.directory.empty()) {
    if (Status linked = linkVolumes(executor, task); !linked.isOk()) {
      executor.task_states[task.task_id().value()] = v1::TASK_FAILED;
      statusUpdate(fw_id, agentStatus(task.task_id().value(), v1::TASK_FAILED,
                                      v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED,
                                      linked.message(), executor_id));
      return;
    }
  }
  if (executor.state == Executor::State::kRunning) {
    launchOnExecutor(executor, task);
  } else {
    executor.queued_tasks[task.task_id().value()] = task;
  }
  if (inserted) {
    launchExecutor(framework, executor);
  }
}

void Agent::killTask(const internal::AgentEvent::KillTask& kill) {
  const std::string& fw_id = kill.framework_id().value();
  const std::string& task_id = kill.task_id().value();
  auto fw = frameworks_.find(fw_id);
  if (fw != frameworks_.end()) {
    for (auto& [ex_id, executor] : fw->second.executors) {
      if (executor.queued_tasks.erase(task_id) > 0) {
        executor.task_states[task_id] = v1::TASK_KILLED;
        statusUpdate(fw_id, agentStatus(task_id, v1::TASK_KILLED,
                                        v1::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH,
                                        "Killed before the executor started it", ex_id));
        if (executor.queued_tasks.empty() && executor.queued_groups.empty() &&
            executor.launched_tasks.empty()) {
          shutdownExecutor(executor);
        }
        return;
      }
      if (killQueuedGroup(executor, task_id)) {
        return;
      }
      if (executor.launched_tasks.contains(task_id)) {
        executor::Event event;
        event.set_type(executor::Event::KILL);
        *event.mutable_kill()->mutable_task_id() = kill.task_id();
        if (kill.has_kill_policy()) {
          *event.mutable_kill()->mutable_kill_policy() = kill.kill_policy();
        }
        if (!executor.stream) {
          // A recovered executor not yet back: it gets the kill once it subscribes again.
          executor.pending_kills.push_back(std::move(event));
          return;
        }
        sendToExecutor(executor, event);
        return;
      }
    }
  }
  // Unknown here: the master believes otherwise, so tell it the task is gone.
  statusUpdate(fw_id, agentStatus(task_id, v1::TASK_LOST, v1::TaskStatus::REASON_TASK_UNKNOWN,
                                  "Cannot kill a task unknown to the agent", ""));
}

void Agent::shutdownFramework(const std::string& framework_id) {
  auto fw = frameworks_.find(framework_id);
  if (fw == frameworks_.end()) {
    return;
  }
  log_->info("framework_shutdown framework_id={}", framework_id);
  for (auto& [ex_id, executor] : fw->second.executors) {
    executor.queued_tasks.clear();
    executor.queued_groups.clear();
    shutdownExecutor(executor);
  }
  status_updates_.removeFramework(framework_id);
}

}  // namespace plateau::agent
