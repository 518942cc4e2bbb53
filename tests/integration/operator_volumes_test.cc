// GROW_VOLUME and SHRINK_VOLUME with the JSON of Mesos's operator API docs (the legacy "role"
// form of reserved disk), against a real master and agent: the agent's total changes, and bad
// arguments answer 400.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "docs_json_ops.h"
#include "harness.h"

namespace plateau::testing {
namespace {

std::string volumeJson(double size) {
  return fmt::format(R"({{
      "disk": {{"persistence": {{"id": "id1", "principal": "my-principal"}},
                "volume": {{"container_path": "path1", "mode": "RW"}}}},
      "name": "disk", "role": "role1", "scalar": {{"value": {}}}, "type": "SCALAR"}})",
                     size);
}

// The sizes of the agent's disk resources reserved to role1: the volume id1's and the plain.
std::pair<double, double> role1Disk(const http::Endpoint& master) {
  auto agents = post(master, "/api/v1", R"({"type": "GET_AGENTS"})");
  double volume = 0;
  double plain = 0;
  for (const auto& r : agents.json["get_agents"]["agents"][0]["total_resources"].asArray()) {
    if (!isString(r["name"], "disk") || !isString(r["reservations"][0]["role"], "role1")) {
      continue;
    }
    (r["disk"]["persistence"]["id"].isString() ? volume : plain) += r["scalar"]["value"].asDouble();
  }
  return {volume, plain};
}

TEST(OperatorVolumes, GrowAndShrinkAPersistentVolume) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:512;disk:1024;disk(role1):256");
  auto master = cluster.master();
  const std::string agent = agentIdOf(cluster);
  auto created = post(master, "/api/v1",
                      fmt::format(R"({{"type": "CREATE_VOLUMES", "create_volumes": {{
      "agent_id": {{"value": "{}"}}, "volumes": [{}]}}}})",
                                  agent, volumeJson(64)));
  ASSERT_EQ(created.status, 202) << created.body;
  ASSERT_TRUE(eventually([&] { return role1Disk(master) == std::pair(64.0, 192.0); }));

  // The docs' GROW_VOLUME: 64 more.
  auto grown = post(master, "/api/v1",
                    fmt::format(R"({{"type": "GROW_VOLUME", "grow_volume": {{
      "agent_id": {{"value": "{}"}}, "volume": {},
      "addition": {{"name": "disk", "role": "role1", "scalar": {{"value": 64.0}},
                    "type": "SCALAR"}}}}}})",
                                agent, volumeJson(64)));
  EXPECT_EQ(grown.status, 202) << grown.body;
  EXPECT_EQ(role1Disk(master), std::pair(128.0, 128.0));

  // The docs' SHRINK_VOLUME: 32 less, given back as reserved disk.
  auto shrunk = post(master, "/api/v1",
                     fmt::format(R"({{"type": "SHRINK_VOLUME", "shrink_volume": {{
      "agent_id": {{"value": "{}"}}, "volume": {}, "subtract": {{"value": 32.0}}}}}})",
                                 agent, volumeJson(128)));
  EXPECT_EQ(shrunk.status, 202) << shrunk.body;
  EXPECT_EQ(role1Disk(master), std::pair(96.0, 160.0));

  // Bad arguments: the volume's size is not what the agent has, the subtraction is too big,
  // the addition is reserved elsewhere, the call's field or agent is missing.
  auto stale = post(master, "/api/v1",
                    fmt::format(R"({{"type": "SHRINK_VOLUME", "shrink_volume": {{
      "agent_id": {{"value": "{}"}}, "volume": {}, "subtract": {{"value": 1.0}}}}}})",
                                agent, volumeJson(128)));
  EXPECT_EQ(stale.status, 400) << stale.body;
  auto too_much = post(master, "/api/v1",
                       fmt::format(R"({{"type": "SHRINK_VOLUME", "shrink_volume": {{
      "agent_id": {{"value": "{}"}}, "volume": {}, "subtract": {{"value": 96.0}}}}}})",
                                   agent, volumeJson(96)));
  EXPECT_EQ(too_much.status, 400) << too_much.body;
  EXPECT_NE(too_much.body.find("subtract"), std::string::npos) << too_much.body;
  auto elsewhere = post(master, "/api/v1",
                        fmt::format(R"({{"type": "GROW_VOLUME", "grow_volume": {{
      "agent_id": {{"value": "{}"}}, "volume": {},
      "addition": {{"name": "disk", "scalar": {{"value": 8.0}}, "type": "SCALAR"}}}}}})",
                                    agent, volumeJson(96)));
  EXPECT_EQ(elsewhere.status, 400) << elsewhere.body;
  EXPECT_EQ(post(master, "/api/v1", R"({"type": "GROW_VOLUME"})").status, 400);
  auto unknown = post(master, "/api/v1",
                      fmt::format(R"({{"type": "SHRINK_VOLUME", "shrink_volume": {{
      "agent_id": {{"value": "nope"}}, "volume": {}, "subtract": {{"value": 1.0}}}}}})",
                                  volumeJson(96)));
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_EQ(role1Disk(master), std::pair(96.0, 160.0));  // nothing changed
}

}  // namespace
}  // namespace plateau::testing
