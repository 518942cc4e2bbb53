// Framework lifecycle: events to schedulers, disconnection, failover timeout, removal.

#include <fmt/format.h>

#include "http/record.h"
#include "master/maintenance_book.h"
#include "master/master.h"
#include "master/validation.h"

namespace plateau::master {

namespace {

// The agents with the framework's tasks or executors.
std::set<std::string> agentsOf(const Framework& fw, const TaskBook& tasks) {
  std::set<std::string> agents;
  for (const auto& [task_id, task] : tasks.of(fw.id)) {
    agents.insert(task.info.agent_id().value());
  }
  for (const auto& [agent_id, executors] : fw.executors) {
    agents.insert(agent_id);
  }
  return agents;
}

internal::AgentEvent shutdownFrameworkEvent(const std::string& framework_id) {
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::SHUTDOWN_FRAMEWORK);
  event.mutable_shutdown_framework()->mutable_framework_id()->set_value(framework_id);
  return event;
}

}  // namespace

void Master::send(Framework& framework, const scheduler::Event& event) {
  per_framework_metrics_.event(framework.id, event.type());
  if (!framework.stream || framework.stream->closed()) {
    return;
  }
  framework.stream->write(http::encodeRecord(event, framework.content));
}

void Master::frameworkDisconnected(const std::string& framework_id) {
  Framework* found = frameworks_.find(framework_id);
  if (found == nullptr) {
    return;
  }
  Framework& fw = *found;
  frameworks_.awaitFailover(fw);
  fw.unregistered_time = now();
  feed_.frameworkUpdated(fw);
  checked(allocator_.deactivateFramework(framework_id));
  const auto& outstanding = offers_.ofFramework(fw.id);
  std::vector<std::string> offers(outstanding.begin(), outstanding.end());
  for (const auto& offer_id : offers) {
    removeOffer(offer_id, std::nullopt, false);
  }
  log_->info("framework_disconnected framework_id={} failover_timeout_secs={}", framework_id,
             fw.info.failover_timeout());
}

void Master::removeFramework(std::string framework_id, const std::string& why) {
  Framework* found = frameworks_.find(framework_id);
  if (found == nullptr) {
    return;
  }
  Framework& fw = *found;
  log_->info("framework_removed framework_id={} reason={}", framework_id, why);
  const auto& outstanding = offers_.ofFramework(fw.id);
  std::vector<std::string> offers(outstanding.begin(), outstanding.end());
  for (const auto& offer_id : offers) {
    removeOffer(offer_id, std::nullopt, false);
  }
  std::set<std::string> agents_to_tell = agentsOf(fw, tasks_);
  for (const v1::Operation* operation : operations_.ofFramework(fw.id)) {
    agents_to_tell.insert(operation->agent_id().value());  // they forget its operations
  }
  endFrameworkTasks(fw, why);
  releaseFrameworkExecutors(fw);
  for (const auto& agent_id : agents_to_tell) {
    Agent* agent = agents_.find(agent_id);
    if (agent != nullptr) {
      sendToAgent(*agent, shutdownFrameworkEvent(framework_id));
    }
  }
  checked(allocator_.removeFramework(framework_id));
  fw.unregistered_time = now();
  metrics_.frameworks_removed++;
  principal_metrics_.frameworkRemoved(framework_id);
  feed_.frameworkRemoved(fw.info);
  for (const auto& dropped : frameworks_.retire(framework_id)) {
    tasks_.forget(dropped);
    per_framework_metrics_.dropped(dropped);
  }
  maintenance_->frameworkRemoved(framework_id);
  operations_.forgetFramework(framework_id);
  persist({registry::Change::erase(registry::Change::Kind::kFramework, framework_id)},
          [](Status) {});
  scheduleAllocation();
}

void Master::endFrameworkTasks(Framework& fw, const std::string& why) {
  std::vector<std::string> task_ids;
  for (const auto& [task_id, task] : tasks_.of(fw.id)) {
    task_ids.push_back(task_id);
  }
  for (const auto& task_id : task_ids) {
    Task& task = *tasks_.find(fw.id, task_id);
    if (!isTerminal(task.info.state())) {
      v1::TaskStatus status =
          masterStatus(fw, task_id, task.info.agent_id().value(), v1::TASK_KILLED,
                       v1::TaskStatus::REASON_FRAMEWORK_REMOVED, why);
      updateTaskState(fw, task, status, v1::TASK_KILLED);
    }
  }
  // The allocator forgets the framework's allocations in one step, so resources are only
  // taken off the master's own books here.
  for (const auto& task_id : task_ids) {
    completeTask(fw, task_id);
  }
}

void Master::releaseFrameworkExecutors(Framework& fw) {
  for (auto& [agent_id, executors] : fw.executors) {
    Agent* agent = agents_.find(agent_id);
    for (auto& [executor_id, executor] : executors) {
      frameworks_.release(fw, agent_id, executor.resources);
      if (agent != nullptr && !executor.resources.empty()) {
        agents_.release(*agent, executor.resources);
        checked(allocator_.recoverResources(fw.id, executor.role.empty() ? fw.role : executor.role,
                                            agent_id, executor.resources, std::nullopt,
                                            clock_.now()));
      }
    }
    if (agent != nullptr) {
      agent->frameworks_with_executors.erase(fw.id);
    }
  }
  fw.executors.clear();
}

}  // namespace plateau::master
