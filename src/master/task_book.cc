#include "master/task_book.h"

#include "common/invariant.h"
#include "common/task_state.h"

namespace plateau::master {

namespace {

const TaskBook::Tasks kNoTasks;
const TaskBook::AgentTasks kNoAgentTasks;
const std::deque<mesos::v1::Task> kNoRecords;

}  // namespace

Task& TaskBook::add(const std::string& framework_id, Task task) {
  const std::string task_id = task.info.task_id().value();
  const std::string agent_id = task.info.agent_id().value();
  auto [it, added] = frameworks_[framework_id].live.try_emplace(task_id, std::move(task));
  if (!added) {
    invariantBroken("task " + task_id + " of framework " + framework_id + " is live already");
  }
  agents_[agent_id].emplace(framework_id, task_id);
  live_++;
  live_by_state_[it->second.info.state()]++;
  return it->second;
}

Task* TaskBook::find(const std::string& framework_id, const std::string& task_id) {
  auto fw = frameworks_.find(framework_id);
  if (fw == frameworks_.end()) {
    return nullptr;
  }
  auto task = fw->second.live.find(task_id);
  return task == fw->second.live.end() ? nullptr : &task->second;
}

const Task* TaskBook::find(const std::string& framework_id, const std::string& task_id) const {
  return const_cast<TaskBook*>(this)->find(framework_id, task_id);
}

const TaskBook::Tasks& TaskBook::of(const std::string& framework_id) const {
  auto fw = frameworks_.find(framework_id);
  return fw == frameworks_.end() ? kNoTasks : fw->second.live;
}

size_t TaskBook::liveIn(mesos::v1::TaskState state) const {
  return state >= 0 && state < mesos::v1::TaskState_ARRAYSIZE ? live_by_state_[state] : 0;
}

const TaskBook::AgentTasks& TaskBook::on(const std::string& agent_id) const {
  auto agent = agents_.find(agent_id);
  return agent == agents_.end() ? kNoAgentTasks : agent->second;
}

const std::deque<mesos::v1::Task>& TaskBook::completed(const std::string& framework_id) const {
  auto fw = frameworks_.find(framework_id);
  return fw == frameworks_.end() ? kNoRecords : fw->second.completed;
}

const std::deque<mesos::v1::Task>& TaskBook::unreachable(const std::string& framework_id) const {
  auto fw = frameworks_.find(framework_id);
  return fw == frameworks_.end() ? kNoRecords : fw->second.unreachable;
}

bool TaskBook::update(Task& task, const mesos::v1::TaskStatus& status,
                      mesos::v1::TaskState latest) {
  bool was_terminal = isTerminal(task.info.state());
  live_by_state_[task.info.state()]--;
  live_by_state_[latest]++;
  task.info.set_state(latest);
  task.info.set_status_update_state(status.state());
  if (status.has_uuid()) {
    task.info.set_status_update_uuid(status.uuid());
  } else {
    task.info.clear_status_update_uuid();
  }
  auto* statuses = task.info.mutable_statuses();
  if (statuses->empty() || statuses->rbegin()->state() != status.state()) {
    mesos::v1::TaskStatus kept = status;
    kept.clear_data();
    *statuses->Add() = std::move(kept);
    if (statuses->size() > kMaxStatuses) {
      statuses->DeleteSubrange(0, 1);
    }
  }
  return !was_terminal && isTerminal(latest);
}

bool TaskBook::complete(const std::string& framework_id, const std::string& task_id) {
  return retire(framework_id, task_id, &FrameworkTasks::completed, max_completed_);
}

bool TaskBook::markUnreachable(const std::string& framework_id, const std::string& task_id) {
  return retire(framework_id, task_id, &FrameworkTasks::unreachable, max_unreachable_);
}

bool TaskBook::retire(const std::string& framework_id, const std::string& task_id,
                      std::deque<mesos::v1::Task> FrameworkTasks::*into, size_t max) {
  auto fw = frameworks_.find(framework_id);
  if (fw == frameworks_.end()) {
    return false;
  }
  auto task = fw->second.live.find(task_id);
  if (task == fw->second.live.end()) {
    return false;
  }
  auto agent = agents_.find(task->second.info.agent_id().value());
  if (agent != agents_.end()) {
    agent->second.erase({framework_id, task_id});
    if (agent->second.empty()) {
      agents_.erase(agent);
    }
  }
  live_by_state_[task->second.info.state()]--;
  auto& records = fw->second.*into;
  const bool unreachable = into == &FrameworkTasks::unreachable;
  records.push_back(std::move(task->second.info));
  unreachable_count_ += unreachable ? 1 : 0;
  while (records.size() > max) {
    records.pop_front();
    unreachable_count_ -= unreachable ? 1 : 0;
  }
  fw->second.live.erase(task);
  live_--;
  return true;
}

void TaskBook::forget(const std::string& framework_id) {
  auto fw = frameworks_.find(framework_id);
  if (fw == frameworks_.end()) {
    return;
  }
  for (const auto& [task_id, task] : fw->second.live) {
    live_by_state_[task.info.state()]--;
    auto agent = agents_.find(task.info.agent_id().value());
    if (agent != agents_.end()) {
      agent->second.erase({framework_id, task_id});
      if (agent->second.empty()) {
        agents_.erase(agent);
      }
    }
  }
  live_ -= fw->second.live.size();
  unreachable_count_ -= fw->second.unreachable.size();
  frameworks_.erase(fw);
}

bool TaskBook::forgetUnreachable(const std::string& framework_id, const std::string& task_id) {
  auto fw = frameworks_.find(framework_id);
  if (fw == frameworks_.end()) {
    return false;
  }
  const size_t erased = std::erase_if(fw->second.unreachable, [&](const mesos::v1::Task& task) {
    return task.task_id().value() == task_id;
  });
  unreachable_count_ -= erased;
  return erased > 0;
}

}  // namespace plateau::master
