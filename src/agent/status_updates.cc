// Status updates as the agent makes and counts them; their streams (at least once, in order,
// retried until acknowledged) are the StatusUpdateManager's.

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "agent/agent.h"
#include "common/task_state.h"

namespace plateau::agent {

namespace {

// The executor's container in `status`, as Mesos's agent adds it: its id, and while it runs its
// pid and `ip` (the agent's address) as its network: containers have no network of their own.
void addContainerStatus(const Executor& executor, const std::string& ip, v1::TaskStatus& status) {
  v1::ContainerStatus* container = status.mutable_container_status();
  if (!container->has_container_id()) {
    // As Mesos: the task's container, which `task exec` tools name as their session's parent.
    container->mutable_container_id()->set_value(executor.containerId());
  }
  if (executor.pid() == 0 || (status.source() != v1::TaskStatus::SOURCE_EXECUTOR &&
                              executor.state() == ExecutorState::kTerminating)) {
    return;  // no running container to describe, as Mesos's containerizer has none then
  }
  // As Mesos's agent for a container that has no network of its own: the executor's pid and
  // the agent's address, where service discovery (Mesos-DNS, Marathon) reads a task's IP.
  if (!container->has_executor_pid()) {
    container->set_executor_pid(static_cast<uint32_t>(executor.pid()));
  }
  if (container->network_infos_size() == 0) {
    container->add_network_infos()->add_ip_addresses()->set_ip_address(ip);
  }
}

}  // namespace

v1::TaskStatus Agent::agentStatus(const std::string& task_id, v1::TaskState state,
                                  v1::TaskStatus::Reason reason, const std::string& message,
                                  const std::string& executor_id) {
  v1::TaskStatus status;
  status.mutable_task_id()->set_value(task_id);
  status.set_state(state);
  status.set_source(v1::TaskStatus::SOURCE_AGENT);
  status.set_reason(reason);
  status.set_message(message);
  if (!executor_id.empty()) {
    status.mutable_executor_id()->set_value(executor_id);
  }
  *status.mutable_agent_id() = info_.id();
  status.set_uuid(uuids_.bytes());
  status.set_timestamp(clock_.wallSeconds());
  return status;
}

void Agent::statusUpdate(const std::string& framework_id, v1::TaskStatus status) {
  const std::string task_id = status.task_id().value();
  const std::string executor_id = status.executor_id().value();
  const v1::TaskState state = status.state();
  // A stream checkpoints when its framework does and its executor is known here.
  Executor* executor = executor_id.empty() ? nullptr : book_.find(framework_id, executor_id);
  bool checkpoint = book_.checkpointing(framework_id) && executor != nullptr;
  if (executor != nullptr && !executor->containerId().empty()) {
    addContainerStatus(*executor, flags_.address.advertisedIp(flags_.ip), status);
  }
  // The task's history keeps the update as it goes out, container status included.
  std::optional<v1::TaskStatus> seen;
  if (executor != nullptr) {
    seen = status;
    seen->clear_data();  // not kept: copied no further
  }
  if (!status_updates_.update(framework_id, executor_id, std::move(status), checkpoint)) {
    // Nothing follows a terminal update.
    log_->warn("status_update_after_terminal framework_id={} task_id={} state={}", framework_id,
               task_id, v1::TaskState_Name(state));
    return;
  }
  if (seen) {
    book_.recordStatus(*executor, *seen);
  }
  if (executor != nullptr && isTerminal(state)) {
    releaseTaskImage(executor->containerId(), task_id);  // a group task's own rootfs
  }
  // The agent keeps Mesos's four: every terminal update it takes counts.
  metrics::TerminalTaskCounters{.finished = &metrics_.tasks_finished,
                                .failed = &metrics_.tasks_failed,
                                .killed = &metrics_.tasks_killed,
                                .lost = &metrics_.tasks_lost}
      .count(state);
}

void Agent::acknowledge(const internal::AgentEvent::Acknowledge& ack) {
  const std::string& fw_id = ack.framework_id().value();
  const std::string& task_id = ack.task_id().value();
  auto acked = status_updates_.acknowledge(fw_id, task_id, ack.uuid());
  if (!acked) {
    log_->debug("ack_ignored framework_id={} task_id={}", fw_id, task_id);
    return;
  }
  // The executor learns of the acknowledgement, so it can stop re-sending or exit.
  if (Executor* executor = book_.find(fw_id, acked->status.executor_id().value())) {
    if (acked->status.source() == v1::TaskStatus::SOURCE_EXECUTOR) {
      executor::Event event;
      event.set_type(executor::Event::ACKNOWLEDGED);
      *event.mutable_acknowledged()->mutable_task_id() = ack.task_id();
      event.mutable_acknowledged()->set_uuid(ack.uuid());
      sendToExecutor(*executor, event);
    }
    if (isTerminal(acked->status.state())) {
      book_.acknowledgedTerminal(*executor, task_id, acked->status.state());
    }
  }
  if (acked->stream_ended && acked->checkpoint) {
    checkpoint_.removeTask(fw_id, acked->executor_id, task_id);
    maybeRemoveExecutorCheckpoint(fw_id, acked->executor_id);
  }
}

void Agent::forwardUpdate(const std::string& framework_id, const v1::TaskStatus& status,
                          v1::TaskState latest) {
  // As Mesos's agent: the task remembers the latest update it forwarded.
  if (Executor* executor = book_.find(framework_id, status.executor_id().value())) {
    book_.recordForwarded(*executor, status.task_id().value(), status.state(), status.uuid());
  }
  internal::AgentCall call;
  internal::AgentCall::StatusUpdate* update =
      master_batches_ ? outgoing_updates_.add_status_updates() : call.mutable_status_update();
  update->mutable_framework_id()->set_value(framework_id);
  *update->mutable_status() = status;
  update->set_latest_state(latest);
  if (!master_batches_) {
    call.set_type(internal::AgentCall::STATUS_UPDATE);
    *call.mutable_agent_id() = info_.id();
    master_link_.send(call);
  } else if (updates_flush_timer_ == 0) {
    // Whatever the rest of this loop turn forwards (the updates of several tasks of one
    // executor, acknowledgements that free the next update of many streams) joins this call.
    updates_flush_timer_ = timers_.after(std::chrono::nanoseconds(0), [this] { flushUpdates(); });
  }
}

void Agent::flushUpdates() {
  updates_flush_timer_ = 0;
  if (outgoing_updates_.status_updates_size() == 0) {
    return;  // the link went down meanwhile: the streams send their heads again
  }
  internal::AgentCall call;
  call.set_type(internal::AgentCall::STATUS_UPDATE);
  *call.mutable_agent_id() = info_.id();
  if (outgoing_updates_.status_updates_size() == 1) {
    call.mutable_status_update()->Swap(outgoing_updates_.mutable_status_updates(0));
  } else {
    call.mutable_status_updates()->Swap(outgoing_updates_.mutable_status_updates());
  }
  outgoing_updates_.Clear();
  master_link_.send(call);
}

}  // namespace plateau::agent
