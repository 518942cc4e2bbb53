#include "cli/ops.h"
#include "cli/credentials.h"

#include <cstdio>
#include <thread>

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "cli/lists.h"
#include "cli/time_text.h"
#include "cli/tls_options.h"
#include "common/json.h"
#include "common/json_codec.h"
#include "http/content.h"

namespace plateau::cli {

using namespace std::chrono_literals;
namespace operator_api = mesos::v1::master;

// One operator call; the decoded response, or an error message already worded for the user.
Result<http::Response> postOperatorCall(const std::string& master, const operator_api::Call& call) {
  auto endpoint = leadingMaster(master);
  if (!endpoint) {
    return std::unexpected(endpoint.error());
  }
  auto r =
      fetch(*endpoint,
            {.method = "POST",
             .path = "/api/v1",
             .headers = {{"content-type", http::kJsonMediaType}, {"accept", http::kJsonMediaType}},
             .body = toJson(call)},
            10s);
  if (!r) {
    return unavailable(connectionFailure("the master", endpoint->toString(), r.error().message()));
  }
  return *r;
}

Result<operator_api::Response> operatorCall(const std::string& master,
                                            const operator_api::Call& call) {
  auto r = postOperatorCall(master, call);
  if (!r) {
    return std::unexpected(r.error());
  }
  if (r->status != 200 && r->status != 202) {
    return invalidArgument(fmt::format("the master answered HTTP {}: {}", r->status, r->body));
  }
  operator_api::Response response;
  if (!r->body.empty()) {
    if (Status s = fromJson(r->body, &response); !s.isOk()) {
      return internalError(fmt::format("unreadable answer from the master: {}", s.message()));
    }
  }
  return response;
}

namespace {

int fail(const Status& status) {
  fmt::print(stderr, "Error: {}\n", status.message());
  return 1;
}

Result<json::Value> getJson(const http::Endpoint& endpoint, const std::string& path) {
  auto r = fetch(endpoint, {.method = "GET", .path = path}, 10s);
  if (!r) {
    return unavailable(connectionFailure("the server", endpoint.toString(), r.error().message()));
  }
  if (r->status != 200) {
    return unavailable(
        fmt::format("{}{} answered HTTP {}: {}", endpoint.toString(), path, r->status, r->body));
  }
  return json::parse(r->body);
}

// The agent's address: its pid (slave(1)@ip:port) names where it serves; its hostname may not
// resolve from here.
http::Endpoint agentEndpoint(const json::Value& agent) {
  http::Endpoint endpoint{agent["hostname"].asString(),
                          static_cast<uint16_t>(agent["port"].asDouble())};
  if (std::string pid = agent["pid"].asString(); pid.find('@') != std::string::npos) {
    if (auto parsed = http::Endpoint::parse(pid.substr(pid.find('@') + 1), endpoint.port); parsed) {
      endpoint = *parsed;
    }
  }
  return endpoint;
}

}  // namespace

int teardownFramework(const std::string& master, const std::string& framework_id) {
  operator_api::Call call;
  call.set_type(operator_api::Call::TEARDOWN);
  call.mutable_teardown()->mutable_framework_id()->set_value(framework_id);
  auto r = operatorCall(master, call);
  if (!r) {
    return fail(r.error());
  }
  fmt::print("Framework {} torn down\n", framework_id);
  return 0;
}

int weightsGet(const std::string& master, bool json) {
  operator_api::Call call;
  call.set_type(operator_api::Call::GET_WEIGHTS);
  auto r = operatorCall(master, call);
  if (!r) {
    return fail(r.error());
  }
  if (json) {
    fmt::print("{}\n", toJson(r->get_weights()));
    return 0;
  }
  fmt::print("ROLE  WEIGHT\n");
  for (const auto& w : r->get_weights().weight_infos()) {
    fmt::print("{}  {}\n", w.role(), w.weight());
  }
  return 0;
}

int weightsSet(const std::string& master, const std::string& role, double weight) {
  operator_api::Call call;
  call.set_type(operator_api::Call::UPDATE_WEIGHTS);
  auto* info = call.mutable_update_weights()->add_weight_infos();
  info->set_role(role);
  info->set_weight(weight);
  auto r = operatorCall(master, call);
  if (!r) {
    return fail(r.error());
  }
  fmt::print("Role {} now has weight {}\n", role, weight);
  return 0;
}

Result<TaskPlace> locateTask(const std::string& master, const std::string& task_id) {
  auto endpoint = leadingMaster(master);
  if (!endpoint) {
    return std::unexpected(endpoint.error());
  }
  auto state = getJson(*endpoint, "/master/state");
  if (!state) {
    return std::unexpected(state.error());
  }
  for (const char* group : {"frameworks", "completed_frameworks"}) {
    for (const auto& f : (*state)[group].asArray()) {
      for (const char* list : {"tasks", "completed_tasks"}) {
        for (const auto& t : f[list].asArray()) {
          if (t["id"].asString() != task_id) continue;
          for (const auto& a : (*state)["slaves"].asArray()) {
            if (a["id"].asString() == t["slave_id"].asString()) {
              return TaskPlace{
                  t, agentEndpoint(a),
                  t["executor_id"].asString().empty() ? task_id : t["executor_id"].asString()};
            }
          }
          return notFound(fmt::format("task '{}' ran on agent {} which is no longer known", task_id,
                                      t["slave_id"].asString()));
        }
      }
    }
  }
  return notFound(
      fmt::format("no task '{}' on the master: list them with `plateau task list`", task_id));
}

int taskLog(const std::string& master, const std::string& task_id, bool stderr_file, bool follow) {
  auto found = locateTask(master, task_id);
  if (!found) {
    return fail(found.error());
  }
  const json::Value& task = found->task;
  const http::Endpoint& agent_endpoint = found->agent;
  const std::string& executor = found->executor_id;
  std::string path =
      fmt::format("/frameworks/{}/executors/{}/runs/latest/{}", task["framework_id"].asString(),
                  executor, stderr_file ? "stderr" : "stdout");
  uint64_t offset = 0;
  while (true) {
    auto page = getJson(agent_endpoint, fmt::format("/files/read?path={}&offset={}&length=65536",
                                                    http::urlEncode(path), offset));
    if (!page) {
      if (offset == 0 && task["state"].asString() != "TASK_RUNNING") {
        return fail(Status(StatusCode::kNotFound,
                           fmt::format("task '{}' is {}: its sandbox is no longer on the agent "
                                       "({})",
                                       task_id, task["state"].asString(), page.error().message())));
      }
      return fail(page.error());
    }
    std::string data = (*page)["data"].asString();
    fmt::print("{}", data);
    std::fflush(stdout);
    offset += data.size();
    if (!data.empty()) {
      continue;
    }
    if (!follow) {
      return 0;
    }
    auto now = locateTask(master, task_id);
    if (!now) {
      return fail(now.error());
    }
    std::string state = now->task["state"].asString();
    if (state != "TASK_RUNNING" && state != "TASK_STAGING" && state != "TASK_STARTING" &&
        state != "TASK_KILLING") {
      return 0;
    }
    std::this_thread::sleep_for(500ms);  // polling a log being written, as `tail -f` does
  }
}

int clusterStatus(const std::string& master) {
  auto endpoint = leadingMaster(master);
  if (!endpoint) {
    return fail(endpoint.error());
  }
  auto metrics = getJson(*endpoint, "/metrics/snapshot");
  auto state = getJson(*endpoint, "/master/state");
  if (!metrics || !state) {
    return fail(!metrics ? metrics.error() : state.error());
  }
  auto m = [&](const char* key) { return (*metrics)[key].asDouble(); };
  std::string since;
  if (const json::Value* start = state->find("start_time"); start != nullptr && start->isNumber()) {
    since = ", started " + whenText(start->asDouble(), nowSeconds());
  }
  fmt::print("leader      {} ({}){}\n", (*state)["leader"].asString(),
             (*state)["version"].asString(), since);
  fmt::print("agents      {:g} active, {:g} inactive\n", m("master/slaves_active"),
             m("master/slaves_inactive"));
  fmt::print("frameworks  {:g} active, {:g} inactive\n", m("master/frameworks_active"),
             m("master/frameworks_inactive"));
  fmt::print("tasks       {:g} running, {:g} staging, {:g} finished, {:g} failed, {:g} lost\n",
             m("master/tasks_running"), m("master/tasks_staging"), m("master/tasks_finished"),
             m("master/tasks_failed"), m("master/tasks_lost"));
  fmt::print("cpus        {:g} of {:g} used\n", m("master/cpus_used"), m("master/cpus_total"));
  fmt::print("mem         {:g} of {:g} MB used\n", m("master/mem_used"), m("master/mem_total"));
  return 0;
}

}  // namespace plateau::cli
