#include "agent/executor_book.h"

#include <algorithm>

#include "common/invariant.h"
#include "common/resources_proto.h"
#include "common/task_state.h"

namespace plateau::agent {

namespace {

void require(bool holds, std::string_view what,
             const std::source_location& where = std::source_location::current()) {
  if (!holds) {
    invariantBroken(what, where);
  }
}

// Keeps `status` in `history`: as Mesos's agent, an update in the latest one's state takes its
// place, so repeated updates (health checks, say) keep one entry; the payload is not kept.
void addStatus(TaskHistory& history, const v1::TaskStatus& status) {
  if (!history.statuses.empty() && history.statuses.back().state() == status.state()) {
    history.statuses.pop_back();
  }
  history.statuses.push_back(status);
  history.statuses.back().clear_data();
  while (history.statuses.size() > TaskHistory::kMaxStatuses) {
    history.statuses.pop_front();
  }
}

}  // namespace

const TaskHistory& Executor::history(const std::string& task_id) const {
  static const TaskHistory kNone;
  auto it = histories_.find(task_id);
  return it == histories_.end() ? kNone : it->second;
}

std::vector<const v1::TaskInfo*> Executor::queuedGroupTasks() const {
  std::vector<const v1::TaskInfo*> tasks;
  for (const auto& group : queued_groups_) {
    for (const auto& task : group.tasks()) {
      tasks.push_back(&task);
    }
  }
  return tasks;
}

Resources Executor::allocatedResources() const {
  Resources allocated;
  auto add = [&allocated](const auto& proto) {
    if (auto r = resourcesFromProto(proto); r) {
      allocated += *r;
    }
  };
  add(info_.resources());
  for (const auto& [task_id, task] : launched_tasks_) {
    if (!isTerminal(taskState(task_id, v1::TASK_STAGING))) {
      add(task.resources());
    }
  }
  for (const auto& [task_id, task] : queued_tasks_) {
    add(task.resources());
  }
  for (const v1::TaskInfo* task : queuedGroupTasks()) {
    add(task->resources());
  }
  return allocated;
}

v1::TaskState Executor::taskState(const std::string& task_id, v1::TaskState otherwise) const {
  auto it = task_states_.find(task_id);
  return it == task_states_.end() ? otherwise : it->second;
}

bool Executor::idle() const {
  return queued_tasks_.empty() && queued_groups_.empty() && launched_tasks_.empty();
}

const Framework* ExecutorBook::framework(const std::string& framework_id) const {
  auto it = frameworks_.find(framework_id);
  return it == frameworks_.end() ? nullptr : &it->second;
}

Executor* ExecutorBook::find(const std::string& framework_id, const std::string& executor_id) {
  auto fw = frameworks_.find(framework_id);
  if (fw == frameworks_.end()) {
    return nullptr;
  }
  auto ex = fw->second.executors_.find(executor_id);
  return ex == fw->second.executors_.end() ? nullptr : &ex->second;
}

const Executor* ExecutorBook::find(const std::string& framework_id,
                                   const std::string& executor_id) const {
  return const_cast<ExecutorBook*>(this)->find(framework_id, executor_id);
}

Executor* ExecutorBook::findByContainer(const std::string& container_id) {
  for (auto& [fw_id, framework] : frameworks_) {
    for (auto& [ex_id, executor] : framework.executors_) {
      if (executor.container_id_ == container_id) {
        return &executor;
      }
    }
  }
  return nullptr;
}

bool ExecutorBook::checkpointing(const std::string& framework_id) const {
  const Framework* fw = framework(framework_id);
  return fw != nullptr && fw->info_.checkpoint();
}

size_t ExecutorBook::executorCount() const {
  size_t count = 0;
  for (const auto& [fw_id, framework] : frameworks_) {
    count += framework.executors_.size();
  }
  return count;
}

ExecutorBook::Admission ExecutorBook::admit(const v1::FrameworkInfo& framework_info,
                                            const v1::ExecutorInfo& info, bool command_executor,
                                            const std::function<std::string()>& new_container_id) {
  const std::string& fw_id = framework_info.id().value();
  auto [fw, new_framework] = frameworks_.try_emplace(fw_id);
  Framework& framework = fw->second;
  bool changed = new_framework || framework.info_.SerializePartialAsString() !=
                                      framework_info.SerializePartialAsString();
  framework.info_ = framework_info;
  auto [ex, inserted] = framework.executors_.try_emplace(info.executor_id().value());
  Executor& executor = ex->second;
  if (inserted) {
    executor.info_ = info;
    executor.framework_id_ = fw_id;
    executor.command_executor_ = command_executor;
    executor.container_id_ = new_container_id();
  }
  return {executor, inserted, changed};
}

Status ExecutorBook::stage(Executor& executor, const v1::TaskInfo& task) {
  if (executor.state_ == ExecutorState::kTerminating) {
    return Status(StatusCode::kFailedPrecondition, "Executor is shutting down");
  }
  executor.task_states_[task.task_id().value()] = v1::TASK_STAGING;
  return {};
}

Status ExecutorBook::stage(Executor& executor, const v1::TaskGroupInfo& group) {
  if (executor.state_ == ExecutorState::kTerminating) {
    return Status(StatusCode::kFailedPrecondition, "Executor is shutting down");
  }
  for (const auto& task : group.tasks()) {
    executor.task_states_[task.task_id().value()] = v1::TASK_STAGING;
  }
  return {};
}

ExecutorBook::Placement ExecutorBook::place(Executor& executor, const v1::TaskInfo& task) {
  require(executor.state_ != ExecutorState::kTerminating, "task placed on a terminating executor");
  const std::string& task_id = task.task_id().value();
  if (executor.state_ == ExecutorState::kRunning) {
    executor.launched_tasks_[task_id] = task;
    return Placement::kLaunched;
  }
  executor.queued_tasks_[task_id] = task;
  return Placement::kQueued;
}

ExecutorBook::Placement ExecutorBook::place(Executor& executor, const v1::TaskGroupInfo& group) {
  require(executor.state_ != ExecutorState::kTerminating, "task placed on a terminating executor");
  if (executor.state_ == ExecutorState::kRunning) {
    for (const auto& task : group.tasks()) {
      executor.launched_tasks_[task.task_id().value()] = task;
    }
    return Placement::kLaunched;
  }
  executor.queued_groups_.push_back(group);
  return Placement::kQueued;
}

void ExecutorBook::setDirectory(Executor& executor, std::string directory) {
  executor.directory_ = std::move(directory);
}

void ExecutorBook::setPid(Executor& executor, pid_t pid) { executor.pid_ = pid; }

bool ExecutorBook::subscribed(Executor& executor) {
  if (executor.state_ == ExecutorState::kTerminating) {
    return false;
  }
  executor.state_ = ExecutorState::kRunning;
  return true;
}

ExecutorBook::Handover ExecutorBook::handOver(Executor& executor) {
  require(executor.state_ == ExecutorState::kRunning, "hand-over to an executor not running");
  Handover handover;
  for (auto& [task_id, task] : executor.queued_tasks_) {
    executor.launched_tasks_[task_id] = task;
    handover.tasks.push_back(std::move(task));
  }
  executor.queued_tasks_.clear();
  for (auto& group : executor.queued_groups_) {
    for (const auto& task : group.tasks()) {
      executor.launched_tasks_[task.task_id().value()] = task;
    }
    handover.groups.push_back(std::move(group));
  }
  executor.queued_groups_.clear();
  handover.kills = std::move(executor.deferred_kills_);
  executor.deferred_kills_.clear();
  return handover;
}

bool ExecutorBook::terminate(Executor& executor) {
  if (executor.state_ == ExecutorState::kTerminating) {
    return false;
  }
  executor.state_ = ExecutorState::kTerminating;
  return true;
}

std::vector<Executor*> ExecutorBook::dropQueued(const std::string& framework_id) {
  std::vector<Executor*> executors;
  auto fw = frameworks_.find(framework_id);
  if (fw == frameworks_.end()) {
    return executors;
  }
  for (auto& [ex_id, executor] : fw->second.executors_) {
    executor.queued_tasks_.clear();
    executor.queued_groups_.clear();
    executors.push_back(&executor);
  }
  return executors;
}

bool ExecutorBook::recordTermination(Executor& executor, v1::TaskStatus::Reason reason,
                                     std::string message, v1::TaskState state) {
  if (executor.termination_reason_) {
    return false;
  }
  executor.termination_reason_ = reason;
  executor.termination_message_ = std::move(message);
  executor.termination_state_ = state;
  return true;
}

void ExecutorBook::dropOldestCompleted(const std::string& framework_id) {
  auto oldest = framework_id.empty() ? completed_executors_.begin()
                                     : std::ranges::find(completed_executors_, framework_id,
                                                         &CompletedExecutor::framework_id);
  if (oldest == completed_executors_.end()) {
    return;
  }
  auto count = completed_per_framework_.find(oldest->framework_id);
  if (count != completed_per_framework_.end() && --count->second == 0) {
    completed_per_framework_.erase(count);
  }
  completed_executors_.erase(oldest);
}

void ExecutorBook::retire(const std::string& framework_id, const std::string& executor_id) {
  auto fw = frameworks_.find(framework_id);
  require(fw != frameworks_.end(), "retiring an executor of an unknown framework");
  Framework& framework = fw->second;
  auto ex = framework.executors_.find(executor_id);
  require(ex != framework.executors_.end(), "retiring an unknown executor");
  Executor& executor = ex->second;

  CompletedExecutor done;
  done.framework_id = framework_id;
  done.info = executor.info_;
  done.container_id = executor.container_id_;
  done.directory = executor.directory_;
  done.tasks.assign(std::make_move_iterator(executor.completed_tasks_.begin()),
                    std::make_move_iterator(executor.completed_tasks_.end()));
  for (const auto* tasks : {&executor.launched_tasks_, &executor.queued_tasks_}) {
    for (const auto& [task_id, task] : *tasks) {
      auto history = executor.histories_.find(task_id);
      done.tasks.push_back(
          {task, executor.taskState(task_id, v1::TASK_LOST),
           history == executor.histories_.end() ? TaskHistory{} : std::move(history->second)});
    }
  }
  completed_executors_.push_back(std::move(done));
  if (++completed_per_framework_[framework_id] > bounds_.completed_executors_per_framework) {
    dropOldestCompleted(framework_id);
  }
  if (completed_executors_.size() > bounds_.completed_executors) {
    dropOldestCompleted("");
  }
  framework.executors_.erase(ex);
  if (!framework.executors_.empty()) {
    return;
  }
  // Its last executor: the framework is completed here unless it launches again.
  std::erase_if(completed_frameworks_,
                [&](const v1::FrameworkInfo& info) { return info.id().value() == framework_id; });
  completed_frameworks_.push_back(std::move(framework.info_));
  if (completed_frameworks_.size() > bounds_.completed_frameworks) {
    completed_frameworks_.pop_front();
  }
  frameworks_.erase(fw);
}

void ExecutorBook::setTaskState(Executor& executor, const std::string& task_id,
                                v1::TaskState state) {
  executor.task_states_[task_id] = state;
}

bool ExecutorBook::recordStatus(Executor& executor, const v1::TaskStatus& status) {
  const std::string& task_id = status.task_id().value();
  if (!executor.task_states_.contains(task_id)) {
    return false;
  }
  addStatus(executor.histories_[task_id], status);
  return true;
}

void ExecutorBook::recordForwarded(Executor& executor, const std::string& task_id,
                                   v1::TaskState state, const std::string& uuid) {
  if (!executor.task_states_.contains(task_id)) {
    return;
  }
  TaskHistory& history = executor.histories_[task_id];
  history.forwarded_state = state;
  history.forwarded_uuid = uuid;
}

std::vector<std::string> ExecutorBook::unfinishedTasks(const Executor& executor) const {
  std::vector<std::string> unfinished;
  for (const auto& [task_id, state] : executor.task_states_) {
    if (!isTerminal(state)) {
      unfinished.push_back(task_id);
    }
  }
  return unfinished;
}

std::vector<std::string> ExecutorBook::failUnfinished(Executor& executor) {
  std::vector<std::string> failed = unfinishedTasks(executor);
  for (const auto& task_id : failed) {
    executor.task_states_[task_id] = v1::TASK_FAILED;
  }
  return failed;
}

void ExecutorBook::acknowledgedTerminal(Executor& executor, const std::string& task_id,
                                        v1::TaskState state) {
  auto history = executor.histories_.extract(task_id);
  if (auto done = executor.launched_tasks_.find(task_id); done != executor.launched_tasks_.end()) {
    executor.completed_tasks_.push_back(
        {std::move(done->second), state, history ? std::move(history.mapped()) : TaskHistory{}});
    if (executor.completed_tasks_.size() > bounds_.completed_tasks_per_executor) {
      executor.completed_tasks_.pop_front();
    }
    executor.launched_tasks_.erase(done);
  }
  executor.queued_tasks_.erase(task_id);
  executor.task_states_.erase(task_id);
}

namespace {

bool groupHas(const v1::TaskGroupInfo& group, const std::string& task_id) {
  return std::any_of(group.tasks().begin(), group.tasks().end(),
                     [&](const v1::TaskInfo& task) { return task.task_id().value() == task_id; });
}

}  // namespace

ExecutorBook::Kill ExecutorBook::kill(const std::string& framework_id, const std::string& task_id) {
  Kill kill;
  auto fw = frameworks_.find(framework_id);
  if (fw == frameworks_.end()) {
    return kill;
  }
  for (auto& [ex_id, executor] : fw->second.executors_) {
    kill.executor = &executor;
    if (executor.queued_tasks_.erase(task_id) > 0) {
      kill.kind = Kill::Kind::kKilledQueued;
      kill.killed.push_back(task_id);
    } else if (auto group =
                   std::find_if(executor.queued_groups_.begin(), executor.queued_groups_.end(),
                                [&](const v1::TaskGroupInfo& g) { return groupHas(g, task_id); });
               group != executor.queued_groups_.end()) {
      // Tasks of a group start together or not at all.
      kill.kind = Kill::Kind::kKilledQueued;
      kill.group = true;
      for (const auto& task : group->tasks()) {
        kill.killed.push_back(task.task_id().value());
      }
      executor.queued_groups_.erase(group);
    } else if (executor.launched_tasks_.contains(task_id)) {
      kill.kind = Kill::Kind::kLaunched;
      return kill;
    } else {
      continue;
    }
    for (const auto& killed : kill.killed) {
      executor.task_states_[killed] = v1::TASK_KILLED;
    }
    kill.now_idle = executor.idle();
    return kill;
  }
  return Kill{};
}

void ExecutorBook::deferKill(Executor& executor, executor::Event kill) {
  executor.deferred_kills_.push_back(std::move(kill));
}

ExecutorBook::Recovered ExecutorBook::recover(const v1::FrameworkInfo& framework_info,
                                              const RecoveredExecutor& recovered) {
  const std::string& fw_id = framework_info.id().value();
  Framework& framework = frameworks_[fw_id];
  framework.info_ = framework_info;
  Executor& executor = framework.executors_[recovered.info.executor_id().value()];
  executor = Executor{};
  executor.info_ = recovered.info;
  executor.framework_id_ = fw_id;
  executor.container_id_ = recovered.container_id;
  executor.directory_ = recovered.directory;
  executor.pid_ = recovered.pid;
  executor.command_executor_ = recovered.command_executor;
  executor.recovered_ = true;
  Recovered result{executor, {}};
  for (const auto& task : recovered.tasks) {
    const std::string& task_id = task.info.task_id().value();
    v1::TaskState latest = task.updates.empty() ? v1::TASK_STAGING : task.updates.back().state();
    bool all_acknowledged = std::all_of(
        task.updates.begin(), task.updates.end(),
        [&](const v1::TaskStatus& update) { return task.acknowledged.contains(update.uuid()); });
    if (isTerminal(latest) && all_acknowledged) {
      result.forgotten.push_back(task_id);
      continue;
    }
    executor.launched_tasks_[task_id] = task.info;
    executor.task_states_[task_id] = latest;
    for (const auto& update : task.updates) {
      addStatus(executor.histories_[task_id], update);
    }
  }
  return result;
}

}  // namespace plateau::agent
