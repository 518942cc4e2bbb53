#include "dns/records.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace plateau::dns {
namespace {

json::Value parse(const std::string& text) {
  auto v = json::parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::Value();
}

// A GET_STATE answer in the operator API's JSON: one agent, one framework, `tasks`.
json::Value stateWith(const std::string& tasks) {
  return parse(R"({
    "get_agents": {"agents": [{"agent_info": {"id": {"value": "20150101-0000-S1"},
                                              "hostname": "agent1", "port": 5051},
                               "pid": "slave(1)@10.0.0.5:5051"}]},
    "get_frameworks": {"frameworks": [{"framework_info": {"id": {"value": "fw-1"},
                                                          "name": "Marathon", "hostname": "10.0.0.9"}}]},
    "get_tasks": {"tasks": [)" +
               tasks + R"(]}})");
}

const char* kWebTask = R"({"name": "web", "task_id": {"value": "web.1"},
  "framework_id": {"value": "fw-1"}, "agent_id": {"value": "20150101-0000-S1"},
  "state": "TASK_RUNNING",
  "resources": [{"name": "ports", "type": "RANGES",
                 "ranges": {"range": [{"begin": 31000, "end": 31001}]}}]})";

Config testConfig() {
  Config c;
  c.masters = {"10.0.0.1:5050", "10.0.0.2:5050"};
  EXPECT_TRUE(finishConfig(c).isOk());
  return c;
}

TEST(RecordsTest, RunningTaskGetsMesosDnsNames) {
  ClusterState state;
  state.reset(stateWith(kWebTask));
  Config config = testConfig();
  RecordSet records = generateRecords(state, config, {});
  std::string canonical = "web-" + taskIdHash("web.1") + "-s1.marathon";
  for (const std::string& name :
       {std::string("web.marathon.mesos."), canonical + ".mesos.",
        std::string("web.marathon.slave.mesos."), canonical + ".slave.mesos."}) {
    const NameRecords* found = records.find(name);
    ASSERT_NE(found, nullptr) << name;
    EXPECT_EQ(found->a, std::vector<std::string>{"10.0.0.5"}) << name;
  }
  for (const char* name : {"_web._tcp.marathon.mesos.", "_web._udp.marathon.mesos.",
                           "_web._tcp.marathon.slave.mesos.", "_web._udp.marathon.slave.mesos."}) {
    const NameRecords* found = records.find(name);
    ASSERT_NE(found, nullptr) << name;
    ASSERT_EQ(found->srv.size(), 2u) << name;
    EXPECT_EQ(found->srv[0].host, canonical + ".slave.mesos.");
    EXPECT_EQ(found->srv[0].port, 31000);
    EXPECT_EQ(found->srv[1].port, 31001);
  }
  EXPECT_EQ(records.find("marathon.mesos.")->a, std::vector<std::string>{"10.0.0.9"});
  EXPECT_EQ(records.find("slave.mesos.")->a, std::vector<std::string>{"10.0.0.5"});
  EXPECT_EQ(records.find("_slave._tcp.mesos.")->srv[0].toString(), "slave.mesos.:5051");
  ASSERT_EQ(records.enumeration().size(), 1u);
  EXPECT_EQ(records.enumeration()[0].name, "Marathon");
  ASSERT_EQ(records.enumeration()[0].tasks.size(), 1u);
  EXPECT_EQ(records.enumeration()[0].tasks[0].records.size(), 12u);
}

TEST(RecordsTest, TasksNotRunningOrOnUnknownAgentsGetNoRecords) {
  ClusterState state;
  std::string staging = kWebTask;
  staging.replace(staging.find("TASK_RUNNING"), 12, "TASK_STAGING");
  std::string elsewhere = kWebTask;
  elsewhere.replace(elsewhere.find("20150101-0000-S1"), 16, "other-agent-S9");
  state.reset(stateWith(staging + "," + elsewhere));
  RecordSet records = generateRecords(state, testConfig(), {});
  EXPECT_EQ(records.find("web.marathon.mesos."), nullptr);
  EXPECT_EQ(records.find("_web._tcp.marathon.mesos."), nullptr);
}

TEST(RecordsTest, EventsAddUpdateAndRemoveTasks) {
  ClusterState state;
  state.reset(stateWith(""));
  auto added =
      parse(std::string(R"({"type":"TASK_ADDED","task_added":{"task":)") + kWebTask + "}}");
  EXPECT_TRUE(state.apply(added));
  EXPECT_EQ(state.tasks().size(), 1u);
  auto running = parse(R"({"type":"TASK_UPDATED","task_updated":{
      "framework_id":{"value":"fw-1"},"state":"TASK_RUNNING",
      "status":{"task_id":{"value":"web.1"},"state":"TASK_RUNNING","timestamp":2.0,
        "container_status":{"network_infos":[{"ip_addresses":[{"ip_address":"192.168.0.7"}]}]}}}})");
  EXPECT_TRUE(state.apply(running));
  RecordSet records = generateRecords(state, testConfig(), {});
  // netinfo comes first among the default IP sources; the .slave names keep the agent's IP.
  EXPECT_EQ(records.find("web.marathon.mesos.")->a, std::vector<std::string>{"192.168.0.7"});
  EXPECT_EQ(records.find("web.marathon.slave.mesos.")->a, std::vector<std::string>{"10.0.0.5"});
  auto finished = parse(R"({"type":"TASK_UPDATED","task_updated":{
      "framework_id":{"value":"fw-1"},"state":"TASK_FINISHED",
      "status":{"task_id":{"value":"web.1"},"state":"TASK_FINISHED"}}})");
  EXPECT_TRUE(state.apply(finished));
  EXPECT_TRUE(state.tasks().empty());
  EXPECT_FALSE(state.apply(parse(R"({"type":"HEARTBEAT"})")));
  auto agent_gone = parse(
      R"({"type":"AGENT_REMOVED","agent_removed":{"agent_id":{"value":"20150101-0000-S1"}}})");
  EXPECT_TRUE(state.apply(agent_gone));
  EXPECT_TRUE(state.agents().empty());
}

TEST(RecordsTest, IpSourcesAreTriedInOrder) {
  TaskInfo task;
  task.statuses.push_back({"TASK_RUNNING",
                           1.0,
                           {{"MesosContainerizer.NetworkSettings.IPAddress", "172.16.0.2"},
                            {"Docker.NetworkSettings.IPAddress", "172.17.0.2"}},
                           {}});
  EXPECT_EQ(taskAddresses(task, "10.0.0.5", {"netinfo", "mesos", "host"}),
            std::vector<std::string>{"172.16.0.2"});
  EXPECT_EQ(taskAddresses(task, "10.0.0.5", {"docker", "host"}),
            std::vector<std::string>{"172.17.0.2"});
  EXPECT_EQ(taskAddresses(task, "10.0.0.5", {"netinfo", "host"}),
            std::vector<std::string>{"10.0.0.5"});
  EXPECT_TRUE(taskAddresses(task, "not-an-ip", {"netinfo", "host"}).empty());
}

TEST(RecordsTest, DiscoveryInfoNamesPortsAndProtocols) {
  ClusterState state;
  state.reset(stateWith(R"({"name": "ignored", "task_id": {"value": "t1"},
    "framework_id": {"value": "fw-1"}, "agent_id": {"value": "20150101-0000-S1"},
    "state": "TASK_RUNNING",
    "resources": [{"name": "ports", "type": "RANGES",
                   "ranges": {"range": [{"begin": 31500, "end": 31500}]}}],
    "discovery": {"visibility": "FRAMEWORK", "name": "Front.End",
                  "ports": {"ports": [{"number": 8080, "name": "http", "protocol": "tcp"},
                                      {"number": 9090}]}}})"));
  RecordSet records = generateRecords(state, testConfig(), {});
  std::string canonical = "front-end-" + taskIdHash("t1") + "-s1.marathon.mesos.";
  EXPECT_NE(records.find("front-end.marathon.mesos."), nullptr);
  // Ports resources: only under .slave when DiscoveryInfo is there.
  EXPECT_NE(records.find("_front-end._tcp.marathon.slave.mesos."), nullptr);
  const NameRecords* http = records.find("_http._front-end._tcp.marathon.mesos.");
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->srv[0].toString(), canonical + ":8080");
  const NameRecords* tcp = records.find("_front-end._tcp.marathon.mesos.");
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(tcp->srv.size(), 2u);  // 8080 (tcp) and 9090 (no protocol: tcp and udp)
  EXPECT_EQ(records.find("_front-end._udp.marathon.mesos.")->srv.size(), 1u);
}

TEST(RecordsTest, LeaderAndMastersAreNumberedInListOrder) {
  ClusterState state;
  state.reset(stateWith(""));
  state.setLeader("master@10.0.0.2:5050");
  RecordSet records = generateRecords(state, testConfig(), {"127.0.0.1"});
  EXPECT_EQ(records.find("leader.mesos.")->a, std::vector<std::string>{"10.0.0.2"});
  EXPECT_EQ(records.find("master.mesos.")->a, (std::vector<std::string>{"10.0.0.2", "10.0.0.1"}));
  EXPECT_EQ(records.find("master0.mesos.")->a, std::vector<std::string>{"10.0.0.1"});
  EXPECT_EQ(records.find("master1.mesos.")->a, std::vector<std::string>{"10.0.0.2"});
  EXPECT_EQ(records.find("master2.mesos."), nullptr);
  EXPECT_EQ(records.find("_leader._tcp.mesos.")->srv[0].toString(), "leader.mesos.:5050");
  EXPECT_EQ(records.find("_leader._udp.mesos.")->srv.size(), 1u);
  EXPECT_EQ(records.find("_master._tcp.mesos.")->srv.size(), 2u);
  EXPECT_EQ(records.find("ns1.mesos.")->a, std::vector<std::string>{"127.0.0.1"});
}

TEST(RecordsTest, ManyInstancesOfOneNameStayDeduplicated) {
  RecordSet records;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 100; ++i) {
      records.addSrv("_x._tcp.f.mesos.", {"x-" + std::to_string(i) + ".f.mesos.", 80});
    }
  }
  EXPECT_EQ(records.find("_x._tcp.f.mesos.")->srv.size(), 100u);
  EXPECT_EQ(records.recordCount(), 100u);
  EXPECT_FALSE(records.addAddress("x.", "not an address"));
  EXPECT_TRUE(records.addAddress("x.", "fd01:b::2:8000:2"));
  EXPECT_EQ(records.find("x.")->aaaa, std::vector<std::string>{"fd01:b::2:8000:2"});
}

}  // namespace
}  // namespace plateau::dns
