// The JSON conversations of Mesos's docs for a task group (LAUNCH_GROUP) and then the agent's
// operator API, sent as hand-written JSON over HTTP to a real cluster.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "docs_json_ops.h"
#include "harness.h"

namespace plateau::testing {
namespace {

TEST(DocsJsonOps, LaunchGroupThenTheAgentsOperatorCalls) {
  Cluster cluster;
  size_t a = cluster.addAgent("cpus:2;mem:1024;disk:512");
  auto agent_ep = cluster.agentEndpoint(a);
  JsonScheduler s(cluster.master());
  ASSERT_TRUE(s.subscribe(kMultiRoleSubscribe));
  const std::string fw = s.frameworkId();
  auto offer = s.offerWhere([](const json::Value&) { return true; });
  ASSERT_TRUE(offer);
  std::string agent = (*offer)["agent_id"]["value"].asString();
  std::string role = (*offer)["allocation_info"]["role"].asString();
  auto res = [&](double cpus, double mem) {
    return fmt::format(R"([{{"name": "cpus", "type": "SCALAR", "scalar": {{"value": {}}},
                             "allocation_info": {{"role": "{}"}}}},
                           {{"name": "mem", "type": "SCALAR", "scalar": {{"value": {}}},
                             "allocation_info": {{"role": "{}"}}}}])",
                       cpus, role, mem, role);
  };
  auto launched = s.post(fmt::format(R"({{
    "framework_id": {{"value": "{}"}},
    "type": "ACCEPT",
    "accept": {{
      "offer_ids": [{{"value": "{}"}}],
      "operations": [{{
        "type": "LAUNCH_GROUP",
        "launch_group": {{
          "executor": {{
            "type": "DEFAULT",
            "executor_id": {{"value": "docs-executor"}},
            "framework_id": {{"value": "{}"}},
            "resources": {}
          }},
          "task_group": {{"tasks": [{{
            "name": "docs-task",
            "task_id": {{"value": "docs-task"}},
            "agent_id": {{"value": "{}"}},
            "resources": {},
            "command": {{"value": "echo hello-docs > out.txt; sleep 60"}}
          }}]}}
        }}
      }}]
    }}
  }})",
                                     fw, (*offer)["id"]["value"].asString(), fw, res(0.1, 32),
                                     agent, res(0.5, 64)));
  ASSERT_EQ(launched.status, 202) << launched.body;
  std::optional<json::Value> running;
  while (auto update = s.next("UPDATE")) {
    const auto& status = (*update)["update"]["status"];
    ASSERT_TRUE(isString(status["state"], "TASK_STARTING") ||
                isString(status["state"], "TASK_RUNNING"))
        << json::stringify(*update);
    if (status.find("uuid") != nullptr) {
      EXPECT_EQ(s.post(fmt::format(R"({{"framework_id": {{"value": "{}"}}, "type": "ACKNOWLEDGE",
          "acknowledge": {{"agent_id": {{"value": "{}"}}, "task_id": {{"value": "docs-task"}},
                           "uuid": "{}"}}}})",
                                   fw, agent, status["uuid"].asString()))
                    .status,
                202);
    }
    if (isString(status["state"], "TASK_RUNNING")) {
      running = *update;
      break;
    }
  }
  ASSERT_TRUE(running);

  auto call = [&](const std::string& body) { return post(agent_ep, "/api/v1", body); };

  auto health = call(R"({"type": "GET_HEALTH"})");
  expectJson200(health, "GET_HEALTH");
  EXPECT_TRUE(isString(health.json["type"], "GET_HEALTH"));
  EXPECT_TRUE(health.json["get_health"]["healthy"].isBool() &&
              health.json["get_health"]["healthy"].asBool());

  auto flags = call(R"({"type": "GET_FLAGS"})");
  expectJson200(flags, "GET_FLAGS");
  ASSERT_GT(flags.json["get_flags"]["flags"].size(), 0u) << flags.body;
  EXPECT_TRUE(flags.json["get_flags"]["flags"][0]["name"].isString());
  EXPECT_TRUE(flags.json["get_flags"]["flags"][0]["value"].isString());

  auto version = call(R"({"type": "GET_VERSION"})");
  expectJson200(version, "GET_VERSION");
  const auto& vi = version.json["get_version"]["version_info"];
  EXPECT_TRUE(vi["version"].isString()) << version.body;
  if (vi.find("build_time") != nullptr) {
    EXPECT_TRUE(vi["build_time"].isNumber()) << version.body;
  }

  auto metrics = call(R"({"type": "GET_METRICS",
                          "get_metrics": {"timeout": {"nanoseconds": 5000000000}}})");
  expectJson200(metrics, "GET_METRICS");
  ASSERT_GT(metrics.json["get_metrics"]["metrics"].size(), 0u) << metrics.body;
  bool uptime = false;
  for (const auto& m : metrics.json["get_metrics"]["metrics"].asArray()) {
    EXPECT_TRUE(m["name"].isString());
    EXPECT_TRUE(m["value"].isNumber()) << json::stringify(m);
    uptime = uptime || isString(m["name"], "slave/uptime_secs");
  }
  EXPECT_TRUE(uptime) << metrics.body;

  auto set_level = call(R"({"type": "SET_LOGGING_LEVEL",
      "set_logging_level": {"duration": {"nanoseconds": 60000000000}, "level": 1}})");
  EXPECT_EQ(set_level.status, 200) << set_level.body;
  auto level = call(R"({"type": "GET_LOGGING_LEVEL"})");
  expectJson200(level, "GET_LOGGING_LEVEL");
  EXPECT_TRUE(isNumber(level.json["get_logging_level"]["level"], 1)) << level.body;

  auto frameworks = call(R"({"type": "GET_FRAMEWORKS"})");
  expectJson200(frameworks, "GET_FRAMEWORKS");
  EXPECT_TRUE(isString(
      frameworks.json["get_frameworks"]["frameworks"][0]["framework_info"]["id"]["value"], fw))
      << frameworks.body;

  auto executors = call(R"({"type": "GET_EXECUTORS"})");
  expectJson200(executors, "GET_EXECUTORS");
  const auto& executor = executors.json["get_executors"]["executors"][0]["executor_info"];
  EXPECT_TRUE(isString(executor["executor_id"]["value"], "docs-executor")) << executors.body;
  EXPECT_TRUE(isString(executor["type"], "DEFAULT")) << executors.body;

  auto tasks = call(R"({"type": "GET_TASKS"})");
  expectJson200(tasks, "GET_TASKS");
  const auto& task = tasks.json["get_tasks"]["launched_tasks"][0];
  EXPECT_TRUE(isString(task["task_id"]["value"], "docs-task")) << tasks.body;
  EXPECT_TRUE(isString(task["state"], "TASK_RUNNING")) << tasks.body;
  EXPECT_TRUE(isString(task["framework_id"]["value"], fw)) << tasks.body;
  EXPECT_TRUE(isString(task["executor_id"]["value"], "docs-executor")) << tasks.body;
  EXPECT_TRUE(task["resources"][0]["scalar"]["value"].isNumber()) << tasks.body;

  auto state = call(R"({"type": "GET_STATE"})");
  expectJson200(state, "GET_STATE");
  const auto& gs = state.json["get_state"];
  EXPECT_TRUE(gs["get_tasks"].isObject()) << state.body;
  EXPECT_TRUE(gs["get_executors"].isObject()) << state.body;
  EXPECT_TRUE(gs["get_frameworks"].isObject()) << state.body;
  EXPECT_TRUE(isString(gs["get_tasks"]["launched_tasks"][0]["task_id"]["value"], "docs-task"))
      << state.body;

  auto containers = call(R"({"type": "GET_CONTAINERS"})");
  expectJson200(containers, "GET_CONTAINERS");
  ASSERT_GT(containers.json["get_containers"]["containers"].size(), 0u) << containers.body;
  const auto& container = containers.json["get_containers"]["containers"][0];
  EXPECT_TRUE(container["container_id"]["value"].isString()) << containers.body;
  EXPECT_TRUE(isString(container["executor_id"]["value"], "docs-executor")) << containers.body;
  EXPECT_TRUE(isString(container["framework_id"]["value"], fw)) << containers.body;
  EXPECT_TRUE(container["container_status"]["container_id"]["value"].isString()) << containers.body;
  EXPECT_TRUE(container["container_status"]["executor_pid"].isNumber()) << containers.body;
  // The usage sample: the default executor's container holds the executor (0.1 cpus, 32 MB)
  // and its group's task (0.5 cpus, 64 MB).
  const auto& usage = container["resource_statistics"];
  EXPECT_GT(usage["timestamp"].asDouble(), 1.5e9) << containers.body;
  EXPECT_EQ(usage["cpus_limit"].asDouble(), 0.6) << containers.body;
  EXPECT_EQ(usage["mem_limit_bytes"].asDouble(), 96.0 * 1024 * 1024) << containers.body;
  EXPECT_GT(usage["mem_rss_bytes"].asDouble(), 0) << containers.body;

  // The sandbox, through LIST_FILES and READ_FILE.
  auto agent_state = send(agent_ep, "GET", "/state", "");
  std::string directory;
  for (const auto& f : agent_state.json["frameworks"].asArray()) {
    for (const auto& e : f["executors"].asArray()) directory = e["directory"].asString();
  }
  ASSERT_FALSE(directory.empty()) << agent_state.body;
  auto listed =
      call(fmt::format(R"({{"type": "LIST_FILES", "list_files": {{"path": "{}"}}}})", directory));
  expectJson200(listed, "LIST_FILES");
  ASSERT_GT(listed.json["list_files"]["file_infos"].size(), 0u) << listed.body;
  const auto& fi = listed.json["list_files"]["file_infos"][0];
  EXPECT_TRUE(fi["path"].isString()) << listed.body;
  EXPECT_TRUE(fi["nlink"].isNumber()) << listed.body;
  EXPECT_TRUE(fi["size"].isNumber()) << listed.body;
  EXPECT_TRUE(fi["mode"].isNumber()) << listed.body;
  EXPECT_TRUE(fi["mtime"]["nanoseconds"].isNumber()) << listed.body;
  EXPECT_TRUE(fi["uid"].isString()) << listed.body;
  EXPECT_TRUE(fi["gid"].isString()) << listed.body;

  // The task writes into its own sandbox, nested in the executor's.
  std::string out;
  ASSERT_TRUE(eventually([&] {
    auto ls = call(fmt::format(
        R"({{"type": "LIST_FILES", "list_files": {{"path": "{}/tasks/docs-task"}}}})", directory));
    for (const auto& f : ls.json["list_files"]["file_infos"].asArray()) {
      if (f["path"].asString().ends_with("/out.txt") && f["size"].asDouble() > 0) {
        out = f["path"].asString();
      }
    }
    return !out.empty();
  }));
  auto read = call(fmt::format(
      R"({{"type": "READ_FILE", "read_file": {{"length": 5, "offset": 1, "path": "{}"}}}})", out));
  expectJson200(read, "READ_FILE");
  EXPECT_TRUE(isNumber(read.json["read_file"]["size"], 11)) << read.body;          // "hello-docs\n"
  EXPECT_TRUE(isString(read.json["read_file"]["data"], "ZWxsby0=")) << read.body;  // "ello-"

  // /monitor/statistics: an array with string ids and a statistics object.
  auto stats = send(agent_ep, "GET", "/monitor/statistics", "");
  expectJson200(stats, "/monitor/statistics");
  ASSERT_TRUE(stats.json.isArray()) << stats.body;
  ASSERT_GT(stats.json.size(), 0u) << stats.body;
  const auto& entry = stats.json[0];
  EXPECT_TRUE(isString(entry["executor_id"], "docs-executor")) << stats.body;
  EXPECT_TRUE(isString(entry["framework_id"], fw)) << stats.body;
  EXPECT_TRUE(entry["executor_name"].isString()) << stats.body;
  EXPECT_TRUE(entry["source"].isString()) << stats.body;
  EXPECT_TRUE(entry["statistics"]["timestamp"].isNumber()) << stats.body;
  EXPECT_TRUE(entry["statistics"]["cpus_limit"].isNumber()) << stats.body;
  EXPECT_TRUE(entry["statistics"]["mem_limit_bytes"].isNumber()) << stats.body;
  auto prefixed = send(agent_ep, "GET", "/monitor/statistics.json", "");
  EXPECT_EQ(prefixed.status, 200);
}

}  // namespace
}  // namespace plateau::testing
