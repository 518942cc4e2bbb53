// The agent's read-only JSON endpoints: /state and /metrics/snapshot, in Mesos's shapes.

#include <fmt/format.h>

#include "agent/agent.h"
#include "agent/containerizer/containerizer.h"
#include "agent/images/image_runtime.h"
#include "auth/view_filter.h"
#include "common/agent_capabilities.h"
#include "common/attributes_json.h"
#include "common/flags.h"
#include "common/json.h"
#include "common/json_codec.h"
#include "common/resources_json.h"
#include "common/resources_proto.h"
#include "common/task_json.h"
#include "common/task_state.h"
#include "common/version.h"

namespace plateau::agent {

namespace {

// A task the agent holds, in the one task shape (common/task_json.h), with the updates it kept.
void writeTask(json::Writer& w, const v1::TaskInfo& info, const std::string& fw_id,
               const std::string& ex_id, const std::string& agent_id, v1::TaskState state,
               const TaskHistory& history) {
  v1::Task task = taskOf(info, fw_id, ex_id, state);
  task.mutable_agent_id()->set_value(agent_id);
  for (const auto& status : history.statuses) {
    *task.add_statuses() = status;
  }
  // The role the master wrote in the resources' allocation_info, as Mesos's agent shows it.
  plateau::writeTask(w, task, allocationRoleOf(info.resources()).value_or(""));
}

// A CommandInfo as Mesos's agent writes one: shell and value when set, argv, environment, and
// the URIs' value and executable.
void writeCommand(json::Writer& w, const v1::CommandInfo& command) {
  w.beginObject();
  if (command.has_shell()) {
    w.key("shell");
    w.value(command.shell());
  }
  if (command.has_value()) {
    w.key("value");
    w.value(command.value());
  }
  w.key("argv");
  w.beginArray();
  for (const auto& arg : command.arguments()) {
    w.value(arg);
  }
  w.endArray();
  if (command.has_environment()) {
    w.key("environment");
    writeJson(w, command.environment());
  }
  w.key("uris");
  w.beginArray();
  for (const auto& uri : command.uris()) {
    w.beginObject();
    w.key("value");
    w.value(uri.value());
    w.key("executable");
    w.value(uri.executable());
    w.endObject();
  }
  w.endArray();
  w.endObject();
}

// A task waiting for its executor, in Mesos's TaskInfo shape (not the Task one): id, name,
// slave_id, resources, role, and command, executor_id and discovery when the task has them.
void writeQueuedTask(json::Writer& w, const v1::TaskInfo& info) {
  w.beginObject();
  w.key("id");
  w.value(info.task_id().value());
  w.key("name");
  w.value(info.name());
  w.key("slave_id");
  w.value(info.agent_id().value());
  w.key("resources");
  writeResourcesModel(w, resourcesFromProto(info.resources()).value_or(Resources()));
  if (info.resources_size() > 0) {
    w.key("role");
    w.value(info.resources(0).allocation_info().role());
  }
  if (info.has_command()) {
    w.key("command");
    writeCommand(w, info.command());
  }
  if (info.has_executor()) {
    w.key("executor_id");
    w.value(info.executor().executor_id().value());
  }
  if (info.has_discovery()) {
    w.key("discovery");
    writeJson(w, info.discovery());
  }
  w.endObject();
}

// What Mesos's agent writes of an executor beside its id and sandbox: `source`, `resources`
// (what it holds: Executor::allocatedResources(), its own alone once it ended), and `role`,
// `labels` and `type` when it has them.
void writeExecutorDetails(json::Writer& w, const v1::ExecutorInfo& info, bool command_executor,
                          const Resources& resources) {
  w.key("source");  // deprecated in ExecutorInfo, still written; a command executor's is its task
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  w.value(info.has_source() ? info.source()
                            : (command_executor ? info.executor_id().value() : std::string()));
#pragma GCC diagnostic pop
  w.key("resources");
  writeResourcesModel(w, resources);
  if (info.resources_size() > 0) {
    w.key("role");
    w.value(info.resources(0).allocation_info().role());
  }
  if (info.has_labels()) {
    w.key("labels");
    w.beginArray();
    for (const auto& label : info.labels().labels()) {
      writeJson(w, label);
    }
    w.endArray();
  }
  if (info.has_type()) {
    w.key("type");
    w.value(v1::ExecutorInfo::Type_Name(info.type()));
  }
}

void writeCompletedExecutor(json::Writer& w, const CompletedExecutor& done,
                            const std::string& agent_id, const v1::FrameworkInfo& framework,
                            const auth::ViewFilter& view) {
  w.beginObject();
  w.key("id");
  w.value(done.info.executor_id().value());
  w.key("name");
  w.value(done.info.name());
  w.key("container");
  w.value(done.container_id);
  w.key("directory");
  w.value(done.directory);
  // A command executor (the agent's, named for its task) is known by its name here.
  writeExecutorDetails(w, done.info, done.info.name().starts_with("Command Executor (Task: "),
                       resourcesFromProto(done.info.resources()).value_or(Resources()));
  w.key("tasks");
  w.beginArray();
  w.endArray();
  w.key("queued_tasks");
  w.beginArray();
  w.endArray();
  w.key("completed_tasks");
  w.beginArray();
  for (const auto& task : done.tasks) {
    if (view.taskInfo(task.info, framework)) {
      writeTask(w, task.info, done.framework_id, done.info.executor_id().value(), agent_id,
                task.state, task.history);
    }
  }
  w.endArray();
  w.endObject();
}

// The agent's total, and as Mesos's agent shows it: what is reserved, by role (those the reader
// may view), and what is not.
void writeAgentResources(json::Writer& w, const Resources& resources,
                         const auth::ViewFilter& view) {
  w.key("resources");
  writeResourcesModel(w, resources);
  w.key("unreserved_resources");
  writeResourcesModel(w, resources.unreserved());
  w.key("reserved_resources");
  w.beginObject();
  std::map<std::string, Resources> by_role;
  for (const Resource& r : resources.reserved()) {
    by_role[r.role] += r;
  }
  for (const auto& [role, reserved] : by_role) {
    if (!view.role(role)) {
      continue;
    }
    w.key(role);
    writeResourcesModel(w, reserved);
  }
  w.endObject();
}

void writeFlags(json::Writer& w, const std::vector<std::pair<std::string, std::string>>& flags) {
  w.key("flags");
  w.beginObject();
  for (const auto& [name, value] : flags) {
    w.key(name);
    w.value(value);
  }
  w.endObject();
}

void writeExecutor(json::Writer& w, const std::string& fw_id, const std::string& ex_id,
                   const Executor& ex, const std::string& agent_id,
                   const v1::FrameworkInfo& framework, const auth::ViewFilter& view) {
  w.beginObject();
  w.key("id");
  w.value(ex_id);
  w.key("name");
  w.value(ex.info().name());
  w.key("framework_id");
  w.value(fw_id);
  w.key("container");
  w.value(ex.containerId());
  w.key("directory");
  w.value(ex.directory());
  w.key("pid");
  w.value(static_cast<int64_t>(ex.pid()));
  writeExecutorDetails(w, ex.info(), ex.commandExecutor(), ex.allocatedResources());
  w.key("tasks");
  w.beginArray();
  for (const auto& [task_id, task] : ex.launchedTasks()) {
    if (view.taskInfo(task, framework)) {
      writeTask(w, task, fw_id, ex_id, agent_id, ex.taskState(task_id, v1::TASK_STAGING),
                ex.history(task_id));
    }
  }
  w.endArray();
  w.key("queued_tasks");  // as Mesos's agent: alone or in a group, in the TaskInfo shape
  w.beginArray();
  for (const auto& [task_id, task] : ex.queuedTasks()) {
    if (view.taskInfo(task, framework)) {
      writeQueuedTask(w, task);
    }
  }
  for (const v1::TaskInfo* task : ex.queuedGroupTasks()) {
    if (view.taskInfo(*task, framework)) {
      writeQueuedTask(w, *task);
    }
  }
  w.endArray();
  w.key("completed_tasks");
  w.beginArray();
  for (const auto& task : ex.completedTasks()) {
    if (view.taskInfo(task.info, framework)) {
      writeTask(w, task.info, fw_id, ex_id, agent_id, task.state, task.history);
    }
  }
  w.endArray();
  w.endObject();
}

void writeCompletedExecutorsOf(json::Writer& w, const std::string& fw_id,
                               const v1::FrameworkInfo& framework,
                               const std::deque<CompletedExecutor>& completed,
                               const std::string& agent_id, const auth::ViewFilter& view) {
  w.key("completed_executors");
  w.beginArray();
  for (const auto& done : completed) {
    if (done.framework_id == fw_id && view.executor(done.info, framework)) {
      writeCompletedExecutor(w, done, agent_id, framework, view);
    }
  }
  w.endArray();
}

// As Mesos's agent: `roles` for a MULTI_ROLE framework, `role` for any other.
void writeAgentFrameworkRoles(json::Writer& w, const v1::FrameworkInfo& info) {
  for (const auto& capability : info.capabilities()) {
    if (capability.type() == v1::FrameworkInfo::Capability::MULTI_ROLE) {
      w.key("roles");
      w.beginArray();
      for (const auto& role : info.roles()) {
        w.value(role);
      }
      w.endArray();
      return;
    }
  }
  w.key("role");
  w.value(info.roles_size() > 0 ? info.roles(0) : info.role());
}

// What Mesos's agent writes of a framework, running or completed, before its executors.
void writeAgentFrameworkInfo(json::Writer& w, const std::string& fw_id,
                             const v1::FrameworkInfo& info) {
  w.key("id");
  w.value(fw_id);
  w.key("name");
  w.value(info.name());
  w.key("user");
  w.value(info.user());
  w.key("hostname");
  w.value(info.hostname());
  w.key("failover_timeout");
  w.value(info.failover_timeout());
  w.key("checkpoint");
  w.value(info.checkpoint());
  if (info.has_principal()) {
    w.key("principal");
    w.value(info.principal());
  }
  writeAgentFrameworkRoles(w, info);
}

void writeFramework(json::Writer& w, const std::string& fw_id, const Framework& fw,
                    const std::deque<CompletedExecutor>& completed, const std::string& agent_id,
                    const auth::ViewFilter& view) {
  w.beginObject();
  const v1::FrameworkInfo& info = fw.info();
  writeAgentFrameworkInfo(w, fw_id, info);
  w.key("executors");
  w.beginArray();
  for (const auto& [ex_id, ex] : fw.executors()) {
    if (view.executor(ex.info(), info)) {
      writeExecutor(w, fw_id, ex_id, ex, agent_id, info, view);
    }
  }
  w.endArray();
  writeCompletedExecutorsOf(w, fw_id, info, completed, agent_id, view);
  w.endObject();
}

void writeCompletedFramework(json::Writer& w, const v1::FrameworkInfo& fw,
                             const std::deque<CompletedExecutor>& completed,
                             const std::string& agent_id, const auth::ViewFilter& view) {
  w.beginObject();
  writeAgentFrameworkInfo(w, fw.id().value(), fw);
  w.key("executors");
  w.beginArray();
  w.endArray();
  writeCompletedExecutorsOf(w, fw.id().value(), fw, completed, agent_id, view);
  w.endObject();
}

}  // namespace

http::Response Agent::flagsJson() const {
  return http::Response::json(flags::flagsJson(flag_values_));
}

http::Response Agent::stateJson(const auth::ViewFilter& view) const {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("version");
  w.value(kVersion);
  w.key("build_date");  // as the master's /master/state: no build details
  w.value("");
  w.key("build_time");
  w.value(0);
  w.key("build_user");
  w.value("plateau");
  if (!flags_.log_dir.empty()) {
    w.key("log_dir");
    w.value(flags_.log_dir);
  }
  if (!flags_.external_log_file.empty()) {
    w.key("external_log_file");
    w.value(flags_.external_log_file);
  }
  w.key("id");
  w.value(info_.id().value());
  w.key("pid");
  w.value(fmt::format("slave(1)@{}:{}", flags_.address.advertisedIp(flags_.ip), info_.port()));
  w.key("hostname");
  w.value(info_.hostname());
  w.key("capabilities");  // as Mesos's agent: the names of what it can do
  w.beginArray();
  for (auto capability : kAgentCapabilities) {
    w.value(v1::AgentInfo::Capability::Type_Name(capability));
  }
  w.endArray();
  w.key("start_time");
  w.value(start_time_);
  w.key("master_hostname");
  w.value(master_link_.masterHostname());
  writeAgentResources(w, resources_, view);
  writeAttributesModel(w, info_);
  if (view.flags()) {
    writeFlags(w, flag_values_);
  }
  const std::string& agent_id = info_.id().value();
  w.key("frameworks");
  w.beginArray();
  for (const auto& [fw_id, fw] : book_.frameworks()) {
    if (view.framework(fw.info())) {
      writeFramework(w, fw_id, fw, book_.completedExecutors(), agent_id, view);
    }
  }
  w.endArray();
  w.key("completed_frameworks");
  w.beginArray();
  for (const auto& fw : book_.completedFrameworks()) {
    if (book_.framework(fw.id().value()) != nullptr || !view.framework(fw)) {
      continue;  // back with new executors: listed above; or not the reader's to see
    }
    writeCompletedFramework(w, fw, book_.completedExecutors(), agent_id, view);
  }
  w.endArray();
  if (images_) {  // beyond Mesos: the image store (images.cc)
    writeImages(w);
  }
  w.endObject();
  return http::Response::json(std::move(out));
}

namespace {

void setResourceGauges(std::array<Metrics::ResourceGauges, 4>& gauges, const Resources& total,
                       const Resources& used) {
  for (size_t i = 0; i < Metrics::kResources.size(); ++i) {
    double t = total.scalar(Metrics::kResources[i]);
    double u = used.scalar(Metrics::kResources[i]);
    gauges[i].total = t;
    gauges[i].used = u;
    gauges[i].percent = t > 0 ? u / t : 0.0;
  }
}

}  // namespace

void Agent::updateMetricGauges() {
  size_t executors = 0, running = 0, staging = 0, starting = 0, killing = 0;
  Resources used;
  for (const auto& [fw_id, fw] : book_.frameworks()) {
    executors += fw.executors().size();
    for (const auto& [ex_id, ex] : fw.executors()) {
      staging += ex.queuedTasks().size();
      if (auto r = resourcesFromProto(ex.info().resources()); r) {
        used += *r;
      }
      for (const auto& [task_id, task] : ex.launchedTasks()) {
        if (isTerminal(ex.taskState(task_id, v1::TASK_STAGING))) {
          continue;
        }
        if (auto r = resourcesFromProto(task.resources()); r) {
          used += *r;
        }
      }
      for (const auto& [task_id, task] : ex.queuedTasks()) {
        if (auto r = resourcesFromProto(task.resources()); r) {
          used += *r;
        }
      }
      for (const auto& [task_id, state] : ex.taskStates()) {
        running += state == v1::TASK_RUNNING ? 1 : 0;
        starting += state == v1::TASK_STARTING ? 1 : 0;
        killing += state == v1::TASK_KILLING ? 1 : 0;
      }
    }
  }
  Metrics& m = metrics_;
  m.registered = master_link_.registered() ? 1 : 0;
  m.uptime_secs = clock_.wallSeconds() - start_time_;
  m.frameworks_active = book_.frameworks().size();
  m.executors_running = executors;
  m.tasks_staging = staging;
  m.tasks_starting = starting;
  m.tasks_running = running;
  m.tasks_killing = killing;
  // As Mesos: revocable resources apart, their total the one last reported to the master.
  setResourceGauges(m.resources, resources_.nonRevocable(), used.nonRevocable());
  setResourceGauges(m.revocable, oversubscription_->lastReported().value_or(Resources()),
                    used.revocable());
  // The containerizer counts; the counter only catches up (it never goes down).
  if (uint64_t errors = containerizer_->destroyErrors();
      errors > m.container_destroy_errors.value()) {
    m.container_destroy_errors.inc(errors - m.container_destroy_errors.value());
  }
  m.fetcher_cache_total_bytes = flags_.fetcher_cache_bytes;
  m.fetcher_cache_used_bytes = fetcherCacheUsed();
  if (images_) {
    auto stats = images_->stats();
    m.image_pulls = static_cast<double>(stats.pulls);
    m.image_pull_failures = static_cast<double>(stats.pull_failures);
    m.image_cache_hits = static_cast<double>(stats.cache_hits + stats.pulls_joined);
    m.image_layers_stored = static_cast<double>(stats.layers_unpacked);
    m.image_bytes_pulled = static_cast<double>(stats.bytes_pulled);
  }
}

std::vector<std::pair<std::string, double>> Agent::metricsSnapshot() const {
  return metrics_.registry.snapshot();
}

http::Response Agent::metricsJson() const {
  return http::Response::json(metrics_.registry.snapshotJson());
}

}  // namespace plateau::agent
