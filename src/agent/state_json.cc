// The agent's read-only JSON endpoints: /state and /metrics/snapshot, in Mesos's shapes.

#include <fmt/format.h>

#include "agent/agent.h"
#include "common/json.h"
#include "common/json_codec.h"
#include "common/resources_json.h"
#include "common/version.h"

namespace plateau::agent {

namespace {

void writeTask(json::Writer& w, const v1::TaskInfo& task, const std::string& fw_id,
               const std::string& ex_id, const std::string& agent_id, v1::TaskState state) {
  w.beginObject();
  w.key("id"); w.value(task.task_id().value());
  w.key("name"); w.value(task.name());
  w.key("framework_id"); w.value(fw_id);
  w.key("executor_id"); w.value(ex_id);
  w.key("slave_id"); w.value(agent_id);
  w.key("state"); w.value(v1::TaskState_Name(state));
  w.endObject();
}

}  // namespace

http::Response Agent::stateJson() const {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("version"); w.value(kVersion);
  w.key("id"); w.value(info_.id().value());
  w.key("pid"); w.value(fmt::format("slave(1)@{}:{}", flags_.ip, info_.port()));
  w.key("hostname"); w.value(info_.hostname());
  w.key("start_time"); w.value(start_time_);
  w.key("master_hostname"); w.value(master_hostname_);
  w.key("resources"); writeResourcesModel(w, resources_);
  // As Mesos's agent: what is reserved, by role, and what is not.
  w.key("unreserved_resources"); writeResourcesModel(w, resources_.unreserved());
  w.key("reserved_resources");
  w.beginObject();
  {
    std::map<std::string, Resources> by_role;
    for (const Resource& r : resources_.reserved()) {
      by_role[r.role] += r;
    }
    for (const auto& [role, reserved] : by_role) {
      w.key(role);
      writeResourcesModel(w, reserved);
    }
  }
  w.endObject();
  w.key("attributes");
  w.beginObject();
  for (const auto& a : info_.attributes()) {
    w.key(a.name());
    if (a.type() == v1::Value::SCALAR) {
      w.value(a.scalar().value());
    } else {
      w.value(a.text().value());
    }
  }
  w.endObject();
  w.key("flags");
  w.beginObject();
  for (const auto& [name, value] : flag_values_) {
    w.key(name);
    w.value(value);
  }
  w.endObject();
  w.key("frameworks");
  w.beginArray();
  for (const auto& [fw_id, fw] : frameworks_) {
    w.beginObject();
    w.key("id"); w.value(fw_id);
    w.key("name"); w.value(fw.info.name());
    w.key("user"); w.value(fw.info.user());
    w.key("executors");
    w.beginArray();
    for (const auto& [ex_id, ex] : fw.executors) {
      w.beginObject();
      w.key("id"); w.value(ex_id);
      w.key("name"); w.value(ex.info.name());
      w.key("container"); w.value(ex.container_id);
      w.key("directory"); w.value(ex.directory);
      w.key("pid"); w.value(static_cast<int64_t>(ex.pid));
      w.key("tasks");
      w.beginArray();
      for (const auto& [task_id, task] : ex.launched_tasks) {
        auto state = ex.task_states.find(task_id);
        writeTask(w, task, fw_id, ex_id, info_.id().value(),
                  state == ex.task_states.end() ? v1::TASK_STAGING : state->second);
      }
      w.endArray();
      w.key("queued_tasks");
      w.beginArray();
      for (const auto& [task_id, task] : ex.queued_tasks) {
        writeTask(w, task, fw_id, ex_id, info_.id().value(), v1::TASK_STAGING);
      }
      w.endArray();
      w.key("completed_tasks");
      w.beginArray();
      w.endArray();
      w.endObject();
    }
    w.endArray();
    w.key("completed_executors");
    w.beginArray();
    w.endArray();
    w.endObject();
  }
  w.endArray();
  w.key("completed_frameworks");
  w.beginArray();
  w.endArray();
  w.endObject();
  return http::Response::json(std::move(out));
}

http::Response Agent::metricsJson() const {
  size_t executors = 0, running = 0, staging = 0;
  for (const auto& [fw_id, fw] : frameworks_) {
    executors += fw.executors.size();
    for (const auto& [ex_id, ex] : fw.executors) {
      staging += ex.queued_tasks.size();
      for (const auto& [task_id, state] : ex.task_states) {
        running += state == v1::TASK_RUNNING ? 1 : 0;
      }
    }
  }
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  auto metric = [&](const char* name, double value) {
    w.key(name);
    w.value(value);
  };
  metric("slave/registered", registered_ ? 1 : 0);
  metric("slave/uptime_secs",
         std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                 .count() -
             start_time_);
  metric("slave/frameworks_active", frameworks_.size());
  metric("slave/executors_running", executors);
  metric("slave/executors_terminated", executors_terminated_);
  metric("slave/tasks_staging", staging);
  metric("slave/tasks_running", running);
  metric("slave/tasks_finished", tasks_finished_);
  metric("slave/tasks_failed", tasks_failed_);
  metric("slave/tasks_killed", tasks_killed_);
  metric("slave/tasks_lost", tasks_lost_);
  metric("slave/valid_status_updates", valid_status_updates_);
  metric("slave/invalid_status_updates", invalid_status_updates_);
  for (const char* name : {"cpus", "mem", "disk", "gpus"}) {
    w.key(fmt::format("slave/{}_total", name));
    w.value(resources_.scalar(name));
  }
  w.endObject();
  return http::Response::json(std::move(out));
}

}  // namespace plateau::agent
