// plateau-sim following the leader through ZooKeeper (--master=zk://...): after the leader is
// SIGKILLed, every simulated agent comes back to the new leader once, with its tasks, and the
// agents that lost the dead leader wait for ZooKeeper instead of re-registering with it.

#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "ha_cluster.h"

namespace plateau::testing {
namespace {

std::map<std::string, double> snapshotOf(const http::Endpoint& master) {
  std::map<std::string, double> out;
  auto r = http::fetchSync(master, {.method = "GET", .path = "/metrics/snapshot"}, 5s);
  auto doc = json::parse(r && r->status == 200 ? r->body : "");
  if (doc) {
    for (const auto& [key, value] : doc->asObject()) {
      out[key] = value.asDouble();
    }
  }
  return out;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    n++;
  }
  return n;
}

TEST(SimFailover, EveryAgentComesBackToTheNewLeaderOnceWithItsTasks) {
  constexpr int kAgents = 40;
  constexpr int kTasks = 80;
  HaCluster cluster(2);
  int leader = -1;
  ASSERT_TRUE(eventually([&] { return (leader = cluster.leader()) >= 0; }, 30s));

  char tmpl[] = "/tmp/plateau-sim-failover-test.XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  std::ofstream(dir + "/workload.json") << fmt::format(
      R"({{"seed": 7, "duration_seconds": 120, "drain_seconds": 1,
          "agents": [{{"count": {}, "cpus": 8, "mem": 16384}}],
          "frameworks": [{{"count": 2, "name": "long", "task": {{"cpus": 0.1, "mem": 32}},
                          "duration_seconds": 3600, "arrival_rate": 100, "max_tasks": {},
                          "failover_timeout_seconds": 3600}}]}})",
      kAgents, kTasks / 2);
  Process sim("sim",
              {PLATEAU_BIN_DIR "/plateau-sim", "--workload=" + dir + "/workload.json", "--json",
               "--master=" + cluster.zkUrl(), "--end_after_failover", "--logging_level=debug"},
              dir + "/sim.out");
  ASSERT_TRUE(eventually(
      [&] {
        auto m = snapshotOf(cluster.endpoint(leader));
        return m["master/tasks_running"] >= kTasks && m["master/slaves_active"] >= kAgents;
      },
      120s))
      << sim.log();

  cluster.master(leader).kill(SIGKILL);
  cluster.master(leader).wait();
  int next = -1;
  ASSERT_TRUE(eventually([&] { return (next = cluster.leader()) >= 0; }, 60s));
  // Every agent and task back on the new leader (checked before plateau-sim ends: its agents
  // leave with it).
  ASSERT_TRUE(eventually(
      [&] {
        auto m = snapshotOf(cluster.endpoint(next));
        return m["master/tasks_running"] == kTasks && m["master/slaves_active"] == kAgents;
      },
      60s))
      << sim.log();
  // plateau-sim ends once all its agents are back (--end_after_failover).
  ASSERT_TRUE(eventually([&] { return !sim.running(); }, 120s)) << sim.log();
  EXPECT_EQ(WEXITSTATUS(sim.wait()), 0) << sim.log();
  const std::string out = sim.log();

  const size_t at = out.find("\"failover\":");
  ASSERT_NE(at, std::string::npos) << out;
  auto failover = json::parse(out.substr(at + 11, out.find('}', at) - at - 10));
  ASSERT_TRUE(failover.has_value()) << out.substr(at, 400);
  EXPECT_EQ((*failover)["leader_changes"].asDouble(), 1);
  EXPECT_EQ((*failover)["agents_back"].asDouble(), kAgents);
  EXPECT_GE((*failover)["all_back_seconds"].asDouble(), 0);
  // The agents that lost the dead leader asked whether it answered and, as it did not, waited
  // for ZooKeeper to name the next one.
  EXPECT_GE(count(out, "sim_agent_waits_for_leader"), 1u) << out;
  // None was refused by the new leader: a 307 comes from the next master while ZooKeeper already
  // names it but it has not yet learnt that it leads (the agent retries after its backoff, as
  // plateau-agent does); any other refusal would be the storm being turned away.
  size_t refused_by_leader = 0;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("sim_agent_register_refused") != std::string::npos &&
        line.find("status=307") == std::string::npos) {
      refused_by_leader++;
    }
  }
  EXPECT_EQ(refused_by_leader, 0u) << out;

  // On the new leader: each agent admitted once (none twice).
  const std::string log = cluster.master(next).log();
  EXPECT_EQ(count(log, " agent_registered "), static_cast<size_t>(kAgents));
  EXPECT_EQ(count(log, " agent_reregistered "), 0u);
}

}  // namespace
}  // namespace plateau::testing
