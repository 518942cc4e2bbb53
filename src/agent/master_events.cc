// What the agent does with the master: the leader it follows, what it reports when it
// registers, and the master's events (tasks to run or kill, frameworks and executors to shut
// down, messages, checkpointed resources and offer operations). The link itself is
// agent/master_link.h.

#include <fmt/format.h>

#include "agent/agent.h"
#include "common/agent_capabilities.h"
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
  reg->set_batches(true);
  reg->set_ip(flags_.address.advertisedIp(flags_.ip));
  for (auto capability : kAgentCapabilities) {
    reg->add_capabilities()->set_type(capability);
  }
  if (info_.has_id()) {
    call.set_session(checkpoint_.readSession());  // the link replaces it by a newer one it has
  }
  // A master that restarted or failed over rebuilds its books from what we report. A new
  // agent (no id yet, e.g. after being marked gone) reports nothing: what it still runs is
  // being shut down.
  for (const auto& [fw_id, framework] : book_.frameworks()) {
    if (!info_.has_id()) {
      break;
    }
    *reg->add_frameworks() = framework.info();
    for (const auto& [ex_id, executor] : framework.executors()) {
      if (!executor.commandExecutor()) {
        *reg->add_executors() = executor.info();
      }
      auto report = [&](const v1::TaskInfo& task) {
        v1::Task* t = reg->add_tasks();
        t->set_name(task.name());
        *t->mutable_task_id() = task.task_id();
        t->mutable_framework_id()->set_value(fw_id);
        if (!executor.commandExecutor()) {
          *t->mutable_executor_id() = executor.info().executor_id();
        }
        *t->mutable_agent_id() = info_.id();
        t->set_state(executor.taskState(task.task_id().value(), v1::TASK_STAGING));
        // As Mesos's agent: the update a master was last sent, which a new master answers
        // reconciliation with (not the latest state, whose update may still be to come).
        if (auto sent = status_updates_.lastSent(fw_id, task.task_id().value())) {
          t->set_status_update_state(sent->state);
          if (!sent->uuid.empty()) {
            t->set_status_update_uuid(sent->uuid);
          }
        }
        *t->mutable_resources() = task.resources();
      };
      for (const auto& [task_id, task] : executor.launchedTasks()) {
        report(task);
      }
      for (const auto& [task_id, task] : executor.queuedTasks()) {
        report(task);
      }
      for (const auto& group : executor.queuedGroups()) {
        for (const auto& task : group.tasks()) {
          report(task);
        }
      }
    }
  }
  for (const auto& [key, operation] : operations_) {
    if (info_.has_id()) {
      *reg->add_operations() = operation;  // not yet acknowledged: a new master learns them
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
      if (event.acknowledgements_size() == 0) {
        acknowledge(event.acknowledge());
      }
      for (const auto& ack : event.acknowledgements()) {
        acknowledge(ack);  // in the order the schedulers made them
      }
      break;
    case internal::AgentEvent::ACKNOWLEDGE_OPERATION:
      forgetOperations(event.acknowledge_operation().framework_id().value(),
                       event.acknowledge_operation().operation_id().value());
      break;
    case internal::AgentEvent::SHUTDOWN_FRAMEWORK:
      shutdownFramework(event.shutdown_framework().framework_id().value());
      break;
    case internal::AgentEvent::SHUTDOWN_EXECUTOR: {
      const auto& s = event.shutdown_executor();
      if (Executor* e = book_.find(s.framework_id().value(), s.executor_id().value())) {
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
  // What --reconfiguration_policy compares a restarted agent with: as the flags gave it.
  checkpointed(checkpoint_.writeAgentInfo(given_info_), "agent_info");
  checkpointed(checkpoint_.writeSession(r.session()), "session");
  log_->info("agent_registered agent_id={} master={} reregistered={}", r.agent_id().value(),
             r.master_info().pid(), same);
  master_batches_ = r.batches();
  outgoing_updates_.Clear();
  // Updates still waiting for acknowledgement go out again on the new connection.
  status_updates_.setConnected(true);
  oversubscription_->registered();  // the new master learns the revocable resources
}

void Agent::frameworkMessage(const internal::AgentEvent::FrameworkMessage& m) {
  if (Executor* e = book_.find(m.framework_id().value(), m.executor_id().value())) {
    executor::Event out;
    out.set_type(executor::Event::MESSAGE);
    out.mutable_message()->set_data(m.data());
    sendToExecutor(*e, out);
  }
}

void Agent::shutdownByMaster(const std::string& message) {
  log_->warn("agent_shutdown_by_master reason=\"{}\"", message);
  std::vector<std::string> ids;
  for (const auto& [id, fw] : book_.frameworks()) {
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
  const std::string& task_id = task.task_id().value();
  const std::string& fw_id = run.framework_info().id().value();
  auto admitted = book_.admit(
      run.framework_info(), run.has_executor() ? run.executor() : commandExecutorInfo(task, fw_id),
      !run.has_executor(), [this] { return uuids_.text(); });
  Executor& executor = admitted.executor;
  const std::string executor_id = executor.id();
  if (run.framework_info().checkpoint() && admitted.framework_changed) {
    checkpointed(checkpoint_.writeFramework(run.framework_info()), "framework");
  }
  if (Status staged = book_.stage(executor, task); !staged.isOk()) {
    statusUpdate(fw_id,
                 agentStatus(task_id, v1::TASK_LOST, v1::TaskStatus::REASON_EXECUTOR_TERMINATED,
                             staged.message(), executor_id));
    return;
  }
  if (run.framework_info().checkpoint()) {
    checkpointed(checkpoint_.writeTask(fw_id, executor_id, task), "task");
  }
  log_->info("task_received framework_id={} task_id={} executor_id={}", fw_id, task_id,
             executor_id);
  if (!executor.directory().empty()) {
    if (Status linked = linkVolumes(executor, task); !linked.isOk()) {
      book_.setTaskState(executor, task_id, v1::TASK_FAILED);
      statusUpdate(fw_id, agentStatus(task_id, v1::TASK_FAILED,
                                      v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED,
                                      linked.message(), executor_id));
      return;
    }
  }
  if (book_.place(executor, task) == ExecutorBook::Placement::kLaunched) {
    launchOnExecutor(executor, task);
  }
  if (admitted.new_executor) {
    launchExecutor(executor);
  }
}

void Agent::killTask(const internal::AgentEvent::KillTask& kill) {
  const std::string& fw_id = kill.framework_id().value();
  const std::string& task_id = kill.task_id().value();
  ExecutorBook::Kill decision = book_.kill(fw_id, task_id);
  switch (decision.kind) {
    case ExecutorBook::Kill::Kind::kKilledQueued: {
      Executor& executor = *decision.executor;
      for (const auto& killed : decision.killed) {
        statusUpdate(
            fw_id,
            agentStatus(killed, v1::TASK_KILLED, v1::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH,
                        decision.group ? "Killed before the executor started its group"
                                       : "Killed before the executor started it",
                        executor.id()));
      }
      if (decision.now_idle) {
        shutdownExecutor(executor);
      }
      return;
    }
    case ExecutorBook::Kill::Kind::kLaunched: {
      executor::Event event;
      event.set_type(executor::Event::KILL);
      *event.mutable_kill()->mutable_task_id() = kill.task_id();
      if (kill.has_kill_policy()) {
        *event.mutable_kill()->mutable_kill_policy() = kill.kill_policy();
      }
      if (!channel(*decision.executor).stream) {
        // A recovered executor not yet back: it gets the kill once it subscribes again.
        book_.deferKill(*decision.executor, std::move(event));
        return;
      }
      sendToExecutor(*decision.executor, event);
      return;
    }
    case ExecutorBook::Kill::Kind::kUnknown:
      break;
  }
  // Unknown here: the master believes otherwise, so tell it the task is gone.
  statusUpdate(fw_id, agentStatus(task_id, v1::TASK_LOST, v1::TaskStatus::REASON_TASK_UNKNOWN,
                                  "Cannot kill a task unknown to the agent", ""));
}

void Agent::shutdownFramework(const std::string& framework_id) {
  forgetOperations(framework_id, std::nullopt);
  if (book_.framework(framework_id) == nullptr) {
    return;
  }
  log_->info("framework_shutdown framework_id={}", framework_id);
  for (Executor* executor : book_.dropQueued(framework_id)) {
    shutdownExecutor(*executor);
  }
  status_updates_.removeFramework(framework_id);
}

}  // namespace plateau::agent
