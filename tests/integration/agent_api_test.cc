// The agent's operator API (POST /api/v1, mesos.v1.agent.Call) in JSON and protobuf, the
// agent's legacy endpoints, completed executors' sandboxes, and --log_dir, against real
// processes.

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>

#include "api_call.h"
#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

namespace agent_api = mesos::v1::agent;

using AgentAnswer = ApiAnswer<agent_api::Response>;

AgentAnswer callAgent(const http::Endpoint& agent, const agent_api::Call& call,
                      http::ContentType content) {
  return callApi<agent_api::Response>(agent, call, content);
}

agent_api::Call callOf(agent_api::Call::Type type) { return callOfType<agent_api::Call>(type); }

std::string getBody(const http::Endpoint& endpoint, const std::string& path, int* status) {
  auto r = http::fetchSync(endpoint, {.method = "GET", .path = path}, 10s);
  if (!r) {
    ADD_FAILURE() << path << ": " << r.error().message();
    return "";
  }
  *status = r->status;
  return r->body;
}

class AgentApi : public ::testing::TestWithParam<http::ContentType> {};

INSTANTIATE_TEST_SUITE_P(Content, AgentApi,
                         ::testing::Values(http::ContentType::kJson, http::ContentType::kProtobuf),
                         [](const auto& info) {
                           return info.param == http::ContentType::kJson ? "Json" : "Protobuf";
                         });

TEST_P(AgentApi, AnswersEveryCallWithItsResponseType) {
  const auto content = GetParam();
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  const auto agent = cluster.agentEndpoint(0);

  Scheduler s(cluster.master(), content);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("agent-api");
  ASSERT_TRUE(s.subscribe(info));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  // 0.2 cpus plus the command executor's 0.1: a sum that floating point gets slightly wrong.
  s.launch(offers->offers().offers(0), "sleeper", "echo from-the-sandbox; sleep 1000",
           "cpus:0.2;mem:32");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running && running->state() == v1::TASK_RUNNING);

  auto health = callAgent(agent, callOf(agent_api::Call::GET_HEALTH), content);
  ASSERT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(health.response.type(), agent_api::Response::GET_HEALTH);
  EXPECT_TRUE(health.response.get_health().healthy());

  auto flags = callAgent(agent, callOf(agent_api::Call::GET_FLAGS), content);
  ASSERT_EQ(flags.status, 200) << flags.body;
  EXPECT_EQ(flags.response.type(), agent_api::Response::GET_FLAGS);
  std::map<std::string, std::string> flag_values;
  for (const auto& f : flags.response.get_flags().flags()) {
    flag_values[f.name()] = f.value();
  }
  EXPECT_EQ(flag_values["resources"], "cpus:2;mem:512");

  auto version = callAgent(agent, callOf(agent_api::Call::GET_VERSION), content);
  ASSERT_EQ(version.status, 200) << version.body;
  EXPECT_FALSE(version.response.get_version().version_info().version().empty());

  std::map<std::string, double> metrics;
  ASSERT_TRUE(eventually([&] {
    auto m = callAgent(agent, callOf(agent_api::Call::GET_METRICS), content);
    for (const auto& metric : m.response.get_metrics().metrics()) {
      metrics[metric.name()] = metric.value();
    }
    return m.response.type() == agent_api::Response::GET_METRICS &&
           metrics["slave/tasks_running"] == 1;
  }));
  EXPECT_EQ(metrics["slave/executors_running"], 1);
  EXPECT_EQ(metrics["slave/mem_total"], 512);
  EXPECT_GT(metrics["slave/mem_used"], 0);
  EXPECT_EQ(metrics["slave/registered"], 1);

  auto set_level = callOf(agent_api::Call::SET_LOGGING_LEVEL);
  set_level.mutable_set_logging_level()->set_level(2);
  set_level.mutable_set_logging_level()->mutable_duration()->set_nanoseconds(60'000'000'000);
  EXPECT_EQ(callAgent(agent, set_level, content).status, 200);
  auto level = callAgent(agent, callOf(agent_api::Call::GET_LOGGING_LEVEL), content);
  EXPECT_EQ(level.response.type(), agent_api::Response::GET_LOGGING_LEVEL);
  EXPECT_EQ(level.response.get_logging_level().level(), 2u);

  auto frameworks = callAgent(agent, callOf(agent_api::Call::GET_FRAMEWORKS), content);
  EXPECT_EQ(frameworks.response.type(), agent_api::Response::GET_FRAMEWORKS);
  ASSERT_EQ(frameworks.response.get_frameworks().frameworks_size(), 1) << frameworks.body;
  EXPECT_EQ(frameworks.response.get_frameworks().frameworks(0).framework_info().id().value(),
            s.frameworkId());

  auto executors = callAgent(agent, callOf(agent_api::Call::GET_EXECUTORS), content);
  EXPECT_EQ(executors.response.type(), agent_api::Response::GET_EXECUTORS);
  ASSERT_EQ(executors.response.get_executors().executors_size(), 1) << executors.body;
  const std::string executor_id =
      executors.response.get_executors().executors(0).executor_info().executor_id().value();

  auto tasks = callAgent(agent, callOf(agent_api::Call::GET_TASKS), content);
  EXPECT_EQ(tasks.response.type(), agent_api::Response::GET_TASKS);
  ASSERT_EQ(tasks.response.get_tasks().launched_tasks_size(), 1) << tasks.body;
  EXPECT_EQ(tasks.response.get_tasks().launched_tasks(0).task_id().value(), "sleeper");
  EXPECT_EQ(tasks.response.get_tasks().launched_tasks(0).state(), v1::TASK_RUNNING);

  auto state = callAgent(agent, callOf(agent_api::Call::GET_STATE), content);
  EXPECT_EQ(state.response.type(), agent_api::Response::GET_STATE);
  EXPECT_EQ(state.response.get_state().get_tasks().launched_tasks_size(), 1);
  EXPECT_EQ(state.response.get_state().get_executors().executors_size(), 1);
  EXPECT_EQ(state.response.get_state().get_frameworks().frameworks_size(), 1);

  auto containers = callAgent(agent, callOf(agent_api::Call::GET_CONTAINERS), content);
  EXPECT_EQ(containers.response.type(), agent_api::Response::GET_CONTAINERS);
  ASSERT_EQ(containers.response.get_containers().containers_size(), 1) << containers.body;
  EXPECT_EQ(containers.response.get_containers().containers(0).executor_id().value(), executor_id);
  EXPECT_FALSE(containers.response.get_containers().containers(0).container_id().value().empty());
  // The container's usage sample, as /monitor/statistics shows it.
  const auto& container = containers.response.get_containers().containers(0);
  ASSERT_TRUE(container.has_resource_statistics()) << containers.body;
  const auto& usage = container.resource_statistics();
  EXPECT_GT(usage.timestamp(), 1.5e9);
  EXPECT_EQ(usage.cpus_limit(), 0.3);  // rounded to thousandths, not 0.30000000000000004
  EXPECT_EQ(usage.mem_limit_bytes(), 64u * 1024 * 1024);  // 32 MB task + 32 MB executor
  EXPECT_TRUE(usage.has_mem_rss_bytes());
  EXPECT_GT(usage.mem_rss_bytes(), 0u);
  if (content == http::ContentType::kJson) {
    EXPECT_NE(containers.body.find("\"cpus_limit\":0.3"), std::string::npos) << containers.body;
    EXPECT_EQ(containers.body.find("0.3000"), std::string::npos) << containers.body;
  }

  const std::string sandbox =
      fmt::format("/frameworks/{}/executors/{}/runs/latest", s.frameworkId(), executor_id);
  auto list = callOf(agent_api::Call::LIST_FILES);
  list.mutable_list_files()->set_path(sandbox);
  auto listed = callAgent(agent, list, content);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.response.type(), agent_api::Response::LIST_FILES);
  std::set<std::string> names;
  for (const auto& f : listed.response.list_files().file_infos()) {
    names.insert(f.path());
    if (f.path() == sandbox + "/stdout") {
      EXPECT_TRUE(S_ISREG(f.mode()));
    }
  }
  EXPECT_TRUE(names.contains(sandbox + "/stdout")) << listed.body;

  // The same sandbox under its run's container id, as Mesos attaches it.
  auto by_run = callOf(agent_api::Call::LIST_FILES);
  by_run.mutable_list_files()->set_path(
      fmt::format("/frameworks/{}/executors/{}/runs/{}", s.frameworkId(), executor_id,
                  containers.response.get_containers().containers(0).container_id().value()));
  auto run_listed = callAgent(agent, by_run, content);
  EXPECT_EQ(run_listed.status, 200) << run_listed.body;
  EXPECT_EQ(run_listed.response.list_files().file_infos_size(),
            listed.response.list_files().file_infos_size());

  auto read = callOf(agent_api::Call::READ_FILE);
  read.mutable_read_file()->set_path(sandbox + "/stdout");
  read.mutable_read_file()->set_offset(0);
  std::string data;
  EXPECT_TRUE(eventually([&] {
    auto r = callAgent(agent, read, content);
    data = r.response.read_file().data();
    return r.response.type() == agent_api::Response::READ_FILE &&
           data.find("from-the-sandbox") != std::string::npos &&
           r.response.read_file().size() >= data.size();
  })) << data;
  read.mutable_read_file()->set_offset(5);
  read.mutable_read_file()->set_length(4);
  auto part = callAgent(agent, read, content);
  EXPECT_EQ(part.response.read_file().data(), data.substr(5, 4));

  // Confinement: nothing outside a sandbox, nothing unknown.
  auto escape = callOf(agent_api::Call::READ_FILE);
  escape.mutable_read_file()->set_path(sandbox + "/../../../../../../etc/passwd");
  escape.mutable_read_file()->set_offset(0);
  auto refused = callAgent(agent, escape, content);
  EXPECT_TRUE(refused.status == 403 || refused.status == 404) << refused.status;
  auto unknown = callOf(agent_api::Call::LIST_FILES);
  unknown.mutable_list_files()->set_path("/etc");
  EXPECT_EQ(callAgent(agent, unknown, content).status, 404);
  auto no_body = callOf(agent_api::Call::READ_FILE);
  EXPECT_EQ(callAgent(agent, no_body, content).status, 400);

  auto nested = callOf(agent_api::Call::LAUNCH_NESTED_CONTAINER);
  nested.mutable_launch_nested_container()->mutable_container_id()->set_value("c");
  auto no_parent = callAgent(agent, nested, content);  // nested_container_test.cc has the rest
  EXPECT_EQ(no_parent.status, 400);
  EXPECT_NE(no_parent.body.find("launch_nested_container.container_id.parent"), std::string::npos)
      << no_parent.body;

  // The task ends: its executor is completed, and its sandbox stays browsable.
  scheduler::Call kill;
  kill.set_type(scheduler::Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("sleeper");
  ASSERT_EQ(s.call(kill), 202);
  std::optional<v1::TaskStatus> killed;
  ASSERT_TRUE(eventually([&] {
    killed = s.nextUpdate(1s);
    return killed && killed->state() == v1::TASK_KILLED;
  }));
  ASSERT_TRUE(eventually([&] {
    auto t = callAgent(agent, callOf(agent_api::Call::GET_TASKS), content);
    return t.response.get_tasks().completed_tasks_size() == 1 &&
           t.response.get_tasks().launched_tasks_size() == 0;
  }));
  // The command executor exits once its task's update is acknowledged.
  AgentAnswer done;
  EXPECT_TRUE(eventually([&] {
    done = callAgent(agent, callOf(agent_api::Call::GET_EXECUTORS), content);
    return done.response.get_executors().completed_executors_size() == 1 &&
           done.response.get_executors().executors_size() == 0;
  })) << done.body;
  read.clear_read_file();
  read.mutable_read_file()->set_path(sandbox + "/stdout");
  read.mutable_read_file()->set_offset(0);
  auto after = callAgent(agent, read, content);
  EXPECT_EQ(after.status, 200) << after.body;
  EXPECT_NE(after.response.read_file().data().find("from-the-sandbox"), std::string::npos);
  int status = 0;
  std::string files = getBody(
      agent, "/files/read?path=" + http::urlEncode(sandbox + "/stdout") + "&offset=0", &status);
  EXPECT_EQ(status, 200) << files;
  EXPECT_NE(files.find("from-the-sandbox"), std::string::npos);
}

TEST(AgentApiTest, LegacyEndpointsHaveMesosShapes) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:256");
  const auto agent = cluster.agentEndpoint(0);
  int status = 0;

  getBody(agent, "/health", &status);
  EXPECT_EQ(status, 200);

  auto flags = json::parse(getBody(agent, "/flags", &status));
  ASSERT_EQ(status, 200);
  ASSERT_TRUE(flags);
  EXPECT_EQ((*flags)["flags"]["resources"].asString(), "cpus:2;mem:256");

  auto version = json::parse(getBody(agent, "/version", &status));
  ASSERT_EQ(status, 200);
  ASSERT_TRUE(version);
  EXPECT_FALSE((*version)["version"].asString().empty());

  auto metrics = json::parse(getBody(agent, "/metrics/snapshot", &status));
  ASSERT_EQ(status, 200);
  ASSERT_TRUE(metrics);
  for (const char* key :
       {"slave/tasks_running", "slave/tasks_staging", "slave/tasks_finished", "slave/tasks_failed",
        "slave/tasks_killed", "slave/tasks_lost", "slave/executors_running",
        "slave/executors_terminated", "slave/cpus_total", "slave/cpus_used", "slave/cpus_percent",
        "slave/mem_total", "slave/mem_used", "slave/mem_percent", "slave/disk_total",
        "slave/uptime_secs", "slave/registered"}) {
    EXPECT_NE(metrics->find(key), nullptr) << key;
  }
  EXPECT_EQ((*metrics)["slave/mem_total"].asDouble(), 256);

  std::string prometheus = getBody(agent, "/metrics", &status);
  EXPECT_EQ(status, 200);
  EXPECT_NE(prometheus.find("# TYPE plateau_agent_mem_capacity_bytes gauge\n"
                            "plateau_agent_mem_capacity_bytes 268435456\n"),
            std::string::npos)
      << prometheus;

  auto state = json::parse(getBody(agent, "/state", &status));
  ASSERT_EQ(status, 200);
  ASSERT_TRUE(state);
  for (const char* key : {"id", "pid", "hostname", "resources", "flags", "frameworks",
                          "completed_frameworks", "version", "start_time"}) {
    EXPECT_NE(state->find(key), nullptr) << key;
  }
}

TEST(AgentApiTest, LogDirWritesTheDaemonsLogFiles) {
  char tmpl[] = "/tmp/plateau-logs.XXXXXX";
  std::string dir = std::string(::mkdtemp(tmpl)) + "/logs";  // created by the daemons
  Cluster cluster({"--log_dir=" + dir});
  cluster.addAgent("cpus:1;mem:64", {"--log_dir=" + dir, "--logging_level=INFO"});
  auto contains = [](const std::string& path, const std::string& text) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str().find(text) != std::string::npos;
  };
  EXPECT_TRUE(eventually([&] { return contains(dir + "/plateau-master.log", "master_started"); }));
  EXPECT_TRUE(eventually([&] { return contains(dir + "/plateau-agent.log", "agent_started"); }));
  // stderr keeps logging too (no --quiet), as with Mesos's --log_dir.
  EXPECT_NE(cluster.agent(0).log().find("agent_started"), std::string::npos);
  std::error_code ec;
  std::filesystem::remove_all(std::filesystem::path(dir).parent_path(), ec);
}

}  // namespace
}  // namespace plateau::testing
