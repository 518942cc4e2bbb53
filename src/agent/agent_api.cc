// POST /api/v1 on the agent: the v1 agent operator API (mesos.v1.agent.Call), in JSON or
// protobuf. Answers the read calls from the agent's books, serves sandbox files through the
// same confinement as /files, and answers 501 naming any call it does not serve.

#include <fmt/format.h>
#include <mesos/v1/agent/agent.pb.h>

#include "agent/agent.h"
#include "agent/containerizer/containerizer.h"
#include "agent/files.h"
#include "common/json_codec.h"
#include "common/operator_common.h"
#include "common/task_state.h"

namespace plateau::agent {

namespace agent_api = mesos::v1::agent;

namespace {

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

}  // namespace

void Agent::operatorApi(http::Request& request, http::Responder responder) {
  agent_api::Call call;
  auto accept = http::decodeOperatorCall(request, &call);
  if (!accept) {
    return responder.respond(std::move(accept.error()));
  }
  agent_api::Response response;
  auto frameworks = [&](agent_api::Response::GetFrameworks* out) {
    for (const auto& [fw_id, fw] : frameworks_) {
      *out->add_frameworks()->mutable_framework_info() = fw.info;
    }
    for (const auto& info : completed_frameworks_) {
      if (!frameworks_.contains(info.id().value())) {
        *out->add_completed_frameworks()->mutable_framework_info() = info;
      }
    }
  };
  auto executors = [&](agent_api::Response::GetExecutors* out) {
    for (const auto& [fw_id, fw] : frameworks_) {
      for (const auto& [ex_id, ex] : fw.executors) {
        *out->add_executors()->mutable_executor_info() = ex.info;
      }
    }
    for (const auto& done : completed_executors_) {
      *out->add_completed_executors()->mutable_executor_info() = done.info;
    }
  };
  auto tasks = [&](agent_api::Response::GetTasks* out) {
    for (const auto& [fw_id, fw] : frameworks_) {
      for (const auto& [ex_id, ex] : fw.executors) {
        for (const auto& [task_id, task] : ex.queued_tasks) {
          *out->add_queued_tasks() = taskOf(task, fw_id, ex_id, info_.id(), v1::TASK_STAGING);
        }
        for (const auto& [task, state] : ex.completed_tasks) {
          *out->add_completed_tasks() = taskOf(task, fw_id, ex_id, info_.id(), state);
        }
        for (const auto& [task_id, task] : ex.launched_tasks) {
          auto it = ex.task_states.find(task_id);
          v1::TaskState state = it == ex.task_states.end() ? v1::TASK_STAGING : it->second;
          if (isTerminal(state)) {
            // Terminal here but the executor still runs: updates may be pending.
            *out->add_terminated_tasks() = taskOf(task, fw_id, ex_id, info_.id(), state);
          } else {
            *out->add_launched_tasks() = taskOf(task, fw_id, ex_id, info_.id(), state);
          }
        }
      }
    }
    for (const auto& done : completed_executors_) {
      for (const auto& [task, state] : done.tasks) {
        *out->add_completed_tasks() =
            taskOf(task, done.framework_id, done.info.executor_id().value(), info_.id(), state);
      }
    }
  };
  if (answerCommonCall(
          call, &response, flag_values_, [this] { return metricsSnapshot(); },
          logging_level_.level())) {
    return responder.respond(http::messageResponse(response, *accept));
  }
  switch (call.type()) {
    case agent_api::Call::SET_LOGGING_LEVEL: {
      if (!call.has_set_logging_level()) {
        return responder.respond(
            http::Response::text(400, "Expecting 'set_logging_level' to be present"));
      }
      const auto& set = call.set_logging_level();
      logging_level_.set(set.level(), std::chrono::nanoseconds(set.duration().nanoseconds()));
      return responder.respond(http::Response{.status = 200, .headers = {}, .body = {}});
    }
    case agent_api::Call::LIST_FILES: {
      if (!call.has_list_files()) {
        return responder.respond(http::Response::text(400, "Expecting 'list_files' to be present"));
      }
      auto files = listFiles(call.list_files().path(), sandboxes());
      if (!files) {
        return responder.respond(http::errorResponse(files.error()));
      }
      response.set_type(agent_api::Response::LIST_FILES);
      for (const auto& entry : *files) {
        auto* info = response.mutable_list_files()->add_file_infos();
        info->set_path(entry.path);
        info->set_nlink(static_cast<int32_t>(entry.nlink));
        info->set_size(entry.size);
        info->mutable_mtime()->set_nanoseconds(entry.mtime * 1000000000);
        info->set_mode(entry.mode);
        info->set_uid(entry.uid);
        info->set_gid(entry.gid);
      }
      break;
    }
    case agent_api::Call::READ_FILE: {
      if (!call.has_read_file()) {
        return responder.respond(http::Response::text(400, "Expecting 'read_file' to be present"));
      }
      const auto& read = call.read_file();
      auto data = readFile(
          read.path(), read.offset(),
          read.has_length() ? std::optional<uint64_t>(read.length()) : std::nullopt, sandboxes());
      if (!data) {
        return responder.respond(http::errorResponse(data.error()));
      }
      response.set_type(agent_api::Response::READ_FILE);
      response.mutable_read_file()->set_size(data->size);
      response.mutable_read_file()->set_data(std::move(data->data));
      break;
    }
    case agent_api::Call::GET_STATE: {
      response.set_type(agent_api::Response::GET_STATE);
      auto* state = response.mutable_get_state();
      tasks(state->mutable_get_tasks());
      executors(state->mutable_get_executors());
      frameworks(state->mutable_get_frameworks());
      break;
    }
    case agent_api::Call::GET_CONTAINERS:
      response.set_type(agent_api::Response::GET_CONTAINERS);
      for (const auto& [fw_id, fw] : frameworks_) {
        for (const auto& [ex_id, ex] : fw.executors) {
          if (ex.container_id.empty()) {
            continue;
          }
          auto* container = response.mutable_get_containers()->add_containers();
          container->mutable_framework_id()->set_value(fw_id);
          container->mutable_executor_id()->set_value(ex_id);
          container->set_executor_name(ex.info.name());
          container->mutable_container_id()->set_value(ex.container_id);
          auto* status = container->mutable_container_status();
          status->mutable_container_id()->set_value(ex.container_id);
          if (ex.pid > 0) {
            status->set_executor_pid(static_cast<uint32_t>(ex.pid));
          }
          // The same sample /monitor/statistics shows; names the proto lacks are dropped.
          json::Value stats = containerizer_->usage(ex.container_id);
          if (!stats.isNull() &&
              !fromJson(stats, container->mutable_resource_statistics()).isOk()) {
            container->clear_resource_statistics();
          }
        }
      }
      break;
    case agent_api::Call::GET_FRAMEWORKS:
      response.set_type(agent_api::Response::GET_FRAMEWORKS);
      frameworks(response.mutable_get_frameworks());
      break;
    case agent_api::Call::GET_EXECUTORS:
      response.set_type(agent_api::Response::GET_EXECUTORS);
      executors(response.mutable_get_executors());
      break;
    case agent_api::Call::GET_TASKS:
      response.set_type(agent_api::Response::GET_TASKS);
      tasks(response.mutable_get_tasks());
      break;
    case agent_api::Call::GET_AGENT:
      response.set_type(agent_api::Response::GET_AGENT);
      *response.mutable_get_agent()->mutable_agent_info() = info_;
      break;
    default:
      return responder.respond(
          http::Response::text(501, fmt::format("Agent call '{}' is not implemented yet",
                                                agent_api::Call::Type_Name(call.type()))));
  }
  responder.respond(http::messageResponse(response, *accept));
}

}  // namespace plateau::agent
