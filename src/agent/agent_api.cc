// POST /api/v1 on the agent: the v1 agent operator API (mesos.v1.agent.Call), in JSON or
// protobuf. A routing table: each call type has its own handler below, which answers from the
// agent's books, serves sandbox files through the same confinement as /files, or answers 501
// naming a call the agent does not serve.

#include <fmt/format.h>
#include <mesos/v1/agent/agent.pb.h>

#include "agent/agent.h"
#include "agent/containerizer/containerizer.h"
#include "agent/nested_containers.h"
#include "common/json_codec.h"
#include "common/operator_common.h"
#include "common/task_state.h"
#include "endpoints/files_calls.h"

namespace plateau::agent {

namespace {

using Frameworks = std::unordered_map<std::string, Framework>;  // ExecutorBook::frameworks()

v1::Task taskOf(const v1::TaskInfo& info, const std::string& framework_id,
                const std::string& executor_id, const v1::AgentID& agent_id, v1::TaskState state) {
  v1::Task task;
  task.set_name(info.name());
  *task.mutable_task_id() = info.task_id();
  task.mutable_framework_id()->set_value(framework_id);
  task.mutable_executor_id()->set_value(executor_id);
  *task.mutable_agent_id() = agent_id;
  task.set_state(state);
  *task.mutable_resources() = info.resources();
  return task;
}

void addFrameworks(const Frameworks& frameworks, const std::deque<v1::FrameworkInfo>& completed,
                   agent_api::Response::GetFrameworks* out) {
  for (const auto& [fw_id, fw] : frameworks) {
    *out->add_frameworks()->mutable_framework_info() = fw.info();
  }
  for (const auto& info : completed) {
    if (!frameworks.contains(info.id().value())) {
      *out->add_completed_frameworks()->mutable_framework_info() = info;
    }
  }
}

void addExecutors(const Frameworks& frameworks, const std::deque<CompletedExecutor>& completed,
                  agent_api::Response::GetExecutors* out) {
  for (const auto& [fw_id, fw] : frameworks) {
    for (const auto& [ex_id, ex] : fw.executors()) {
      *out->add_executors()->mutable_executor_info() = ex.info();
    }
  }
  for (const auto& done : completed) {
    *out->add_completed_executors()->mutable_executor_info() = done.info;
  }
}

void addExecutorTasks(const std::string& fw_id, const std::string& ex_id, const Executor& ex,
                      const v1::AgentID& agent_id, agent_api::Response::GetTasks* out) {
  for (const auto& [task_id, task] : ex.queuedTasks()) {
    *out->add_queued_tasks() = taskOf(task, fw_id, ex_id, agent_id, v1::TASK_STAGING);
  }
  for (const auto& [task, state] : ex.completedTasks()) {
    *out->add_completed_tasks() = taskOf(task, fw_id, ex_id, agent_id, state);
  }
  for (const auto& [task_id, task] : ex.launchedTasks()) {
    v1::TaskState state = ex.taskState(task_id, v1::TASK_STAGING);
    if (isTerminal(state)) {
      // Terminal here but the executor still runs: updates may be pending.
      *out->add_terminated_tasks() = taskOf(task, fw_id, ex_id, agent_id, state);
    } else {
      *out->add_launched_tasks() = taskOf(task, fw_id, ex_id, agent_id, state);
    }
  }
}

void addTasks(const Frameworks& frameworks, const std::deque<CompletedExecutor>& completed,
              const v1::AgentID& agent_id, agent_api::Response::GetTasks* out) {
  for (const auto& [fw_id, fw] : frameworks) {
    for (const auto& [ex_id, ex] : fw.executors()) {
      addExecutorTasks(fw_id, ex_id, ex, agent_id, out);
    }
  }
  for (const auto& done : completed) {
    for (const auto& [task, state] : done.tasks) {
      *out->add_completed_tasks() =
          taskOf(task, done.framework_id, done.info.executor_id().value(), agent_id, state);
    }
  }
}

http::Response missingField(const char* field) {
  return http::Response::text(400, fmt::format("Expecting '{}' to be present", field));
}

}  // namespace

void Agent::operatorApi(http::Request& request, http::Responder responder) {
  agent_api::Call call;
  auto accept = acceptOperatorCall(request, &call, responder);
  if (!accept) {
    return;
  }
  if (call.type() == agent_api::Call::PRUNE_IMAGES) {
    return pruneImagesCall(call, std::move(responder));  // images.cc: answered when done
  }
  if (nestedCall(call, *accept, responder)) {
    return;
  }
  responder.respond(answerOperatorCall(call, accept->message));
}

http::Response Agent::answerOperatorCall(const agent_api::Call& call, http::ContentType accept) {
  agent_api::Response response;
  if (answerCommonCall(
          call, &response, flag_values_, [this] { return metricsSnapshot(); },
          logging_level_.level())) {
    return http::messageResponse(response, accept);
  }
  switch (call.type()) {
    case agent_api::Call::SET_LOGGING_LEVEL:
      return setLoggingLevelCall(call);
    case agent_api::Call::LIST_FILES:
    case agent_api::Call::READ_FILE:
      return *files::answerFilesCall<agent_api::Call, agent_api::Response>(call, sandboxes(),
                                                                           accept);
    case agent_api::Call::GET_STATE:
      return getStateCall(accept);
    case agent_api::Call::GET_CONTAINERS:
      return getContainersCall(accept);
    case agent_api::Call::GET_FRAMEWORKS:
      return getFrameworksCall(accept);
    case agent_api::Call::GET_EXECUTORS:
      return getExecutorsCall(accept);
    case agent_api::Call::GET_TASKS:
      return getTasksCall(accept);
    case agent_api::Call::GET_AGENT:
      return getAgentCall(accept);
    default:
      return http::Response::text(501, fmt::format("Agent call '{}' is not implemented yet",
                                                   agent_api::Call::Type_Name(call.type())));
  }
}

http::Response Agent::setLoggingLevelCall(const agent_api::Call& call) {
  if (!call.has_set_logging_level()) {
    return missingField("set_logging_level");
  }
  const auto& set = call.set_logging_level();
  logging_level_.set(set.level(), std::chrono::nanoseconds(set.duration().nanoseconds()));
  return http::Response{.status = 200, .headers = {}, .body = {}};
}

http::Response Agent::getStateCall(http::ContentType accept) const {
  agent_api::Response response;
  response.set_type(agent_api::Response::GET_STATE);
  auto* state = response.mutable_get_state();
  addTasks(book_.frameworks(), book_.completedExecutors(), info_.id(), state->mutable_get_tasks());
  addExecutors(book_.frameworks(), book_.completedExecutors(), state->mutable_get_executors());
  addFrameworks(book_.frameworks(), book_.completedFrameworks(), state->mutable_get_frameworks());
  return http::messageResponse(response, accept);
}

agent_api::Response Agent::containers() {
  agent_api::Response response;
  response.set_type(agent_api::Response::GET_CONTAINERS);
  for (const auto& [fw_id, fw] : book_.frameworks()) {
    for (const auto& [ex_id, ex] : fw.executors()) {
      if (ex.containerId().empty()) {
        continue;
      }
      auto* container = response.mutable_get_containers()->add_containers();
      container->mutable_framework_id()->set_value(fw_id);
      container->mutable_executor_id()->set_value(ex_id);
      container->set_executor_name(ex.info().name());
      container->mutable_container_id()->set_value(ex.containerId());
      auto* status = container->mutable_container_status();
      status->mutable_container_id()->set_value(ex.containerId());
      if (ex.pid() > 0) {
        status->set_executor_pid(static_cast<uint32_t>(ex.pid()));
      }
      // The same sample /monitor/statistics shows; names the proto lacks are dropped.
      json::Value stats = containerizer_->usage(ex.containerId());
      if (!stats.isNull() && !fromJson(stats, container->mutable_resource_statistics()).isOk()) {
        container->clear_resource_statistics();
      }
    }
  }
  return response;
}

http::Response Agent::getContainersCall(http::ContentType accept) {
  return http::messageResponse(containers(), accept);
}

// Mesos's /containers: one object per container, with its ids, status and statistics.
http::Response Agent::containersJson() {
  std::string out;
  json::Writer w(&out);
  const agent_api::Response listed = containers();
  w.beginArray();
  for (const auto& c : listed.get_containers().containers()) {
    w.beginObject();
    w.key("container_id");
    w.value(c.container_id().value());
    w.key("executor_id");
    w.value(c.executor_id().value());
    w.key("executor_name");
    w.value(c.executor_name());
    w.key("framework_id");
    w.value(c.framework_id().value());
    w.key("source");
    w.value("");
    w.key("container_status");
    writeJson(w, c.container_status());
    w.key("statistics");
    if (c.has_resource_statistics() && c.resource_statistics().IsInitialized()) {
      writeJson(w, c.resource_statistics());
    } else {
      w.beginObject();
      w.endObject();
    }
    w.endObject();
  }
  w.endArray();
  return http::Response::json(std::move(out));
}

http::Response Agent::getFrameworksCall(http::ContentType accept) const {
  agent_api::Response response;
  response.set_type(agent_api::Response::GET_FRAMEWORKS);
  addFrameworks(book_.frameworks(), book_.completedFrameworks(), response.mutable_get_frameworks());
  return http::messageResponse(response, accept);
}

http::Response Agent::getExecutorsCall(http::ContentType accept) const {
  agent_api::Response response;
  response.set_type(agent_api::Response::GET_EXECUTORS);
  addExecutors(book_.frameworks(), book_.completedExecutors(), response.mutable_get_executors());
  return http::messageResponse(response, accept);
}

http::Response Agent::getTasksCall(http::ContentType accept) const {
  agent_api::Response response;
  response.set_type(agent_api::Response::GET_TASKS);
  addTasks(book_.frameworks(), book_.completedExecutors(), info_.id(),
           response.mutable_get_tasks());
  return http::messageResponse(response, accept);
}

http::Response Agent::getAgentCall(http::ContentType accept) const {
  agent_api::Response response;
  response.set_type(agent_api::Response::GET_AGENT);
  *response.mutable_get_agent()->mutable_agent_info() = info_;
  return http::messageResponse(response, accept);
}

}  // namespace plateau::agent
