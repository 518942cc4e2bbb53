// An agent restarted under --reconfiguration_policy=additive with more resources and attributes
// than it registered with: the master takes its new total, as Mesos's master takes the new
// AgentInfo, while the reservations made on the agent stay.

#include <signal.h>

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "docs_json_ops.h"
#include "harness.h"

namespace plateau::testing {
namespace {

std::vector<std::string> agentArgv(Cluster& cluster, const std::string& resources,
                                   const std::string& attributes) {
  return {std::string(PLATEAU_BIN_DIR) + "/plateau-agent",
          fmt::format("--master=127.0.0.1:{}", cluster.master().port),
          "--ip=127.0.0.1",
          fmt::format("--port={}", cluster.agentEndpoint(0).port),
          fmt::format("--work_dir={}/agent0", cluster.dir()),
          "--resources=" + resources,
          "--attributes=" + attributes,
          "--switch_user=false",
          "--reconfiguration_policy=additive"};
}

// The agent of GET_AGENTS.
json::Value listedAgent(Cluster& cluster) {
  auto agents = post(cluster.master(), "/api/v1", R"({"type": "GET_AGENTS"})");
  return agents.json["get_agents"]["agents"][0];
}

// The role a resource is reserved for ("*": unreserved), in either of Mesos's formats: the
// reservation stack, or (to a framework without RESERVATION_REFINEMENT) the `role` field.
std::string reservedFor(const json::Value& r) {
  if (r["reservations"].isArray() && !r["reservations"].asArray().empty()) {
    return r["reservations"].asArray().back()["role"].asString();
  }
  return r["role"].isString() ? r["role"].asString() : "*";
}

// The sum of the named scalar over `resources` reserved for `role` ("*": unreserved).
double scalarFor(const json::Value& resources, const std::string& name, const std::string& role) {
  double total = 0;
  for (const auto& r : resources.asArray()) {
    if (isString(r["name"], name) && reservedFor(r) == role) {
      total += r["scalar"]["value"].asDouble();
    }
  }
  return total;
}

TEST(AgentReconfiguration, TheMasterTakesWhatAnAdditiveRestartAdded) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:256", {"--attributes=rack:r1", "--reconfiguration_policy=additive"});
  Process* agent = &cluster.agent(0);
  const std::string id = agentIdOf(cluster);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(
      eventually([&] { return agent->log().find("agent_registered") != std::string::npos; }));

  // One cpu reserved for "web": the agent checkpoints it, the restarted agent must keep it.
  auto reserved = post(cluster.master(), "/api/v1",
                       fmt::format(R"({{
    "type": "RESERVE_RESOURCES",
    "reserve_resources": {{
      "agent_id": {{"value": "{}"}},
      "resources": [{{"type": "SCALAR", "name": "cpus", "scalar": {{"value": 1}},
                     "reservations": [{{"type": "DYNAMIC", "role": "web"}}]}}]
    }}}})",
                                   id));
  ASSERT_EQ(reserved.status, 202) << reserved.body;
  ASSERT_TRUE(eventually([&] {
    auto state = http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/state"}, 5s);
    return state && state->body.find("\"web\"") != std::string::npos;
  }));

  cluster.agent(0).kill(SIGKILL);
  cluster.agent(0).wait();
  Process restarted("agent", agentArgv(cluster, "cpus:4;mem:512;gpus:0", "rack:r1;zone:z1"),
                    cluster.dir() + "/restarted.log");
  ASSERT_TRUE(eventually([&] {
    return restarted.log().find("agent_registered agent_id=" + id) != std::string::npos;
  })) << restarted.log();

  // The operator API: the same agent, its total grown, the reservation kept, the new attribute.
  json::Value listed;
  ASSERT_TRUE(eventually([&] {
    listed = listedAgent(cluster);
    return scalarFor(listed["total_resources"], "cpus", "*") == 3;
  })) << json::stringify(listed);
  EXPECT_TRUE(isString(listed["agent_info"]["id"]["value"], id));
  EXPECT_EQ(scalarFor(listed["total_resources"], "cpus", "web"), 1) << json::stringify(listed);
  EXPECT_EQ(scalarFor(listed["total_resources"], "mem", "*"), 512) << json::stringify(listed);
  EXPECT_EQ(scalarFor(listed["agent_info"]["resources"], "cpus", "*"), 3)
      << json::stringify(listed);
  bool zone = false;
  for (const auto& a : listed["agent_info"]["attributes"].asArray()) {
    zone = zone || (isString(a["name"], "zone") && isString(a["text"]["value"], "z1"));
  }
  EXPECT_TRUE(zone) << json::stringify(listed);

  // /master/state and /master/slaves show the same.
  for (const std::string path : {"/master/state", "/master/slaves"}) {
    auto state = json::parse(cluster.get(path));
    ASSERT_TRUE(state.has_value()) << path;
    const auto& slave = (*state)["slaves"][0];
    EXPECT_TRUE(isNumber(slave["resources"]["cpus"], 4)) << path << json::stringify(slave);
    EXPECT_TRUE(isNumber(slave["resources"]["mem"], 512)) << path << json::stringify(slave);
    EXPECT_TRUE(isNumber(slave["reserved_resources"]["web"]["cpus"], 1))
        << path << json::stringify(slave);
    EXPECT_TRUE(isString(slave["attributes"]["zone"], "z1")) << path << json::stringify(slave);
  }

  // Offers reflect it: a framework of "web" is offered the reserved cpu and the three added to
  // the unreserved ones.
  JsonScheduler scheduler(cluster.master());
  ASSERT_TRUE(scheduler.subscribe(R"({"type": "SUBSCRIBE", "subscribe": {"framework_info": {
      "user": "u", "name": "grown", "roles": ["web"],
      "capabilities": [{"type": "MULTI_ROLE"}]}}})"));
  auto offer = scheduler.offerWhere([](const json::Value& o) {
    return scalarFor(o["resources"], "cpus", "*") == 3 &&
           scalarFor(o["resources"], "cpus", "web") == 1;
  });
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(scalarFor((*offer)["resources"], "mem", "*"), 512) << json::stringify(*offer);
  restarted.kill(SIGKILL);
  restarted.wait();
}

// A framework subscribed with an offer constraint that only the restarted agent's new attribute
// satisfies: its offers come once the agent is back, and carry the new attribute.
TEST(AgentReconfiguration, OfferConstraintsSeeAttributesAddedByARestart) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:256", {"--attributes=rack:r1", "--reconfiguration_policy=additive"});
  const std::string id = agentIdOf(cluster);
  ASSERT_FALSE(id.empty());
  JsonScheduler scheduler(cluster.master());
  ASSERT_TRUE(scheduler.subscribe(R"({"type": "SUBSCRIBE", "subscribe": {
      "framework_info": {"user": "u", "name": "zoned", "roles": ["web"],
                         "capabilities": [{"type": "MULTI_ROLE"}]},
      "offer_constraints": {"role_constraints": {"web": {"groups": [{"attribute_constraints": [{
          "selector": {"attribute_name": "zone"},
          "predicate": {"text_equals": {"value": "z1"}}}]}]}}}}})"));

  cluster.agent(0).kill(SIGKILL);
  cluster.agent(0).wait();
  Process restarted("agent", agentArgv(cluster, "cpus:2;mem:256", "rack:r1;zone:z1"),
                    cluster.dir() + "/restarted.log");
  ASSERT_TRUE(eventually([&] {
    return restarted.log().find("agent_registered agent_id=" + id) != std::string::npos;
  })) << restarted.log();

  auto offer = scheduler.offerWhere(
      [&](const json::Value& o) { return isString(o["agent_id"]["value"], id); });
  ASSERT_TRUE(offer.has_value()) << "no offer after the agent gained zone:z1";
  bool zone = false;
  for (const auto& a : (*offer)["attributes"].asArray()) {
    zone = zone || (isString(a["name"], "zone") && isString(a["text"]["value"], "z1"));
  }
  EXPECT_TRUE(zone) << json::stringify(*offer);
  restarted.kill(SIGKILL);
  restarted.wait();
}

}  // namespace
}  // namespace plateau::testing
