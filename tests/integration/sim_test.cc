// plateau-sim against a real master: a small workload whose report must agree with itself and
// with the master's own counters.

#include <sys/wait.h>

#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

// Runs plateau-sim to its end (at most `limit`) and returns its output.
std::string runSim(const std::string& dir, std::vector<std::string> args, int& exit_code,
                   std::chrono::seconds limit = 180s) {
  args.insert(args.begin(), PLATEAU_BIN_DIR "/plateau-sim");
  Process sim("sim", args, dir + "/sim.out");
  EXPECT_TRUE(eventually([&] { return !sim.running(); }, limit)) << sim.log();
  int status = sim.wait();
  exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return sim.log();
}

json::Value reportOf(const std::string& output) {
  size_t at = output.find("{\"agents\"");
  if (at == std::string::npos) {
    return {};
  }
  auto doc = json::parse(output.substr(at, output.find('\n', at) - at));
  return doc ? *doc : json::Value();
}

TEST(SimTest, ASmallWorkloadRunsToTheEndAndAgreesWithTheMaster) {
  Cluster cluster;
  const std::string workload = cluster.dir() + "/workload.json";
  std::ofstream(workload) << R"({
    "seed": 3, "duration_seconds": 4, "drain_seconds": 30,
    "agents": [{"count": 50, "cpus": 4, "mem": 4096, "attributes": {"rack": "r1"}}],
    "frameworks": [
      {"count": 2, "name": "short", "task": {"cpus": 0.5, "mem": 64},
       "duration_seconds": {"min": 0.1, "max": 0.4}, "arrival_rate": 40, "max_tasks": 120},
      {"count": 1, "name": "picky", "role": "analytics", "task": {"cpus": 1, "mem": 128},
       "duration_seconds": 0.2, "arrival_rate": 20, "max_tasks": 60, "decline_fraction": 0.3,
       "refuse_seconds": 1}
    ]})";
  int code = 0;
  std::string out = runSim(
      cluster.dir(),
      {"--workload=" + workload, "--json", "--logging_level=error",
       fmt::format("--master=127.0.0.1:{}", cluster.master().port),
       fmt::format("--master_pid={}", cluster.masterProcess().pid()), "--metrics_interval=200ms"},
      code);
  ASSERT_EQ(code, 0) << out;
  json::Value r = reportOf(out);
  ASSERT_TRUE(r.isObject()) << out;

  EXPECT_EQ(r["agents_registered"].toInt64(), 50);
  EXPECT_EQ(r["frameworks_subscribed"].toInt64(), 3);
  const json::Value& tasks = r["tasks"];
  EXPECT_EQ(tasks["submitted"].toInt64(), 300) << out;
  EXPECT_EQ(tasks["launched"].toInt64(), 300) << out;
  EXPECT_EQ(tasks["at_agent"].toInt64(), 300) << out;
  EXPECT_EQ(tasks["running"].toInt64(), 300) << out;
  EXPECT_EQ(tasks["finished"].toInt64(), 300) << out;
  EXPECT_EQ(tasks["failed"].toInt64(), 0);
  EXPECT_EQ(tasks["left"].toInt64(), 0);
  EXPECT_GT(r["rates"]["launched_per_second"].asDouble(), 0);
  EXPECT_GT(r["offers"]["declined"].toInt64(), 0);  // the picky framework's
  EXPECT_GE(r["offers"]["received"].asDouble(),
            r["offers"]["accepted"].asDouble() + r["offers"]["declined"].asDouble());
  for (const char* latency : {"wait_for_offer", "launch_to_agent", "launch_to_running"}) {
    const json::Value& l = r["latency_seconds"][latency];
    EXPECT_EQ(l["count"].toInt64(), 300) << latency;
    EXPECT_LE(l["p50"].asDouble(), l["p99"].asDouble()) << latency;
    EXPECT_LE(l["p99"].asDouble(), l["max"].asDouble()) << latency;
  }
  // Launch to RUNNING includes the agent's 5 ms start delay.
  EXPECT_GE(r["latency_seconds"]["launch_to_running"]["p50"].asDouble(), 0.005);

  // The master's view, from the report and read here directly.
  const json::Value& m = r["master"];
  EXPECT_TRUE(m["measured"].asBool());
  EXPECT_GT(m["cpu_seconds"].asDouble(), 0);
  EXPECT_GT(m["rss_bytes_with_agents"].asDouble(), m["rss_bytes_before_agents"].asDouble());
  EXPECT_GE(m["peak_rss_bytes"].asDouble(), m["rss_bytes_end"].asDouble());
  EXPECT_GT(m["allocation_runs"].toInt64(), 0);
  EXPECT_EQ(m["tasks_launched"].toInt64(), 300);
  EXPECT_EQ(m["tasks_finished"].toInt64(), 300);
  EXPECT_EQ(m["agents_active"].toInt64(), 50);
  EXPECT_GE(m["offers_sent"].asDouble(), r["offers"]["received"].asDouble());
  EXPECT_EQ(r["simulator"]["calls_failed"].toInt64(), 0);
  EXPECT_GT(r["simulator"]["cpu_seconds"].asDouble(), 0);

  auto snapshot = json::parse(cluster.get("/metrics/snapshot"));
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ((*snapshot)["master/tasks_finished"].asDouble(), 300);
  EXPECT_EQ((*snapshot)["master/tasks_failed"].asDouble(), 0);
  EXPECT_EQ((*snapshot)["master/tasks_lost"].asDouble(), 0);
  auto state = json::parse(cluster.get("/master/state"));
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ((*state)["slaves"].size(), 50u);
}

// Shared agent streams (proto/plateau/agent.proto): 50 agents on 7 event streams (8 per stream,
// the last one 2), their heartbeats batched, against a real master: every agent registers once,
// is offered and runs its tasks, and stays connected past the master's ping timeout.
TEST(SimTest, AgentsSharingStreamsRegisterAndRunTheirTasks) {
  Cluster cluster({"--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=2"});
  const std::string workload = cluster.dir() + "/workload.json";
  std::ofstream(workload) << R"({
    "seed": 5, "duration_seconds": 4, "drain_seconds": 30,
    "agents": [{"count": 50, "cpus": 4, "mem": 4096}],
    "frameworks": [{"count": 2, "task": {"cpus": 0.5, "mem": 64},
       "duration_seconds": {"min": 0.1, "max": 0.3}, "arrival_rate": 40, "max_tasks": 100}]})";
  int code = 0;
  std::string out =
      runSim(cluster.dir(),
             {"--workload=" + workload, "--json", "--logging_level=error", "--agents_per_stream=8",
              fmt::format("--master=127.0.0.1:{}", cluster.master().port)},
             code);
  ASSERT_EQ(code, 0) << out;
  json::Value r = reportOf(out);
  ASSERT_TRUE(r.isObject()) << out;
  EXPECT_EQ(r["agents_registered"].toInt64(), 50);
  EXPECT_EQ(r["tasks"]["finished"].toInt64(), 200) << out;
  EXPECT_EQ(r["tasks"]["left"].toInt64(), 0);
  auto snapshot = json::parse(cluster.get("/metrics/snapshot"));
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ((*snapshot)["master/tasks_finished"].asDouble(), 200);
  // Heard from through the batched heartbeats: nobody was removed after the 2 s of silence the
  // master allows here, and each agent registered exactly once.
  EXPECT_EQ((*snapshot)["master/slave_removals"].asDouble(), 0);
  EXPECT_EQ((*snapshot)["master/slave_registrations"].asDouble(), 50);
  // The simulator has exited and closed its streams: its agents are disconnected now (not
  // active), but kept, none removed.
  auto state = json::parse(cluster.get("/master/state"));
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ((*state)["slaves"].size(), 50u);
}

TEST(SimTest, StartsItsOwnMasterAndPrintsATable) {
  Cluster scratch;  // only for its directory, cleaned up with everything started under it
  const std::string workload = scratch.dir() + "/workload.json";
  std::ofstream(workload) << R"({"duration_seconds": 2, "drain_seconds": 20,
    "master_flags": ["--allocation_interval=100ms"],
    "agents": [{"count": 5}],
    "frameworks": [{"count": 1, "duration_seconds": 0.1, "arrival_rate": 20, "max_tasks": 20}]})";
  int code = 0;
  std::string out = runSim(
      scratch.dir(),
      {"--workload=" + workload, "--work_dir=" + scratch.dir() + "/sim", "--logging_level=error"},
      code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("5 agents (5 registered"), std::string::npos) << out;
  EXPECT_NE(out.find("tasks finished                             20"), std::string::npos) << out;
  EXPECT_NE(out.find("ms per launched task"), std::string::npos) << out;
}

TEST(SimTest, BadWorkloadsAreRefusedWithTheirReason) {
  Cluster scratch;
  const std::string broken = scratch.dir() + "/broken.json";
  std::ofstream(broken) << "{\n  \"agents\": [{\"count\": 1}],\n  \"frameworks\": [,]\n}\n";
  int code = 0;
  std::string out = runSim(scratch.dir(), {"--workload=" + broken}, code, 30s);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("line 3"), std::string::npos) << out;

  // More agents than one source address has ports (or than descriptors allow).
  const std::string huge = scratch.dir() + "/huge.json";
  std::ofstream(huge) << R"({"agents": [{"count": 1000000}], "frameworks": []})";
  // One agent per stream, as the real agent: a shared stream would fit them in the limit.
  out = runSim(scratch.dir(), {"--workload=" + huge, "--agents_per_stream=1"}, code, 30s);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("simulate fewer agents"), std::string::npos) << out;
}

}  // namespace
}  // namespace plateau::testing
