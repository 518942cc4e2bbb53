#include "common/task_json.h"

#include "common/json_codec.h"
#include "common/resources_json.h"
#include "common/resources_proto.h"

namespace plateau {

void writeTask(json::Writer& w, const mesos::v1::Task& task, const std::string& role) {
  w.beginObject();
  w.key("id");
  w.value(task.task_id().value());
  w.key("name");
  w.value(task.name());
  w.key("framework_id");
  w.value(task.framework_id().value());
  w.key("executor_id");
  w.value(task.executor_id().value());
  w.key("slave_id");
  w.value(task.agent_id().value());
  w.key("agent_id");
  w.value(task.agent_id().value());
  w.key("state");
  w.value(mesos::v1::TaskState_Name(task.state()));
  if (!role.empty()) {
    w.key("role");
    w.value(role);
  }
  auto resources = resourcesFromProto(task.resources());
  w.key("resources");
  writeResourcesModel(w, resources ? *resources : Resources());
  if (task.has_user()) {
    w.key("user");
    w.value(task.user());
  }
  w.key("statuses");
  w.beginArray();
  for (const auto& status : task.statuses()) {
    w.beginObject();
    w.key("state");
    w.value(mesos::v1::TaskState_Name(status.state()));
    w.key("timestamp");
    w.value(status.timestamp());
    if (status.has_labels()) {
      w.key("labels");
      w.beginArray();
      for (const auto& label : status.labels().labels()) {
        writeJson(w, label);
      }
      w.endArray();
    }
    if (status.has_healthy()) {
      w.key("healthy");
      w.value(status.healthy());
    }
    if (status.has_container_status()) {
      w.key("container_status");  // the task's container, where `task exec` tools nest theirs
      writeJson(w, status.container_status());
    }
    w.endObject();
  }
  w.endArray();
  if (task.has_labels()) {
    w.key("labels");
    w.beginArray();
    for (const auto& label : task.labels().labels()) {
      writeJson(w, label);
    }
    w.endArray();
  }
  if (task.has_discovery()) {
    w.key("discovery");
    writeJson(w, task.discovery());
  }
  if (task.has_container()) {
    w.key("container");
    writeJson(w, task.container());
  }
  if (task.has_health_check()) {
    w.key("health_check");
    writeJson(w, task.health_check());
  }
  w.endObject();
}

mesos::v1::Task taskOf(const mesos::v1::TaskInfo& info, const std::string& framework_id,
                       const std::string& executor_id, mesos::v1::TaskState state) {
  mesos::v1::Task task;
  task.set_name(info.name());
  *task.mutable_task_id() = info.task_id();
  task.mutable_framework_id()->set_value(framework_id);
  if (!executor_id.empty()) {
    task.mutable_executor_id()->set_value(executor_id);
  }
  *task.mutable_agent_id() = info.agent_id();
  task.set_state(state);
  *task.mutable_resources() = info.resources();
  if (info.has_labels()) *task.mutable_labels() = info.labels();
  if (info.has_discovery()) *task.mutable_discovery() = info.discovery();
  if (info.has_container()) *task.mutable_container() = info.container();
  if (info.has_health_check()) *task.mutable_health_check() = info.health_check();
  return task;
}

}  // namespace plateau
