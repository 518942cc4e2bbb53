// The JSON conversations of Mesos's docs for quota, and for reservations and persistent volumes
// made by an operator (the v1 operator API and the legacy form-encoded endpoints), sent as
// hand-written JSON over HTTP to a real cluster. Every response is checked for its status, its
// Content-Type and the JSON shape the docs show.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "docs_json_ops.h"
#include "harness.h"

namespace plateau::testing {
namespace {

TEST(DocsJsonOps, QuotaCallsAndTheLegacyQuotaEndpoint) {
  Cluster cluster;
  cluster.addAgent("cpus:16;mem:8192;disk:8192");
  auto master = cluster.master();

  auto updated = post(master, "/api/v1", R"({
    "type": "UPDATE_QUOTA",
    "update_quota": {
      "force": false,
      "quota_configs": [{
        "role": "dev",
        "limits": {"cpus": {"value": 10}, "mem": {"value": 2048}, "disk": {"value": 4096}},
        "guarantees": {"cpus": {"value": 1}, "mem": {"value": 512}, "disk": {"value": 1024}}
      }]
    }
  })");
  EXPECT_EQ(updated.status, 200) << updated.body;

  auto got = post(master, "/api/v1", R"({"type": "GET_QUOTA"})");
  expectJson200(got, "GET_QUOTA");
  EXPECT_TRUE(isString(got.json["type"], "GET_QUOTA")) << got.body;
  const auto& status = got.json["get_quota"]["status"];
  ASSERT_TRUE(status.isObject()) << got.body;
  const auto& config = status["configs"][0];
  EXPECT_TRUE(isString(config["role"], "dev")) << got.body;
  EXPECT_TRUE(isNumber(config["limits"]["cpus"]["value"], 10)) << got.body;
  EXPECT_TRUE(isNumber(config["limits"]["mem"]["value"], 2048)) << got.body;
  EXPECT_TRUE(isNumber(config["guarantees"]["disk"]["value"], 1024)) << got.body;
  // The deprecated "infos" still list the guarantee as resources.
  const auto& info = status["infos"][0];
  EXPECT_TRUE(isString(info["role"], "dev")) << got.body;
  for (const auto& r : info["guarantee"].asArray()) {
    EXPECT_TRUE(r["name"].isString());
    EXPECT_TRUE(isString(r["type"], "SCALAR")) << got.body;
    EXPECT_TRUE(r["scalar"]["value"].isNumber()) << got.body;
  }
  EXPECT_EQ(scalarOf(info["guarantee"], "cpus"), 1) << got.body;

  // The legacy endpoint, with the docs' body.
  auto set = post(master, "/quota", R"({
    "role": "role1",
    "guarantee": [
      {"name": "cpus", "type": "SCALAR", "scalar": {"value": 12}},
      {"name": "mem", "type": "SCALAR", "scalar": {"value": 6144}}
    ]
  })");
  EXPECT_EQ(set.status, 200) << set.body;
  auto legacy = send(master, "GET", "/quota", "");
  expectJson200(legacy, "GET /quota");
  const json::Value* role1 = nullptr;
  for (const auto& i : legacy.json["infos"].asArray()) {
    if (isString(i["role"], "role1")) role1 = &i;
  }
  ASSERT_NE(role1, nullptr) << legacy.body;
  ASSERT_EQ((*role1)["guarantee"].size(), 2u) << legacy.body;
  EXPECT_TRUE(isString((*role1)["guarantee"][0]["type"], "SCALAR")) << legacy.body;
  EXPECT_TRUE(isString((*role1)["guarantee"][0]["role"], "*")) << legacy.body;
  EXPECT_EQ(scalarOf((*role1)["guarantee"], "cpus"), 12) << legacy.body;
  EXPECT_EQ(scalarOf((*role1)["guarantee"], "mem"), 6144) << legacy.body;
  // Also under /master/quota.
  auto prefixed = send(master, "GET", "/master/quota", "");
  expectJson200(prefixed, "GET /master/quota");

  EXPECT_EQ(send(master, "DELETE", "/quota/role1", "").status, 200);
  auto after = send(master, "GET", "/quota", "");
  for (const auto& i : after.json["infos"].asArray()) {
    EXPECT_FALSE(isString(i["role"], "role1")) << after.body;
  }
}

// --- reservations and volumes through the operator API --------------------------------------

TEST(DocsJsonOps, OperatorReservesCreatesDestroysAndUnreserves) {
  Cluster cluster;
  // The docs' volume sits on disk reserved for role1 without a principal: a static reservation.
  cluster.addAgent("cpus:4;mem:2048;disk:1024;disk(role1):64");
  auto master = cluster.master();
  std::string agent = agentIdOf(cluster);
  ASSERT_FALSE(agent.empty());

  auto agents = post(master, "/api/v1", R"({"type": "GET_AGENTS"})");
  expectJson200(agents, "GET_AGENTS");
  const auto& listed = agents.json["get_agents"]["agents"][0];
  EXPECT_TRUE(listed["active"].isBool()) << agents.body;
  EXPECT_TRUE(listed["pid"].isString()) << agents.body;
  EXPECT_TRUE(listed["version"].isString()) << agents.body;
  EXPECT_TRUE(listed["registered_time"]["nanoseconds"].isNumber()) << agents.body;
  EXPECT_TRUE(listed["agent_info"]["hostname"].isString()) << agents.body;
  EXPECT_TRUE(listed["agent_info"]["port"].isNumber()) << agents.body;

  // The docs' body: unreserved `source`, and `resources` with a stack of reservations.
  const std::string resources = R"([
      {"type": "SCALAR", "name": "cpus", "scalar": {"value": 1.0},
       "reservations": [{"type": "DYNAMIC", "role": "role", "principal": "my-principal"}]},
      {"type": "SCALAR", "name": "mem", "scalar": {"value": 512.0},
       "reservations": [{"type": "DYNAMIC", "role": "role", "principal": "my-principal"}]}
    ])";
  auto reserved = post(master, "/api/v1",
                       fmt::format(R"({{
    "type": "RESERVE_RESOURCES",
    "reserve_resources": {{
      "agent_id": {{"value": "{}"}},
      "source": [
        {{"type": "SCALAR", "name": "cpus", "scalar": {{"value": 1.0}}}},
        {{"type": "SCALAR", "name": "mem", "scalar": {{"value": 512.0}}}}
      ],
      "resources": {}
    }}
  }})",
                                   agent, resources));
  EXPECT_EQ(reserved.status, 202) << reserved.body;

  auto reservedOf = [&](const std::string& name, const std::string& role) {
    auto agents = post(master, "/api/v1", R"({"type": "GET_AGENTS"})");
    for (const auto& r : agents.json["get_agents"]["agents"][0]["total_resources"].asArray()) {
      if (isString(r["name"], name) && isString(r["reservations"][0]["role"], role)) return r;
    }
    return json::Value();
  };
  ASSERT_TRUE(eventually([&] { return !reservedOf("mem", "role").isNull(); }));
  auto cpus = reservedOf("cpus", "role");
  EXPECT_TRUE(isString(cpus["reservations"][0]["type"], "DYNAMIC")) << json::stringify(cpus);
  EXPECT_TRUE(isString(cpus["reservations"][0]["principal"], "my-principal"))
      << json::stringify(cpus);
  EXPECT_TRUE(isNumber(cpus["scalar"]["value"], 1)) << json::stringify(cpus);
  auto disk = reservedOf("disk", "role1");
  EXPECT_TRUE(isString(disk["reservations"][0]["type"], "STATIC")) << json::stringify(disk);

  const std::string volume = R"([{
        "type": "SCALAR",
        "disk": {
          "persistence": {"id": "id1", "principal": "my-principal"},
          "volume": {"container_path": "path1", "mode": "RW"}
        },
        "name": "disk",
        "role": "role1",
        "scalar": {"value": 64.0}
      }])";
  auto created = post(master, "/api/v1",
                      fmt::format(R"({{
    "type": "CREATE_VOLUMES",
    "create_volumes": {{"agent_id": {{"value": "{}"}}, "volumes": {}}}
  }})",
                                  agent, volume));
  EXPECT_EQ(created.status, 202) << created.body;
  ASSERT_TRUE(eventually([&] { return reservedOf("disk", "role1").find("disk") != nullptr; }));
  disk = reservedOf("disk", "role1");
  EXPECT_TRUE(isString(disk["disk"]["persistence"]["id"], "id1")) << json::stringify(disk);
  EXPECT_TRUE(isString(disk["disk"]["persistence"]["principal"], "my-principal"))
      << json::stringify(disk);
  EXPECT_TRUE(isString(disk["disk"]["volume"]["mode"], "RW")) << json::stringify(disk);
  EXPECT_TRUE(isString(disk["disk"]["volume"]["container_path"], "path1")) << json::stringify(disk);

  auto destroyed = post(master, "/api/v1",
                        fmt::format(R"({{
    "type": "DESTROY_VOLUMES",
    "destroy_volumes": {{"agent_id": {{"value": "{}"}}, "volumes": {}}}
  }})",
                                    agent, volume));
  EXPECT_EQ(destroyed.status, 202) << destroyed.body;
  ASSERT_TRUE(eventually([&] {
    auto d = reservedOf("disk", "role1");
    return !d.isNull() && d.find("disk") == nullptr;
  }));

  auto unreserved = post(master, "/api/v1",
                         fmt::format(R"({{
    "type": "UNRESERVE_RESOURCES",
    "unreserve_resources": {{"agent_id": {{"value": "{}"}}, "resources": {}}}
  }})",
                                     agent, resources));
  EXPECT_EQ(unreserved.status, 202) << unreserved.body;
  EXPECT_TRUE(eventually(
      [&] { return reservedOf("cpus", "role").isNull() && reservedOf("mem", "role").isNull(); }));
}

// The legacy endpoints take form-encoded bodies: slaveId plus a JSON array.
TEST(DocsJsonOps, LegacyReserveAndVolumeEndpointsTakeFormBodies) {
  Cluster cluster;
  cluster.addAgent("cpus:4;mem:2048;disk:1024");
  auto master = cluster.master();
  std::string agent = agentIdOf(cluster);
  const std::string form = "application/x-www-form-urlencoded";
  const std::string resources = http::urlEncode(R"([
    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1},
     "role": "ads", "reservation": {"principal": "ops"}},
    {"name": "disk", "type": "SCALAR", "scalar": {"value": 32},
     "role": "ads", "reservation": {"principal": "ops"}}
  ])");
  auto reserved =
      send(master, "POST", "/master/reserve", "slaveId=" + agent + "&resources=" + resources, form);
  EXPECT_EQ(reserved.status, 202) << reserved.body;
  const std::string volumes = http::urlEncode(R"([
    {"name": "disk", "type": "SCALAR", "scalar": {"value": 32},
     "role": "ads", "reservation": {"principal": "ops"},
     "disk": {"persistence": {"id": "id1", "principal": "ops"},
              "volume": {"mode": "RW", "container_path": "path1"}}}
  ])");
  auto slaves = [&] { return send(master, "GET", "/master/slaves", "").json["slaves"][0]; };
  ASSERT_TRUE(eventually([&] { return slaves()["reserved_resources"].find("ads") != nullptr; }));
  auto created = send(master, "POST", "/master/create-volumes",
                      "slaveId=" + agent + "&volumes=" + volumes, form);
  EXPECT_EQ(created.status, 202) << created.body;
  ASSERT_TRUE(eventually([&] {
    json::Value slave = slaves();
    for (const auto& r : slave["reserved_resources_full"]["ads"].asArray()) {
      if (isString(r["disk"]["persistence"]["id"], "id1")) return true;
    }
    return false;
  })) << json::stringify(slaves());
  auto destroyed = send(master, "POST", "/master/destroy-volumes",
                        "slaveId=" + agent + "&volumes=" + volumes, form);
  EXPECT_EQ(destroyed.status, 202) << destroyed.body;
  ASSERT_TRUE(eventually([&] {
    json::Value slave = slaves();
    for (const auto& r : slave["reserved_resources_full"]["ads"].asArray()) {
      if (r.find("disk") != nullptr && r["disk"].find("persistence") != nullptr) return false;
    }
    return true;
  }));
  auto unreserved = send(master, "POST", "/master/unreserve",
                         "slaveId=" + agent + "&resources=" + resources, form);
  EXPECT_EQ(unreserved.status, 202) << unreserved.body;
  EXPECT_TRUE(eventually([&] { return slaves()["reserved_resources"].find("ads") == nullptr; }));

  // Bad requests are refused with a message naming what is wrong.
  auto no_agent = send(master, "POST", "/reserve", "resources=" + resources, form);
  EXPECT_EQ(no_agent.status, 400);
  EXPECT_NE(no_agent.body.find("slaveId"), std::string::npos) << no_agent.body;
  auto bad_json = send(master, "POST", "/reserve", "slaveId=" + agent + "&resources=%5Bnope", form);
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_NE(bad_json.body.find("resources"), std::string::npos) << bad_json.body;
  auto no_volumes = send(master, "POST", "/create-volumes", "slaveId=" + agent, form);
  EXPECT_EQ(no_volumes.status, 400);
  EXPECT_NE(no_volumes.body.find("volumes"), std::string::npos) << no_volumes.body;
  auto get = send(master, "GET", "/master/reserve", "");
  EXPECT_EQ(get.status, 405);
}

}  // namespace
}  // namespace plateau::testing
