// Checkpointing frameworks' work outlives the agent: what is written where, and how a
// restarted agent finds its executors, tasks and unacknowledged updates again.

#include <signal.h>

#include <filesystem>

#include <fmt/format.h>

#include "agent/agent.h"
#include "agent/containerizer/isolator.h"
#include "agent/reconfiguration.h"
#include "common/process.h"
#include "common/task_state.h"

namespace plateau::agent {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

Liveness processLiveness(pid_t pid, const std::string& directory) {
  if (pid <= 0) {
    return Liveness::kReused;
  }
  std::error_code ec;
  auto cwd = fs::read_symlink(fmt::format("/proc/{}/cwd", pid), ec);
  if (ec) {
    return Liveness::kGone;
  }
  auto sandbox = fs::weakly_canonical(fs::absolute(directory, ec), ec);
  return cwd == sandbox ? Liveness::kAlive : Liveness::kReused;
}

namespace {

bool executorAlive(pid_t pid, const std::string& directory) {
  return processLiveness(pid, directory) == Liveness::kAlive;
}

// Kills what an executor that is gone left in its session (its task, if the executor was
// killed), unless its pid now belongs to an unrelated process.
void sweepSession(pid_t pid, const std::string& directory) {
  if (processLiveness(pid, directory) != Liveness::kReused) {
    signalTree(pid, SIGKILL);
  }
}

}  // namespace

void Agent::checkpointed(const Status& status, const std::string& what) {
  if (!status.isOk()) {
    log_->error("checkpoint_failed what={} error=\"{}\"", what, status.message());
  }
}

Status Agent::recover() {
  std::vector<std::string> errors;
  RecoveredState state = checkpoint_.recover(&errors);
  for (const auto& path : state.partial) {
    log_->warn("checkpoint_partial path={}", path);  // the agent stopped while writing it
  }
  for (const auto& error : errors) {
    log_->warn("checkpoint_skipped reason=\"{}\"", error);
  }
  if (!errors.empty() && flags_.strict && flags_.recover != "cleanup") {
    return {StatusCode::kFailedPrecondition,
            fmt::format("Agent recovery failed: {} ({} unreadable checkpoint entries); restart "
                        "with --no-strict to recover what can be read, or with "
                        "--recover=cleanup to start afresh",
                        errors.front(), errors.size())};
  }
  if (flags_.recover == "cleanup") {
    size_t killed = 0;
    for (const auto& framework : state.frameworks) {
      for (const auto& executor : framework.executors) {
        killed += executorAlive(executor.pid, executor.directory) ? 1 : 0;
        sweepSession(executor.pid, executor.directory);
      }
    }
    std::vector<ContainerConfig> none;
    recoverStandalone(&none);  // kills them: the wipe forgets them
    nested_->recoverNested(/*cleanup=*/true);
    checkpointed(checkpoint_.wipe(), "wipe");
    log_->info("agent_recovery_cleanup executors_killed={}", killed);
    return {};
  }
  if (!state.agent_id) {
    return {};
  }
  if (auto previous = checkpoint_.readAgentInfo()) {
    if (Status s = checkReconfiguration(flags_.reconfiguration_policy, *previous, info_);
        !s.isOk()) {
      return {StatusCode::kFailedPrecondition,
              fmt::format("Incompatible agent info ({} under --reconfiguration_policy={}): "
                          "restart with --recover=cleanup (or remove {}/meta) to register as a "
                          "new agent",
                          s.message(), flags_.reconfiguration_policy, flags_.work_dir)};
    }
  }
  info_.mutable_id()->set_value(*state.agent_id);
  std::vector<std::pair<std::string, std::string>> dead;
  size_t executors = 0;
  for (const auto& framework : state.frameworks) {
    for (const auto& executor : framework.executors) {
      recoverExecutor(framework.info, executor, &dead);
      executors++;
    }
  }
  log_->info("agent_recovered agent_id={} frameworks={} executors={} gone={}", *state.agent_id,
             state.frameworks.size(), executors, dead.size());
  for (const auto& [fw_id, ex_id] : dead) {
    executorTerminated(fw_id, ex_id, "Executor terminated while the agent was down", std::nullopt);
  }
  if (!recovered_pids_.empty()) {
    recovered_poll_timer_ = timers_.every(200ms, [this] { pollRecoveredExecutors(); });
  }
  return {};
}

void Agent::recoverExecutor(const v1::FrameworkInfo& framework_info,
                            const RecoveredExecutor& recovered,
                            std::vector<std::pair<std::string, std::string>>* dead) {
  const std::string fw_id = framework_info.id().value();
  const std::string ex_id = recovered.info.executor_id().value();
  auto [executor, forgotten] = book_.recover(framework_info, recovered);
  recoverGpus(executor);
  for (const auto& task_id : forgotten) {
    checkpoint_.removeTask(fw_id, ex_id, task_id);
  }
  for (const auto& task : recovered.tasks) {
    const std::string& task_id = task.info.task_id().value();
    if (task.updates.empty() || !executor.launchedTasks().contains(task_id)) {
      continue;
    }
    std::deque<v1::TaskStatus> pending;
    for (const auto& update : task.updates) {
      if (!task.acknowledged.contains(update.uuid())) {
        pending.push_back(update);
      }
    }
    status_updates_.recover(fw_id, ex_id, task_id, task.updates.back().state(), task.acknowledged,
                            std::move(pending));
  }
  if (!executorAlive(recovered.pid, recovered.directory)) {
    sweepSession(recovered.pid, recovered.directory);
    dead->emplace_back(fw_id, ex_id);
    return;
  }
  recovered_pids_[recovered.pid] = {fw_id, ex_id};
  log_->info("executor_recovered framework_id={} executor_id={} pid={} tasks={}", fw_id, ex_id,
             recovered.pid, executor.launchedTasks().size());
  armRegistrationTimer(executor, flags_.executor_reregistration_timeout, /*reregistration=*/true);
}

void Agent::pollRecoveredExecutors() {
  std::vector<pid_t> gone;
  for (const auto& [pid, ids] : recovered_pids_) {
    const Executor* e = book_.find(ids.first, ids.second);
    if (e == nullptr || !executorAlive(pid, e->directory())) {
      gone.push_back(pid);
    }
  }
  for (pid_t pid : gone) {
    auto [fw_id, ex_id] = recovered_pids_[pid];
    recovered_pids_.erase(pid);
    // Not our child: its exit status is unknown. Sweep whatever its session left behind.
    if (const Executor* e = book_.find(fw_id, ex_id)) {
      sweepSession(pid, e->directory());
    }
    executorTerminated(fw_id, ex_id, "Executor exited", std::nullopt);
  }
  if (recovered_pids_.empty() && recovered_poll_timer_ != 0) {
    timers_.cancel(recovered_poll_timer_);
    recovered_poll_timer_ = 0;
  }
}

// An executor that (re)subscribes lists the updates it has not seen acknowledged and the tasks
// it runs without a terminal update: take in the updates this agent never received, confirm
// the ones already acknowledged, and hand it again tasks it never got.
void Agent::executorResubscribed(Executor& executor, const executor::Call::Subscribe& subscribe) {
  const std::string fw_id = executor.frameworkId();
  std::set<std::string> reported;
  for (const auto& task : subscribe.unacknowledged_tasks()) {
    reported.insert(task.task_id().value());
  }
  for (const auto& update : subscribe.unacknowledged_updates()) {
    v1::TaskStatus status = update.status();
    const std::string task_id = status.task_id().value();
    reported.insert(task_id);
    if (status_updates_.isPending(fw_id, task_id, status.uuid())) {
      continue;
    }
    bool known_task = executor.taskStates().contains(task_id);
    if (status_updates_.wasAcknowledged(fw_id, task_id, status.uuid()) || !known_task) {
      executor::Event ack;
      ack.set_type(executor::Event::ACKNOWLEDGED);
      *ack.mutable_acknowledged()->mutable_task_id() = status.task_id();
      ack.mutable_acknowledged()->set_uuid(status.uuid());
      sendToExecutor(executor, ack);
      continue;
    }
    if (status.uuid().size() != 16 || status.state() == v1::TASK_STAGING) {
      continue;
    }
    status.set_source(v1::TaskStatus::SOURCE_EXECUTOR);
    *status.mutable_executor_id() = executor.info().executor_id();
    *status.mutable_agent_id() = info_.id();
    book_.setTaskState(executor, task_id, status.state());
    metrics_.valid_status_updates++;
    statusUpdate(fw_id, status);
  }
  if (!executor.recovered()) {
    return;
  }
  for (const auto& [task_id, task] : executor.launchedTasks()) {
    if (!reported.contains(task_id) &&
        executor.taskState(task_id, v1::TASK_LOST) == v1::TASK_STAGING) {
      executor::Event event;
      event.set_type(executor::Event::LAUNCH);
      *event.mutable_launch()->mutable_task() = task;
      sendToExecutor(executor, event);
    }
  }
}

void Agent::maybeRemoveExecutorCheckpoint(const std::string& framework_id,
                                          const std::string& executor_id) {
  if (book_.find(framework_id, executor_id) != nullptr) {
    return;
  }
  if (status_updates_.hasPendingCheckpointed(framework_id, executor_id)) {
    return;
  }
  checkpoint_.removeExecutor(framework_id, executor_id);
}

}  // namespace plateau::agent
