// The agent's Mesos flags that shape what it offers and how it recovers, on real daemons:
// --default_role reserves the resources given without a role, --max_completed_executors_per_
// framework bounds /state, and --strict decides whether an unreadable checkpoint stops it.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"
#include "roles_helpers.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

std::optional<json::Value> agentState(Cluster& cluster) {
  auto state = http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/state"}, 5s);
  if (!state || state->status != 200) {
    return std::nullopt;
  }
  auto doc = json::parse(state->body);
  return doc ? std::optional<json::Value>(std::move(*doc)) : std::nullopt;
}

TEST(AgentFlags, DefaultRoleReservesTheResourcesGivenWithoutARole) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:256;cpus(ops):1", {"--default_role=eng"});
  auto state = agentState(cluster);
  ASSERT_TRUE(state);
  const json::Value& reserved = (*state)["reserved_resources"];
  EXPECT_DOUBLE_EQ(reserved["eng"]["cpus"].asDouble(), 2.0) << json::stringify(*state);
  EXPECT_DOUBLE_EQ(reserved["eng"]["mem"].asDouble(), 256.0);
  EXPECT_DOUBLE_EQ(reserved["ops"]["cpus"].asDouble(), 1.0);  // a role given stays
  // Only frameworks of the role are offered them.
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("eng-fw", {"eng"})));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  for (const auto& resource : offers->offers().offers(0).resources()) {
    if (resource.name() == "cpus") {
      EXPECT_EQ(resource.reservations(0).role(), "eng") << resource.DebugString();
    }
  }
}

// Starts an agent with `flag` and expects it to stop at once (exit 1) naming `name`.
void expectRefused(const std::string& flag, const std::string& name) {
  std::string log = fmt::format("/tmp/plateau-agent-flags-{}.log", ::getpid());
  Process agent(
      "agent",
      {std::string(PLATEAU_BIN_DIR) + "/plateau-agent", "--master=127.0.0.1:1", "--port=0", flag,
       fmt::format("--work_dir=/tmp/plateau-agent-flags-{}", ::getpid())},
      log);
  int status = agent.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << flag;
  EXPECT_NE(agent.log().find("'--" + name + "'"), std::string::npos) << agent.log();
  std::remove(log.c_str());
}

TEST(AgentFlags, InvalidValuesAreRefusedNamingTheFlag) {
  expectRefused("--default_role=-bad", "default_role");
  expectRefused("--gc_disk_headroom=1.5", "gc_disk_headroom");
  expectRefused("--reconfiguration_policy=loose", "reconfiguration_policy");
  expectRefused("--max_completed_executors_per_framework=-1",
                "max_completed_executors_per_framework");
  expectRefused(R"(--domain={"fault_domain": {"region": {"name": "r"}}})", "domain");
  expectRefused("--qos_controller=org_apache_mesos_NoSuchController", "qos_controller");
  expectRefused("--qos_controller=org_apache_mesos_LoadQoSController", "qos_controller");
}

TEST(AgentFlags, CompletedExecutorsPerFrameworkAreBounded) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512", {"--max_completed_executors_per_framework=1"});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("bounded", {"*"})));
  for (const char* id : {"one", "two"}) {
    auto offers = s.next(scheduler::Event::OFFERS);
    ASSERT_TRUE(offers);
    s.launch(offers->offers().offers(0), id, "true", "cpus:0.1;mem:32");
    std::optional<v1::TaskStatus> end;
    ASSERT_TRUE(eventually([&] {
      auto update = s.nextUpdate(1s);
      if (update && update->state() == v1::TASK_FINISHED) {
        end = update;
      }
      return end.has_value();
    }));
  }
  std::string kept;
  ASSERT_TRUE(eventually([&] {
    auto state = agentState(cluster);
    if (!state) {
      return false;
    }
    for (const char* list : {"frameworks", "completed_frameworks"}) {
      for (const auto& fw : (*state)[list].asArray()) {
        const auto& done = fw["completed_executors"].asArray();
        if (done.size() == 1 && done[0]["id"].asString() == "two") {
          kept = done[0]["id"].asString();
        }
      }
    }
    return !kept.empty();
  }));
}

// A work_dir whose checkpoint names an agent and a framework whose info is not a protobuf.
std::string corruptWorkDir() {
  std::string dir = fmt::format("/tmp/plateau-strict-{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir + "/meta/frameworks/f1");
  std::ofstream(dir + "/meta/agent_id") << "a1";
  std::ofstream(dir + "/meta/frameworks/f1/framework.info") << "\xff\xff\xff\xff";
  return dir;
}

TEST(AgentFlags, StrictRecoveryStopsOnAnUnreadableCheckpointAndNoStrictGoesOn) {
  std::string dir = corruptWorkDir();
  {
    Process strict("agent",
                   {std::string(PLATEAU_BIN_DIR) + "/plateau-agent", "--master=127.0.0.1:1",
                    "--port=0", "--work_dir=" + dir, "--resources=cpus:1;mem:64"},
                   dir + "-strict.log");
    int status = strict.wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    EXPECT_NE(strict.log().find("Agent recovery failed: unreadable"), std::string::npos)
        << strict.log();
  }
  Process lenient("agent",
                  {std::string(PLATEAU_BIN_DIR) + "/plateau-agent", "--master=127.0.0.1:1",
                   "--port=0", "--work_dir=" + dir, "--resources=cpus:1;mem:64", "--no-strict"},
                  dir + "-lenient.log");
  EXPECT_NE(lenient.reportedPort("agent_started"), 0);
  EXPECT_TRUE(eventually([&] {
    return lenient.log().find("agent_recovered agent_id=a1") != std::string::npos;
  })) << lenient.log();
  EXPECT_TRUE(lenient.running());
  EXPECT_NE(lenient.log().find("checkpoint_skipped"), std::string::npos);
  lenient.kill(SIGKILL);
  lenient.wait();
  fs::remove_all(dir);
  fs::remove(dir + "-strict.log");
  fs::remove(dir + "-lenient.log");
}

// The agent's argv as Cluster::addAgent starts agent 0 (its port kept), with `resources`.
std::vector<std::string> agentArgv(Cluster& cluster, const std::string& resources,
                                   const std::string& policy) {
  return {std::string(PLATEAU_BIN_DIR) + "/plateau-agent",
          fmt::format("--master=127.0.0.1:{}", cluster.master().port),
          "--ip=127.0.0.1",
          fmt::format("--port={}", cluster.agentEndpoint(0).port),
          fmt::format("--work_dir={}/agent0", cluster.dir()),
          "--resources=" + resources,
          "--switch_user=false",
          "--reconfiguration_policy=" + policy};
}

// Starts agent 0 again as `argv` says, and returns its exit status (it must refuse to start).
int refusedStart(Cluster& cluster, const std::vector<std::string>& argv, std::string* log) {
  Process agent("agent", argv, cluster.dir() + "/refused.log");
  int status = agent.wait();
  *log = agent.log();
  return status;
}

TEST(AgentFlags, ReconfigurationPolicyDecidesWhatARestartedAgentMayChange) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256");
  std::string id = json::parse(cluster.get("/master/slaves")).value()["slaves"][0]["id"].asString();
  ASSERT_TRUE(eventually([&] {  // registered: what it registered with is checkpointed
    return cluster.agent(0).log().find("agent_registered") != std::string::npos;
  }));
  // More cpus under the default policy (equal): refused, naming the policy and the way out.
  cluster.agent(0).kill(SIGKILL);
  cluster.agent(0).wait();
  std::string log;
  int status = refusedStart(cluster, agentArgv(cluster, "cpus:2;mem:256", "equal"), &log);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << log;
  EXPECT_NE(log.find("Incompatible agent info (resources changed"), std::string::npos) << log;
  EXPECT_NE(log.find("--recover=cleanup"), std::string::npos) << log;
  // Under additive the same change is taken: it recovers as the same agent.
  auto additive = std::make_unique<Process>(
      "agent", agentArgv(cluster, "cpus:2;mem:256", "additive"), cluster.dir() + "/additive.log");
  EXPECT_TRUE(eventually([&] {
    auto slaves = json::parse(cluster.get("/master/slaves"));
    if (!slaves || (*slaves)["slaves"].asArray().size() != 1) {
      return false;
    }
    // The same agent (with its grown total: agent_reconfiguration_test.cc).
    const auto& agent = (*slaves)["slaves"][0];
    return agent["id"].asString() == id && agent["active"].asBool();
  })) << cluster.get("/master/slaves");
  EXPECT_TRUE(eventually([&] {
    return additive->log().find("agent_registered agent_id=" + id) != std::string::npos;
  })) << additive->log();
  additive->kill(SIGKILL);
  additive->wait();
  // Taking resources away is refused even under additive.
  status = refusedStart(cluster, agentArgv(cluster, "cpus:1;mem:256", "additive"), &log);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << log;
  EXPECT_NE(log.find("Incompatible agent info"), std::string::npos) << log;
}

}  // namespace
}  // namespace plateau::testing
