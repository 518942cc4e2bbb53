// Status updates: at least once and in order per task, retried until acknowledged.

#include <algorithm>

#include <fmt/format.h>

#include "agent/agent.h"
#include "common/task_state.h"

namespace plateau::agent {

using namespace std::chrono_literals;

namespace {

std::string streamKey(const std::string& framework_id, const std::string& task_id) {
  return framework_id + "/" + task_id;
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
  status.set_timestamp(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  return status;
}

void Agent::statusUpdate(const std::string& framework_id, v1::TaskStatus status) {
  std::string key = streamKey(framework_id, status.task_id().value());
  UpdateStream& stream = updates_[key];
  stream.framework_id = framework_id;
  if (isTerminal(stream.latest) && !stream.pending.empty()) {
    // Nothing follows a terminal update.
    log_->warn("status_update_after_terminal framework_id={} task_id={} state={}", framework_id,
               status.task_id().value(), v1::TaskState_Name(status.state()));
    return;
  }
  switch (status.state()) {
    case v1::TASK_FINISHED:
      metrics_.tasks_finished++;
      break;
    case v1::TASK_FAILED:
      metrics_.tasks_failed++;
      break;
    case v1::TASK_KILLED:
      metrics_.tasks_killed++;
      break;
    case v1::TASK_LOST:
      metrics_.tasks_lost++;
      break;
    default:
      break;
  }
  if (stream.pending.empty() && stream.acknowledged.empty()) {
    stream.executor_id = status.executor_id().value();
    stream.checkpoint = checkpointing(framework_id) && !stream.executor_id.empty() &&
                        findExecutor(framework_id, stream.executor_id) != nullptr;
  }
  if (stream.checkpoint) {
    // On disk before anyone hears of it: a restarted agent re-sends it.
    checkpointed(checkpoint_.appendUpdate(framework_id, stream.executor_id, status), "update");
  }
  stream.latest = status.state();
  stream.pending.push_back(std::move(status));
  if (stream.pending.size() == 1) {
    forwardUpdate(key);
  }
}

void Agent::forwardUpdate(const std::string& key) {
  auto it = updates_.find(key);
  if (it == updates_.end() || it->second.pending.empty()) {
    return;
  }
  UpdateStream& stream = it->second;
  if (stream.retry_timer != 0) {
    loop_.cancel(stream.retry_timer);
    stream.retry_timer = 0;
  }
  if (registered_) {
    internal::AgentCall call;
    call.set_type(internal::AgentCall::STATUS_UPDATE);
    *call.mutable_agent_id() = info_.id();
    auto* update = call.mutable_status_update();
    update->mutable_framework_id()->set_value(stream.framework_id);
    *update->mutable_status() = stream.pending.front();
    update->set_latest_state(stream.latest);
    callMaster(call);
  }
  stream.backoff = stream.backoff == 0s
                       ? flags_.status_update_retry_interval
                       : std::min<std::chrono::nanoseconds>(stream.backoff * 2, 10min);
  stream.retry_timer = loop_.after(stream.backoff, [this, key] {
    auto s = updates_.find(key);
    if (s != updates_.end()) {
      s->second.retry_timer = 0;
      forwardUpdate(key);
    }
  });
}

void Agent::acknowledge(const internal::AgentEvent::Acknowledge& ack) {
  const std::string& fw_id = ack.framework_id().value();
  const std::string& task_id = ack.task_id().value();
  std::string key = streamKey(fw_id, task_id);
  auto it = updates_.find(key);
  if (it == updates_.end() || it->second.pending.empty() ||
      it->second.pending.front().uuid() != ack.uuid()) {
    log_->debug("ack_ignored framework_id={} task_id={}", fw_id, task_id);
    return;
  }
  UpdateStream& stream = it->second;
  v1::TaskStatus acked = std::move(stream.pending.front());
  stream.pending.pop_front();
  stream.acknowledged.insert(acked.uuid());
  if (stream.checkpoint) {
    checkpointed(checkpoint_.appendAck(fw_id, stream.executor_id, task_id, acked.uuid()), "ack");
  }
  stream.backoff = 0s;
  if (stream.retry_timer != 0) {
    loop_.cancel(stream.retry_timer);
    stream.retry_timer = 0;
  }
  // The executor learns of the acknowledgement, so it can stop re-sending or exit.
  if (Executor* executor = findExecutor(fw_id, acked.executor_id().value())) {
    if (acked.source() == v1::TaskStatus::SOURCE_EXECUTOR) {
      executor::Event event;
      event.set_type(executor::Event::ACKNOWLEDGED);
      *event.mutable_acknowledged()->mutable_task_id() = ack.task_id();
      event.mutable_acknowledged()->set_uuid(ack.uuid());
      sendToExecutor(*executor, event);
    }
    if (isTerminal(acked.state())) {
      if (auto done = executor->launched_tasks.find(task_id);
          done != executor->launched_tasks.end()) {
        executor->completed_tasks.emplace_back(done->second, acked.state());
        if (executor->completed_tasks.size() > 200) {  // as Mesos's per-executor bound
          executor->completed_tasks.pop_front();
        }
      }
      executor->launched_tasks.erase(task_id);
      executor->queued_tasks.erase(task_id);
      executor->task_states.erase(task_id);
    }
  }
  if (!stream.pending.empty()) {
    forwardUpdate(key);
  } else if (isTerminal(acked.state())) {
    bool checkpoint = stream.checkpoint;
    std::string executor_id = stream.executor_id;
    updates_.erase(it);
    if (checkpoint) {
      checkpoint_.removeTask(fw_id, executor_id, task_id);
      maybeRemoveExecutorCheckpoint(fw_id, executor_id);
    }
  }
}

}  // namespace plateau::agent
