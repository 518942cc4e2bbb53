// POST /api/v1 on the agent: the v1 agent operator API (mesos.v1.agent.Call), in JSON or
// protobuf. A routing table: each call type has its own handler below, which answers from the
// agent's books, serves sandbox files through the same confinement as /files, or answers 501
// naming a call the agent does not serve. The GET_* answers show what the caller may view
// (auth/view_filter.h), as the master's do.

#include <algorithm>
#include <iterator>

#include <fmt/format.h>
#include <mesos/v1/agent/agent.pb.h>

#include "agent/agent.h"
#include "agent/containerizer/containerizer.h"
#include "agent/nested_containers.h"
#include "auth/view_filter.h"
#include "common/json_codec.h"
#include "common/operator_common.h"
#include "common/task_json.h"
#include "common/task_state.h"
#include "endpoints/files_calls.h"

namespace plateau::agent {

namespace {

using auth::ViewFilter;

// The FrameworkInfo of a live framework, else of a completed one (a bounded list); an empty one
// (which only an ANY entry matches) when the agent forgot it.
const v1::FrameworkInfo& frameworkInfo(const ExecutorBook& book, const std::string& fw_id) {
  static const v1::FrameworkInfo kUnknown;
  if (const Framework* live = book.framework(fw_id)) {
    return live->info();
  }
  for (const auto& info : book.completedFrameworks()) {
    if (info.id().value() == fw_id) {
      return info;
    }
  }
  return kUnknown;
}

// A task as Mesos's agent answers it: the Task made from its info (common/task_json.h) with the
// updates it kept, and the state and uuid of the latest one forwarded to the master.
v1::Task agentTask(const v1::TaskInfo& info, const std::string& framework_id,
                   const std::string& executor_id, const v1::AgentID& agent_id, v1::TaskState state,
                   const TaskHistory& history) {
  v1::Task task = taskOf(info, framework_id, executor_id, state);
  *task.mutable_agent_id() = agent_id;
  for (const auto& status : history.statuses) {
    *task.add_statuses() = status;
  }
  if (history.forwarded_state) {
    task.set_status_update_state(*history.forwarded_state);
    task.set_status_update_uuid(history.forwarded_uuid);
  }
  return task;
}

void addFrameworks(const ExecutorBook& book, const ViewFilter& view,
                   agent_api::Response::GetFrameworks* out) {
  for (const auto& [fw_id, fw] : book.frameworks()) {
    if (view.framework(fw.info())) {
      *out->add_frameworks()->mutable_framework_info() = fw.info();
    }
  }
  for (const auto& info : book.completedFrameworks()) {
    if (!book.frameworks().contains(info.id().value()) && view.framework(info)) {
      *out->add_completed_frameworks()->mutable_framework_info() = info;
    }
  }
}

void addExecutors(const ExecutorBook& book, const ViewFilter& view,
                  agent_api::Response::GetExecutors* out) {
  for (const auto& [fw_id, fw] : book.frameworks()) {
    for (const auto& [ex_id, ex] : fw.executors()) {
      if (view.executor(ex.info(), fw.info())) {
        *out->add_executors()->mutable_executor_info() = ex.info();
      }
    }
  }
  for (const auto& done : book.completedExecutors()) {
    if (view.showsAll() || view.executor(done.info, frameworkInfo(book, done.framework_id))) {
      *out->add_completed_executors()->mutable_executor_info() = done.info;
    }
  }
}

void addExecutorTasks(const std::string& fw_id, const std::string& ex_id, const Executor& ex,
                      const v1::AgentID& agent_id, const v1::FrameworkInfo& framework,
                      const ViewFilter& view, agent_api::Response::GetTasks* out) {
  static const TaskHistory kQueued;  // nothing seen yet, as Mesos's agent answers them
  std::vector<const v1::TaskInfo*> queued;
  for (const auto& [task_id, task] : ex.queuedTasks()) {
    queued.push_back(&task);
  }
  std::ranges::copy(ex.queuedGroupTasks(), std::back_inserter(queued));
  for (const v1::TaskInfo* task : queued) {
    if (view.taskInfo(*task, framework)) {
      *out->add_queued_tasks() =
          agentTask(*task, fw_id, ex_id, agent_id, v1::TASK_STAGING, kQueued);
    }
  }
  for (const auto& task : ex.completedTasks()) {
    if (view.taskInfo(task.info, framework)) {
      *out->add_completed_tasks() =
          agentTask(task.info, fw_id, ex_id, agent_id, task.state, task.history);
    }
  }
  for (const auto& [task_id, task] : ex.launchedTasks()) {
    if (!view.taskInfo(task, framework)) {
      continue;
    }
    v1::TaskState state = ex.taskState(task_id, v1::TASK_STAGING);
    // Terminal here but the executor still runs: updates may be pending.
    *(isTerminal(state) ? out->add_terminated_tasks() : out->add_launched_tasks()) =
        agentTask(task, fw_id, ex_id, agent_id, state, ex.history(task_id));
  }
}

void addTasks(const ExecutorBook& book, const v1::AgentID& agent_id, const ViewFilter& view,
              agent_api::Response::GetTasks* out) {
  for (const auto& [fw_id, fw] : book.frameworks()) {
    for (const auto& [ex_id, ex] : fw.executors()) {
      addExecutorTasks(fw_id, ex_id, ex, agent_id, fw.info(), view, out);
    }
  }
  for (const auto& done : book.completedExecutors()) {
    const v1::FrameworkInfo& framework = frameworkInfo(book, done.framework_id);
    for (const auto& task : done.tasks) {
      if (view.taskInfo(task.info, framework)) {
        *out->add_completed_tasks() =
            agentTask(task.info, done.framework_id, done.info.executor_id().value(), agent_id,
                      task.state, task.history);
      }
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
  if (auto refused = auth::forbidden(refuseOperatorCall(call, request.principal), request, *log_)) {
    return responder.respond(std::move(*refused));
  }
  if (call.type() == agent_api::Call::PRUNE_IMAGES) {
    return pruneImagesCall(call, std::move(responder));  // images.cc: answered when done
  }
  if (nestedCall(call, *accept, responder)) {
    return;
  }
  responder.respond(answerOperatorCall(call, accept->message, viewFilter(request.principal)));
}

http::Response Agent::answerOperatorCall(const agent_api::Call& call, http::ContentType accept,
                                         const auth::ViewFilter& view) {
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
      return getStateCall(accept, view);
    case agent_api::Call::GET_CONTAINERS: {
      agent_api::Response listed = containers(view, call.get_containers().show_nested(),
                                              call.get_containers().show_standalone());
      hideStandaloneContainers(view, &listed);
      return http::messageResponse(listed, accept);
    }
    case agent_api::Call::GET_FRAMEWORKS:
      return getFrameworksCall(accept, view);
    case agent_api::Call::GET_EXECUTORS:
      return getExecutorsCall(accept, view);
    case agent_api::Call::GET_TASKS:
      return getTasksCall(accept, view);
    case agent_api::Call::GET_AGENT:
      return getAgentCall(accept, view);
    default:
      if (auto answered = resourceProviderCall(call, accept, view)) {
        return std::move(*answered);
      }
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

http::Response Agent::getStateCall(http::ContentType accept, const auth::ViewFilter& view) const {
  agent_api::Response response;
  response.set_type(agent_api::Response::GET_STATE);
  auto* state = response.mutable_get_state();
  addTasks(book_, info_.id(), view, state->mutable_get_tasks());
  addExecutors(book_, view, state->mutable_get_executors());
  addFrameworks(book_, view, state->mutable_get_frameworks());
  return http::messageResponse(response, accept);
}

agent_api::Response Agent::containers(const auth::ViewFilter& view, bool show_nested,
                                      bool show_standalone) {
  agent_api::Response response;
  response.set_type(agent_api::Response::GET_CONTAINERS);
  for (const auto& [fw_id, fw] : book_.frameworks()) {
    for (const auto& [ex_id, ex] : fw.executors()) {
      if (ex.containerId().empty() || !view.container(ex.info(), fw.info())) {
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
    }
  }
  nested_->list(&response, show_nested, show_standalone);
  for (auto& container : *response.mutable_get_containers()->mutable_containers()) {
    if (container.container_id().has_parent()) {
      // It shares its parent's cgroups: as Mesos, it has no usage of its own to show.
      container.mutable_resource_statistics()->set_timestamp(clock_.wallSeconds());
      continue;
    }
    // The same sample /monitor/statistics shows; names the proto lacks are dropped.
    json::Value stats = containerizer_->usage(container.container_id().value());
    if (stats.isNull() || !fromJson(stats, container.mutable_resource_statistics()).isOk()) {
      container.clear_resource_statistics();
    }
  }
  return response;
}

// Mesos's /containers: one object per container, with its ids, status and statistics.
http::Response Agent::containersJson(const auth::ViewFilter& view) {
  std::string out;
  json::Writer w(&out);
  const agent_api::Response listed = containers(view, false, false);
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

http::Response Agent::getFrameworksCall(http::ContentType accept,
                                        const auth::ViewFilter& view) const {
  agent_api::Response response;
  response.set_type(agent_api::Response::GET_FRAMEWORKS);
  addFrameworks(book_, view, response.mutable_get_frameworks());
  return http::messageResponse(response, accept);
}

http::Response Agent::getExecutorsCall(http::ContentType accept,
                                       const auth::ViewFilter& view) const {
  agent_api::Response response;
  response.set_type(agent_api::Response::GET_EXECUTORS);
  addExecutors(book_, view, response.mutable_get_executors());
  return http::messageResponse(response, accept);
}

http::Response Agent::getTasksCall(http::ContentType accept, const auth::ViewFilter& view) const {
  agent_api::Response response;
  response.set_type(agent_api::Response::GET_TASKS);
  addTasks(book_, info_.id(), view, response.mutable_get_tasks());
  return http::messageResponse(response, accept);
}

http::Response Agent::getAgentCall(http::ContentType accept, const auth::ViewFilter& view) const {
  agent_api::Response response;
  response.set_type(agent_api::Response::GET_AGENT);
  *response.mutable_get_agent()->mutable_agent_info() = info_;
  // The reservations of roles the reader may not view are left out, as the master's GET_AGENTS
  // leaves them out of the same AgentInfo.
  auth::filterResources(view,
                        response.mutable_get_agent()->mutable_agent_info()->mutable_resources());
  return http::messageResponse(response, accept);
}

}  // namespace plateau::agent
