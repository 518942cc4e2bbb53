// The operator's holds on agents, as Mesos's operator API docs show them in JSON:
// DEACTIVATE_AGENT and REACTIVATE_AGENT (offers stop and resume), DRAIN_AGENT (tasks killed,
// DRAINING then DRAINED, in GET_AGENTS and /master/slaves, kept across a master restart) and
// a drain with mark_gone, against a real master and agent.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "docs_json_ops.h"
#include "harness.h"

namespace plateau::testing {
namespace {

constexpr const char* kSubscribe = R"({
  "type": "SUBSCRIBE",
  "subscribe": {"framework_info": {"user": "foo", "name": "drain test", "checkpoint": true}}
})";

Reply agentCall(const http::Endpoint& master, const std::string& type, const std::string& agent,
                const std::string& extra = "") {
  std::string field = type;
  for (auto& c : field) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return post(master, "/api/v1",
              fmt::format(R"({{"type": "{}", "{}": {{"agent_id": {{"value": "{}"}}{}}}}})", type,
                          field, agent, extra));
}

json::Value agentView(const http::Endpoint& master) {
  auto agents = post(master, "/api/v1", R"({"type": "GET_AGENTS"})");
  EXPECT_EQ(agents.status, 200) << agents.body;
  return agents.json["get_agents"]["agents"][0];
}

json::Value slavesEntry(const http::Endpoint& master) {
  auto slaves = send(master, "GET", "/master/slaves", "");
  EXPECT_EQ(slaves.status, 200) << slaves.body;
  return slaves.json["slaves"][0];
}

// After a master restart: the agent re-registered (a held agent is not "active").
bool agentBack(const http::Endpoint& master) {
  auto agents = post(master, "/api/v1", R"({"type": "GET_AGENTS"})");
  return agents.status == 200 && agents.json["get_agents"]["agents"].asArray().size() == 1;
}

std::string drainState(const http::Endpoint& master) {
  const json::Value view = agentView(master);
  const auto& info = view["drain_info"];
  return info.isObject() ? info["state"].asString() : "";
}

void launchSleeper(JsonScheduler& s, const json::Value& offer) {
  auto launched = s.post(fmt::format(R"({{
    "framework_id": {{"value": "{}"}}, "type": "ACCEPT",
    "accept": {{"offer_ids": [{{"value": "{}"}}], "operations": [{{"type": "LAUNCH",
      "launch": {{"task_infos": [{{"name": "sleeper", "task_id": {{"value": "sleeper"}},
        "agent_id": {{"value": "{}"}},
        "resources": [{{"name": "cpus", "type": "SCALAR", "scalar": {{"value": 0.1}}}},
                      {{"name": "mem", "type": "SCALAR", "scalar": {{"value": 32}}}}],
        "command": {{"value": "sleep 600"}},
        "kill_policy": {{"grace_period": {{"nanoseconds": 60000000000}}}}}}]}}}}]}}}})",
                                     s.frameworkId(), offer["id"]["value"].asString(),
                                     offer["agent_id"]["value"].asString()));
  ASSERT_EQ(launched.status, 202) << launched.body;
}

// The next UPDATE in `state` (its status), acknowledged as every update before it.
std::optional<json::Value> awaitUpdate(JsonScheduler& s, const std::string& state) {
  while (auto update = s.next("UPDATE")) {
    json::Value status = (*update)["update"]["status"];
    if (status["uuid"].isString()) {
      auto acked =
          s.post(fmt::format(R"({{"framework_id": {{"value": "{}"}}, "type": "ACKNOWLEDGE",
          "acknowledge": {{"agent_id": {{"value": "{}"}}, "task_id": {{"value": "{}"}},
                           "uuid": "{}"}}}})",
                             s.frameworkId(), status["agent_id"]["value"].asString(),
                             status["task_id"]["value"].asString(), status["uuid"].asString()));
      EXPECT_EQ(acked.status, 202) << acked.body;
    }
    if (isString(status["state"], state)) return status;
  }
  return std::nullopt;
}

// Subscribes, runs the sleeper on the first offer and waits until it runs; its agent's id ("" on
// failure, which the test asserts).
std::string runSleeper(JsonScheduler& s) {
  if (!s.subscribe(kSubscribe)) {
    return "";
  }
  auto offer = s.offerWhere([](const json::Value&) { return true; });
  if (!offer) {
    return "";
  }
  launchSleeper(s, *offer);
  return awaitUpdate(s, "TASK_RUNNING") ? (*offer)["agent_id"]["value"].asString() : "";
}

TEST(OperatorDrain, DeactivateReactivateAndBadArguments) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:1024");
  auto master = cluster.master();
  const std::string agent = agentIdOf(cluster);
  JsonScheduler s(master);
  ASSERT_TRUE(s.subscribe(kSubscribe));
  ASSERT_TRUE(s.next("OFFERS"));

  EXPECT_EQ(agentCall(master, "DEACTIVATE_AGENT", "no-such-agent").status, 400);
  EXPECT_EQ(agentCall(master, "DRAIN_AGENT", "no-such-agent").status, 400);
  EXPECT_EQ(agentCall(master, "REACTIVATE_AGENT", agent).status, 400);  // not deactivated
  EXPECT_EQ(post(master, "/api/v1", R"({"type": "DRAIN_AGENT"})").status, 400);
  EXPECT_EQ(
      agentCall(master, "DRAIN_AGENT", agent, R"(, "max_grace_period": {"seconds": -1})").status,
      400);
  EXPECT_TRUE(agentView(master)["active"].asBool());

  auto deactivated = agentCall(master, "DEACTIVATE_AGENT", agent);
  EXPECT_EQ(deactivated.status, 200) << deactivated.body;
  EXPECT_TRUE(s.next("RESCIND"));  // its outstanding offer goes
  auto view = agentView(master);
  EXPECT_TRUE(view["deactivated"].asBool());
  EXPECT_FALSE(view["active"].asBool());
  EXPECT_FALSE(view["drain_info"].isObject());
  EXPECT_TRUE(slavesEntry(master)["deactivated"].asBool());
  EXPECT_EQ(s.post(fmt::format(R"({{"framework_id": {{"value": "{}"}}, "type": "REVIVE"}})",
                               s.frameworkId()))
                .status,
            202);
  EXPECT_FALSE(s.next("OFFERS", 2s));  // no offer while deactivated

  cluster.restartMaster();  // the hold is in the registry
  ASSERT_TRUE(eventually([&] { return agentBack(master); }));
  EXPECT_TRUE(agentView(master)["deactivated"].asBool());

  EXPECT_EQ(agentCall(master, "REACTIVATE_AGENT", agent).status, 200);
  view = agentView(master);
  EXPECT_FALSE(view["deactivated"].asBool());
  EXPECT_TRUE(eventually([&] { return agentView(master)["active"].asBool(); }));
  EXPECT_FALSE(slavesEntry(master)["deactivated"].asBool());
}

// Whether GET_AGENTS lists no agent (a drain with mark_gone removed it).
bool noAgentListed(const http::Endpoint& master) {
  auto agents = post(master, "/api/v1", R"({"type": "GET_AGENTS"})");
  return agents.status == 200 && agents.json["get_agents"]["agents"].asArray().empty();
}

// A master, one agent, and a scheduler whose sleeper runs on the agent.
class OperatorDrainTask : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.addAgent("cpus:2;mem:1024");
    agent_ = runSleeper(s_);
    ASSERT_FALSE(agent_.empty());
  }

  Cluster cluster_;
  http::Endpoint master_ = cluster_.master();
  JsonScheduler s_{master_};
  std::string agent_;
};

TEST_F(OperatorDrainTask, DrainKillsTasksThenDrainedSurvivesFailoverAndMarkGone) {
  // The agent's /containers shows the task's executor container, in Mesos's shape.
  auto containers = send(cluster_.agentEndpoint(0), "GET", "/containers", "");
  ASSERT_EQ(containers.status, 200) << containers.body;
  ASSERT_EQ(containers.json.asArray().size(), 1u) << containers.body;
  const auto& container = containers.json[0];
  EXPECT_TRUE(isString(container["framework_id"], s_.frameworkId())) << containers.body;
  EXPECT_FALSE(container["container_id"].asString().empty()) << containers.body;
  EXPECT_TRUE(isString(container["container_status"]["container_id"]["value"],
                       container["container_id"].asString()))
      << containers.body;
  EXPECT_TRUE(container["statistics"].isObject()) << containers.body;

  // The docs' call: a grace period bound far below the task's own minute.
  auto drained = agentCall(master_, "DRAIN_AGENT", agent_,
                           R"(, "max_grace_period": {"seconds": 1}, "mark_gone": false)");
  ASSERT_EQ(drained.status, 200) << drained.body;
  auto view = agentView(master_);
  EXPECT_TRUE(view["deactivated"].asBool());
  EXPECT_TRUE(isString(view["drain_info"]["state"], "DRAINING")) << json::stringify(view);
  EXPECT_EQ(view["drain_info"]["config"]["max_grace_period"]["nanoseconds"].toInt64().value_or(0),
            1'000'000'000);
  EXPECT_FALSE(view["drain_info"]["config"]["mark_gone"].asBool());
  EXPECT_TRUE(isString(slavesEntry(master_)["drain_info"]["state"], "DRAINING"));

  auto killed = awaitUpdate(s_, "TASK_KILLED");  // well within the task's own grace period
  ASSERT_TRUE(killed);
  EXPECT_TRUE(isString((*killed)["reason"], "REASON_AGENT_DRAINING")) << json::stringify(*killed);
  EXPECT_TRUE(eventually([&] { return drainState(master_) == "DRAINED"; }));
  EXPECT_TRUE(isString(slavesEntry(master_)["drain_info"]["state"], "DRAINED"));

  cluster_.restartMaster();
  ASSERT_TRUE(eventually([&] { return agentBack(master_); }));
  EXPECT_EQ(drainState(master_), "DRAINED");
  EXPECT_TRUE(agentView(master_)["deactivated"].asBool());

  // Reactivated, then drained for good: with no task left it is DRAINED at once, then gone.
  EXPECT_EQ(agentCall(master_, "REACTIVATE_AGENT", agent_).status, 200);
  EXPECT_FALSE(agentView(master_)["drain_info"].isObject());
  EXPECT_EQ(agentCall(master_, "DRAIN_AGENT", agent_, R"(, "mark_gone": true)").status, 200);
  EXPECT_TRUE(eventually([&] { return noAgentListed(master_); }));
  EXPECT_EQ(agentCall(master_, "DRAIN_AGENT", agent_).status, 400);  // gone: unknown
}

// With mark_gone, a task the drain kills ends TASK_GONE_BY_OPERATOR, as on Mesos's agent.
TEST_F(OperatorDrainTask, MarkGoneDrainEndsTasksGoneByOperator) {
  ASSERT_EQ(agentCall(master_, "DRAIN_AGENT", agent_,
                      R"(, "max_grace_period": {"seconds": 1}, "mark_gone": true)")
                .status,
            200);
  auto gone = awaitUpdate(s_, "TASK_GONE_BY_OPERATOR");
  ASSERT_TRUE(gone);
  EXPECT_TRUE(isString((*gone)["reason"], "REASON_AGENT_DRAINING")) << json::stringify(*gone);
  EXPECT_TRUE(eventually([&] { return noAgentListed(master_); }));
}

}  // namespace
}  // namespace plateau::testing
