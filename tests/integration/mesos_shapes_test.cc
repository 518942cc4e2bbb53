// The shapes of Plateau's answers side by side with Mesos 1.11's for the same calls (the fields
// Mesos's master always writes, their types and names): /master/state, /master/slaves,
// /master/state-summary, /master/frameworks, GET_AGENTS, GET_MASTER and SUBSCRIBED, a task's
// status updates, and the agent's /state and GET_TASKS (a task's statuses, queued tasks).

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>

#include "api_call.h"
#include "common/base64.h"
#include "docs_json_ops.h"
#include "harness.h"

namespace plateau::testing {
namespace {

bool holdsString(const json::Value& array, const std::string& value) {
  if (!array.isArray()) {
    return false;
  }
  for (const auto& v : array.asArray()) {
    if (isString(v, value)) {
      return true;
    }
  }
  return false;
}

// [{"type": "X"}, ...] as the protobuf JSON of a repeated Capability.
bool holdsCapability(const json::Value& array, const std::string& type) {
  if (!array.isArray()) {
    return false;
  }
  for (const auto& v : array.asArray()) {
    if (isString(v["type"], type)) {
      return true;
    }
  }
  return false;
}

json::Value getJson(Cluster& cluster, const std::string& path) {
  auto parsed = json::parse(cluster.get(path));
  EXPECT_TRUE(parsed.has_value()) << path;
  return parsed.value_or(json::Value());
}

TEST(MesosShapes, MasterStateAgentsAndOffersCarryWhatMesosWrites) {
  const std::string logs = fmt::format("/tmp/plateau-shapes-{}", ::getpid());
  std::filesystem::create_directories(logs);
  const std::string external = logs + "/external.log";
  std::ofstream(external) << "kept by syslog\n";
  Cluster cluster({"--log_dir=" + logs, "--external_log_file=" + external});
  cluster.addAgent("cpus:2;mem:256;ports:[31000-31005];ports(web):[31010-31011]",
                   {"--attributes=rack:r1"});

  // /master/state: the master's capabilities by name, its log files, the unreachable count.
  json::Value state = getJson(cluster, "/master/state");
  for (const char* capability : {"AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"}) {
    EXPECT_TRUE(holdsString(state["capabilities"], capability)) << capability;
  }
  EXPECT_TRUE(isString(state["log_dir"], logs));
  EXPECT_TRUE(isString(state["external_log_file"], external));
  EXPECT_TRUE(isNumber(state["unreachable_slaves"], 0));
  EXPECT_TRUE(state["recovered_slaves"].isArray());
  const json::Value& slave = state["slaves"][0];
  EXPECT_TRUE(holdsString(slave["capabilities"], "MULTI_ROLE")) << json::stringify(slave);
  EXPECT_TRUE(holdsString(slave["capabilities"], "AGENT_DRAINING")) << json::stringify(slave);
  // A name held by two roles is one key, its ranges joined (as Mesos sums them).
  EXPECT_TRUE(isString(slave["resources"]["ports"], "[31000-31005, 31010-31011]"))
      << json::stringify(slave["resources"]);
  EXPECT_TRUE(isString(slave["unreserved_resources"]["ports"], "[31000-31005]"));

  // The agent's own /state lists its capabilities by name too.
  auto agent_state =
      http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/state"}, 5s);
  ASSERT_TRUE(agent_state.has_value());
  auto own = json::parse(agent_state->body);
  ASSERT_TRUE(own.has_value());
  EXPECT_TRUE(holdsString((*own)["capabilities"], "RESERVATION_REFINEMENT")) << agent_state->body;
  EXPECT_TRUE((*own)["build_date"].isString()) << agent_state->body;

  // /master/state-summary: the agent as /master/state shows it, with its task counts.
  json::Value summary = getJson(cluster, "/master/state-summary");
  const json::Value& brief = summary["slaves"][0];
  EXPECT_TRUE(isString(brief["attributes"]["rack"], "r1")) << json::stringify(brief);
  EXPECT_TRUE(isString(brief["reserved_resources"]["web"]["ports"], "[31010-31011]"))
      << json::stringify(brief);
  EXPECT_TRUE(isString(brief["unreserved_resources"]["ports"], "[31000-31005]"))
      << json::stringify(brief);
  EXPECT_TRUE(brief["port"].isNumber()) << json::stringify(brief);
  EXPECT_TRUE(brief["deactivated"].isBool()) << json::stringify(brief);
  EXPECT_TRUE(holdsString(brief["capabilities"], "MULTI_ROLE")) << json::stringify(brief);
  EXPECT_TRUE(isNumber(brief["TASK_RUNNING"], 0)) << json::stringify(brief);
  EXPECT_EQ(brief.find("resources_full"), nullptr) << json::stringify(brief);
  EXPECT_EQ(summary.find("cluster"), nullptr);  // no --cluster: no key, as Mesos

  // The operator API: the agent's capabilities as AgentInfo.Capability messages, the master's
  // as MasterInfo.Capability messages.
  auto agents = post(cluster.master(), "/api/v1", R"({"type": "GET_AGENTS"})");
  expectJson200(agents, "GET_AGENTS");
  EXPECT_TRUE(holdsCapability(agents.json["get_agents"]["agents"][0]["capabilities"],
                              "RESERVATION_REFINEMENT"))
      << agents.body;
  auto master = post(cluster.master(), "/api/v1", R"({"type": "GET_MASTER"})");
  expectJson200(master, "GET_MASTER");
  EXPECT_TRUE(holdsCapability(master.json["get_master"]["master_info"]["capabilities"], "QUOTA_V2"))
      << master.body;

  // A framework's outstanding offers are listed with it, in Mesos's short form.
  JsonScheduler scheduler(cluster.master());
  ASSERT_TRUE(scheduler.subscribe(R"({"type": "SUBSCRIBE", "subscribe": {"framework_info": {
      "user": "u", "name": "shapes", "roles": ["web"],
      "capabilities": [{"type": "MULTI_ROLE"}]}}})"));
  EXPECT_TRUE(holdsCapability(scheduler.subscribed()["subscribed"]["master_info"]["capabilities"],
                              "AGENT_DRAINING"))
      << json::stringify(scheduler.subscribed());
  auto offers = scheduler.next("OFFERS");
  ASSERT_TRUE(offers.has_value());
  const json::Value& offer = (*offers)["offers"]["offers"][0];
  for (const std::string path : {"/master/state", "/master/frameworks"}) {
    json::Value view = getJson(cluster, path);
    const json::Value& framework = view["frameworks"][0];
    ASSERT_EQ(framework["offers"].asArray().size(), 1u) << path << json::stringify(framework);
    const json::Value& listed = framework["offers"][0];
    EXPECT_TRUE(isString(listed["id"], offer["id"]["value"].asString())) << path;
    EXPECT_TRUE(isString(listed["framework_id"], scheduler.frameworkId())) << path;
    EXPECT_TRUE(isString(listed["slave_id"], offer["agent_id"]["value"].asString())) << path;
    EXPECT_TRUE(isString(listed["allocation_info"]["role"], "web")) << path;
    EXPECT_TRUE(isNumber(listed["resources"]["cpus"], 2)) << path << json::stringify(listed);
    EXPECT_TRUE(framework["offer_constraints"].isObject()) << path;
  }
  json::Value frameworks_summary = getJson(cluster, "/master/state-summary");
  EXPECT_EQ(frameworks_summary["frameworks"][0].find("pid"), nullptr)
      << json::stringify(frameworks_summary["frameworks"][0]);
  std::filesystem::remove_all(logs);
}

TEST(MesosShapes, AnAgentNotBackAfterAMasterRestartIsARecoveredSlave) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:128", {"--attributes=rack:r2"});
  const std::string id = agentIdOf(cluster);
  ASSERT_FALSE(id.empty());
  cluster.agent(0).kill(SIGKILL);
  cluster.agent(0).wait();
  cluster.restartMaster();
  for (const std::string path : {"/master/slaves", "/master/state"}) {
    json::Value view;
    ASSERT_TRUE(eventually([&] {
      view = getJson(cluster, path);
      return view["recovered_slaves"].isArray() && view["recovered_slaves"].asArray().size() == 1;
    })) << path
        << ": " << json::stringify(view);
    const json::Value& recovered = view["recovered_slaves"][0];
    // Mesos's short form of an AgentInfo: the id as a string, attributes as an object.
    EXPECT_TRUE(isString(recovered["id"], id)) << path << json::stringify(recovered);
    EXPECT_TRUE(recovered["hostname"].isString()) << path;
    EXPECT_TRUE(recovered["port"].isNumber()) << path;
    EXPECT_TRUE(isString(recovered["attributes"]["rack"], "r2")) << path;
  }
}

// A running task's status names its container as Mesos's agent does (its pid, the agent's address
// as its network: where Mesos-DNS and Marathon read a task's IP), in the update and in
// /master/state; the agent's /state writes the framework and executor fields Mesos's agent does.
TEST(MesosShapes, ATasksStatusCarriesItsContainersAddressAndTheAgentStateItsExecutor) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:256");
  Scheduler scheduler(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("addressed");
  info.set_failover_timeout(60);
  info.add_roles("web");
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
  ASSERT_TRUE(scheduler.subscribe(info));
  auto offers = scheduler.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  // No allocation_info in the task: the framework has one role, the master writes it in.
  scheduler.launch(offers->offers().offers(0), "pinged", "sleep 1000", "cpus:0.5;mem:32");
  auto running = scheduler.nextUpdate();
  ASSERT_TRUE(running && running->state() == v1::TASK_RUNNING)
      << (running ? running->DebugString() : "no update");
  const v1::ContainerStatus& container = running->container_status();
  EXPECT_TRUE(container.has_container_id());
  EXPECT_GT(container.executor_pid(), 0u);
  ASSERT_EQ(container.network_infos_size(), 1) << running->DebugString();
  ASSERT_EQ(container.network_infos(0).ip_addresses_size(), 1);
  EXPECT_EQ(container.network_infos(0).ip_addresses(0).ip_address(), "127.0.0.1");

  // Reconciliation answers with the latest container status too, as Mesos's master does.
  scheduler::Call reconcile;
  reconcile.set_type(scheduler::Call::RECONCILE);
  reconcile.mutable_reconcile()->add_tasks()->mutable_task_id()->set_value("pinged");
  ASSERT_EQ(scheduler.call(reconcile), 202);
  auto reconciled = scheduler.nextUpdate();
  ASSERT_TRUE(reconciled.has_value());
  EXPECT_EQ(reconciled->reason(), v1::TaskStatus::REASON_RECONCILIATION);
  EXPECT_EQ(reconciled->container_status().network_infos_size(), 1) << reconciled->DebugString();
  EXPECT_EQ(reconciled->container_status().executor_pid(), container.executor_pid());

  json::Value state = getJson(cluster, "/master/state");
  const json::Value& framework = state["frameworks"][0];
  EXPECT_EQ(framework.find("reregistered_time"), nullptr) << json::stringify(framework);
  const json::Value& statuses = framework["tasks"][0]["statuses"];
  ASSERT_TRUE(statuses.isArray() && !statuses.asArray().empty()) << json::stringify(framework);
  const json::Value& last = statuses.asArray().back();
  EXPECT_TRUE(isString(
      last["container_status"]["network_infos"][0]["ip_addresses"][0]["ip_address"], "127.0.0.1"))
      << json::stringify(last);

  auto agent_state =
      http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/state"}, 5s);
  ASSERT_TRUE(agent_state.has_value());
  auto own = json::parse(agent_state->body);
  ASSERT_TRUE(own.has_value());
  const json::Value& agent_framework = (*own)["frameworks"][0];
  EXPECT_TRUE(isNumber(agent_framework["failover_timeout"], 60)) << agent_state->body;
  EXPECT_TRUE(holdsString(agent_framework["roles"], "web")) << agent_state->body;
  EXPECT_EQ(agent_framework.find("role"), nullptr) << agent_state->body;
  const json::Value& executor = agent_framework["executors"][0];
  EXPECT_TRUE(isString(executor["source"], "pinged")) << agent_state->body;
  // Its task's and its own allowance (cpus 0.1, mem 32), in the task's role, as Mesos's agent.
  EXPECT_TRUE(isNumber(executor["resources"]["cpus"], 0.6)) << agent_state->body;
  EXPECT_TRUE(isNumber(executor["resources"]["mem"], 64)) << agent_state->body;
  EXPECT_TRUE(isString(executor["role"], "web")) << agent_state->body;
  // The master wrote the offer's role into what it sent the agent.
  EXPECT_TRUE(isString(executor["tasks"][0]["role"], "web")) << agent_state->body;

  // Once torn down, the agent lists the framework as completed with the same fields.
  scheduler::Call teardown;
  teardown.set_type(scheduler::Call::TEARDOWN);
  ASSERT_EQ(scheduler.call(teardown), 202);
  json::Value completed;
  ASSERT_TRUE(eventually([&] {
    auto later = http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/state"}, 5s);
    if (!later) {
      return false;
    }
    auto parsed = json::parse(later->body);
    if (!parsed || !(*parsed)["completed_frameworks"].isArray() ||
        (*parsed)["completed_frameworks"].asArray().empty()) {
      return false;
    }
    completed = (*parsed)["completed_frameworks"][0];
    return true;
  }));
  EXPECT_TRUE(isNumber(completed["failover_timeout"], 60)) << json::stringify(completed);
  EXPECT_TRUE(holdsString(completed["roles"], "web")) << json::stringify(completed);
  EXPECT_TRUE(completed["checkpoint"].isBool()) << json::stringify(completed);
}

// Every task the agent's /state lists (running and completed frameworks and executors, their
// tasks, queued and completed), with the list it is in.
std::vector<std::pair<std::string, json::Value>> agentTasks(const json::Value& state) {
  std::vector<std::pair<std::string, json::Value>> tasks;
  for (const char* frameworks : {"frameworks", "completed_frameworks"}) {
    for (const auto& fw : state[frameworks].asArray()) {
      for (const char* executors : {"executors", "completed_executors"}) {
        for (const auto& ex : fw[executors].asArray()) {
          for (const char* list : {"tasks", "queued_tasks", "completed_tasks"}) {
            for (const auto& task : ex[list].asArray()) {
              tasks.emplace_back(list, task);
            }
          }
        }
      }
    }
  }
  return tasks;
}

std::optional<std::pair<std::string, json::Value>> agentTask(Cluster& cluster,
                                                             const std::string& id) {
  auto got = http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/state"}, 5s);
  if (!got) {
    return std::nullopt;
  }
  auto parsed = json::parse(got->body);
  if (!parsed) {
    return std::nullopt;
  }
  for (auto& [list, task] : agentTasks(*parsed)) {
    if (isString(task["id"], id)) {
      return std::pair{list, task};
    }
  }
  return std::nullopt;
}

mesos::v1::agent::Response::GetTasks agentGetTasks(Cluster& cluster, http::ContentType content,
                                                   std::string* body = nullptr) {
  auto answer = callApi<mesos::v1::agent::Response>(
      cluster.agentEndpoint(0),
      callOfType<mesos::v1::agent::Call>(mesos::v1::agent::Call::GET_TASKS), content);
  EXPECT_EQ(answer.status, 200) << answer.body;
  if (body != nullptr) {
    *body = answer.body;
  }
  return answer.response.get_tasks();
}

// A task that ran to its end shows, in the agent's /state and GET_TASKS, the updates the agent
// sent for it, in order, with their timestamps (and in GET_TASKS their uuids, base64 in JSON,
// and the latest forwarded as status_update_state/uuid), as Mesos's agent keeps them.
TEST(MesosShapes, TheAgentShowsTheStatusesOfATaskThatRanToItsEnd) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:256");
  Scheduler scheduler(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("statuses");
  ASSERT_TRUE(scheduler.subscribe(info));
  auto offers = scheduler.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  scheduler.launch(offers->offers().offers(0), "brief", "true", "cpus:0.5;mem:32");
  std::vector<v1::TaskStatus> sent;
  while (sent.empty() || sent.back().state() == v1::TASK_STARTING ||
         sent.back().state() == v1::TASK_RUNNING) {
    auto event = scheduler.next(scheduler::Event::UPDATE);
    ASSERT_TRUE(event) << sent.size() << " updates";
    sent.push_back(event->update().status());
    scheduler.acknowledge(sent.back());
  }
  std::vector<v1::TaskState> states;
  for (const auto& status : sent) {
    states.push_back(status.state());
  }
  ASSERT_EQ(states,
            (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_RUNNING, v1::TASK_FINISHED}));

  std::optional<std::pair<std::string, json::Value>> found;
  ASSERT_TRUE(eventually([&] {
    found = agentTask(cluster, "brief");
    return found && found->first == "completed_tasks";
  })) << (found ? json::stringify(found->second) : "not in /state");
  const json::Value& statuses = found->second["statuses"];
  ASSERT_TRUE(statuses.isArray() && statuses.asArray().size() == sent.size())
      << json::stringify(found->second);
  for (size_t i = 0; i < sent.size(); ++i) {
    const json::Value& status = statuses.asArray()[i];
    EXPECT_TRUE(isString(status["state"], v1::TaskState_Name(sent[i].state()))) << i;
    EXPECT_NEAR(status["timestamp"].asDouble(), sent[i].timestamp(), 1e-6) << i;
    EXPECT_TRUE(isString(status["container_status"]["container_id"]["value"],
                         sent[i].container_status().container_id().value()))
        << json::stringify(status);
    EXPECT_EQ(status.find("uuid"), nullptr) << "Mesos's /state writes no uuid";
  }

  std::string body;
  auto tasks = agentGetTasks(cluster, http::ContentType::kJson, &body);
  ASSERT_EQ(tasks.completed_tasks_size(), 1) << body;
  const v1::Task& task = tasks.completed_tasks(0);
  ASSERT_EQ(task.statuses_size(), static_cast<int>(sent.size())) << body;
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(task.statuses(i).state(), sent[i].state());
    EXPECT_EQ(task.statuses(i).uuid(), sent[i].uuid());
    EXPECT_DOUBLE_EQ(task.statuses(i).timestamp(), sent[i].timestamp());
  }
  EXPECT_EQ(task.status_update_state(), v1::TASK_FINISHED);
  EXPECT_EQ(task.status_update_uuid(), sent.back().uuid());
  auto raw = json::parse(body);
  ASSERT_TRUE(raw);
  const json::Value& raw_task = (*raw)["get_tasks"]["completed_tasks"][0];
  EXPECT_TRUE(isString(raw_task["statuses"][0]["uuid"], base64::encode(sent[0].uuid()))) << body;
  EXPECT_TRUE(isString(raw_task["status_update_uuid"], base64::encode(sent.back().uuid()))) << body;
  EXPECT_TRUE(isString(raw_task["status_update_state"], "TASK_FINISHED")) << body;
}

// A task waiting for its executor to subscribe is written as Mesos's agent writes a TaskInfo in
// /state's queued_tasks; GET_TASKS answers it as a STAGING Task with nothing seen yet.
TEST(MesosShapes, TheAgentWritesAQueuedTaskAsATaskInfo) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:256");
  Scheduler scheduler(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("queued");
  ASSERT_TRUE(scheduler.subscribe(info));
  auto offers = scheduler.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  const v1::Offer& offer = offers->offers().offers(0);
  v1::TaskInfo task;
  task.set_name("waiting");
  task.mutable_task_id()->set_value("waiting");
  *task.mutable_agent_id() = offer.agent_id();
  *task.mutable_resources() = resources("cpus:0.5;mem:32");
  v1::ExecutorInfo* executor = task.mutable_executor();
  executor->mutable_executor_id()->set_value("silent");
  executor->set_type(v1::ExecutorInfo::CUSTOM);
  executor->mutable_command()->set_value("sleep 1000");  // never subscribes
  *executor->mutable_resources() = resources("cpus:0.1;mem:32");
  task.mutable_discovery()->set_visibility(v1::DiscoveryInfo::FRAMEWORK);
  task.mutable_discovery()->set_name("waiting.svc");
  task.mutable_labels()->add_labels()->set_key("tier");
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  auto* op = accept.mutable_accept()->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  *op->mutable_launch()->add_task_infos() = task;
  ASSERT_EQ(scheduler.call(accept), 202) << scheduler.lastResponse().body;

  std::optional<std::pair<std::string, json::Value>> found;
  ASSERT_TRUE(eventually([&] {
    found = agentTask(cluster, "waiting");
    return found.has_value();
  }));
  ASSERT_EQ(found->first, "queued_tasks") << json::stringify(found->second);
  const json::Value& queued = found->second;
  EXPECT_TRUE(isString(queued["name"], "waiting")) << json::stringify(queued);
  EXPECT_TRUE(isString(queued["slave_id"], offer.agent_id().value())) << json::stringify(queued);
  EXPECT_TRUE(isNumber(queued["resources"]["cpus"], 0.5)) << json::stringify(queued);
  EXPECT_TRUE(isNumber(queued["resources"]["mem"], 32)) << json::stringify(queued);
  EXPECT_TRUE(isString(queued["role"], "*")) << json::stringify(queued);
  EXPECT_TRUE(isString(queued["executor_id"], "silent")) << json::stringify(queued);
  EXPECT_TRUE(isString(queued["discovery"]["name"], "waiting.svc")) << json::stringify(queued);
  EXPECT_TRUE(isString(queued["discovery"]["visibility"], "FRAMEWORK")) << json::stringify(queued);
  // A TaskInfo, not a Task: no state, statuses, framework or agent_id.
  for (const char* task_field : {"state", "statuses", "framework_id", "agent_id", "labels"}) {
    EXPECT_EQ(queued.find(task_field), nullptr) << task_field << " in " << json::stringify(queued);
  }

  auto tasks = agentGetTasks(cluster, http::ContentType::kProtobuf);
  ASSERT_EQ(tasks.queued_tasks_size(), 1);
  const v1::Task& staged = tasks.queued_tasks(0);
  EXPECT_EQ(staged.state(), v1::TASK_STAGING);
  EXPECT_EQ(staged.statuses_size(), 0);
  EXPECT_FALSE(staged.has_status_update_state());
  EXPECT_EQ(staged.framework_id().value(), scheduler.frameworkId());
  EXPECT_EQ(staged.executor_id().value(), "silent");
  EXPECT_EQ(staged.discovery().name(), "waiting.svc");
  EXPECT_EQ(staged.labels().labels(0).key(), "tier");
}

// A framework the restarted master knows from its registry, not subscribed again yet, is
// `recovered` in /master/state and /master/frameworks, as in GET_FRAMEWORKS (and Mesos).
TEST(MesosShapes, AFrameworkNotBackAfterAMasterRestartIsRecovered) {
  Cluster cluster;
  JsonScheduler scheduler(cluster.master());
  ASSERT_TRUE(scheduler.subscribe(R"({"type": "SUBSCRIBE", "subscribe": {"framework_info": {
      "user": "u", "name": "away", "failover_timeout": 600}}})"));
  cluster.restartMaster();
  for (const std::string path : {"/master/state", "/master/frameworks"}) {
    json::Value view;
    ASSERT_TRUE(eventually([&] {
      view = getJson(cluster, path);
      return view["frameworks"].isArray() && view["frameworks"].asArray().size() == 1;
    })) << path
        << ": " << json::stringify(view);
    const json::Value& framework = view["frameworks"][0];
    EXPECT_TRUE(isString(framework["id"], scheduler.frameworkId())) << path;
    EXPECT_TRUE(framework["recovered"].isBool() && framework["recovered"].asBool())
        << path << json::stringify(framework);
    EXPECT_TRUE(framework["connected"].isBool() && !framework["connected"].asBool()) << path;
  }
}

}  // namespace
}  // namespace plateau::testing
