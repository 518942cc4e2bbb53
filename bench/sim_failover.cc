// Failover at scale: two masters on a real ZooKeeper, plateau-sim's agents and frameworks
// following the leader (--master=zk://...), tasks that run for an hour. Once the tasks all run,
// the leader is SIGKILLed; the new leader's view is sampled every 250 ms (agents active, tasks
// running) until every agent and task is back, and plateau-sim reports its own curve (agents
// re-registered by second). Sizes from the environment: PLATEAU_FAILOVER_AGENTS (default
// 1,000) and PLATEAU_FAILOVER_TASKS (default 10 per agent).

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "ha_cluster.h"

namespace plateau::testing {
namespace {

int envInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::atoi(v) : fallback;
}

std::string envString(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : fallback;
}

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

double wallNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A log line's time ("2026-12-05T19:50:25.123 I master ...", local time as spdlog writes it).
std::optional<double> lineTime(const std::string& line) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(line.c_str(), "%d-%d-%dT%d:%d:%d.%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  return static_cast<double>(std::mktime(&tm)) + ms / 1000.0;
}

// Where the seconds went, from the new leader's log: when it was elected, had its registry,
// and admitted its first and last agent, in seconds after the kill.
std::string timeline(const std::string& log, double killed_wall) {
  std::optional<double> elected, registry, recovered, first_agent, last_agent, last_framework;
  std::string how = "?";
  int agents = 0;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    auto at = lineTime(line);
    if (!at) {
      continue;
    }
    const double t = *at - killed_wall;
    if (line.find(" elected_leader ") != std::string::npos) {
      elected = t;
    } else if (line.find(" registry_standby_copy_used ") != std::string::npos) {
      registry = t;
      how = "standby copy used";
    } else if (line.find(" registry_read_whole ") != std::string::npos) {
      registry = t;
      how = "read whole";
    } else if (line.find(" registry_recovered ") != std::string::npos) {
      recovered = t;
    } else if (elected && (line.find(" agent_reregistered ") != std::string::npos ||
                           line.find(" agent_registered ") != std::string::npos)) {
      if (!first_agent) {
        first_agent = t;
      }
      last_agent = t;
      agents++;
    } else if (line.find(" framework_resubscribed ") != std::string::npos) {
      last_framework = t;
    }
  }
  auto s = [](std::optional<double> t) { return t ? fmt::format("{:.2f} s", *t) : "-"; };
  return fmt::format(
      "elected {}, registry fenced and checked {} ({}), recovered {}, first agent admitted {}, "
      "last ({}) {}, last framework resubscribed {}",
      s(elected), s(registry), how, s(recovered), s(first_agent), agents, s(last_agent),
      s(last_framework));
}

// When plateau-sim heard of the new leader (its sim_leader_changed line, logged at info), in
// seconds after the kill.
std::string simTimeline(const std::string& log, double killed_wall) {
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    auto at = lineTime(line);
    if (at && *at >= killed_wall && line.find(" sim_leader_changed ") != std::string::npos) {
      return fmt::format("new leader known {:.2f} s", *at - killed_wall);
    }
  }
  return "new leader known - (run it with PLATEAU_FAILOVER_SIM_LOG=info or debug)";
}

TEST(SimFailoverBench, AgentsAndTasksBackAfterTheLeaderDies) {
  const int agents = envInt("PLATEAU_FAILOVER_AGENTS", 1000);
  const int tasks = envInt("PLATEAU_FAILOVER_TASKS", agents * 10);
  const int frameworks = 10;
  HaCluster cluster(2);
  int leader = -1;
  ASSERT_TRUE(eventually([&] { return (leader = cluster.leader()) >= 0; }, 30s));

  char tmpl[] = "/tmp/plateau-sim-failover.XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  std::ofstream(dir + "/workload.json") << fmt::format(
      R"({{"seed": 1, "duration_seconds": 600, "drain_seconds": 1,
          "agents": [{{"count": {}, "cpus": 64, "mem": 262144}}],
          "frameworks": [{{"count": {}, "name": "long", "task": {{"cpus": 0.1, "mem": 32}},
                          "duration_seconds": 3600, "arrival_rate": 1000, "max_tasks": {},
                          "failover_timeout_seconds": 3600}}]}})",
      agents, frameworks, tasks / frameworks);
  Process sim("sim",
              {PLATEAU_BIN_DIR "/plateau-sim", "--workload=" + dir + "/workload.json", "--json",
               "--master=" + cluster.zkUrl(), "--end_after_failover",
               // info: its leader changes, timestamped; PLATEAU_FAILOVER_SIM_LOG=debug logs
               // every agent's lost link and retry too.
               "--logging_level=" + envString("PLATEAU_FAILOVER_SIM_LOG", "info")},
              dir + "/sim.out");
  // Every task running on the leader.
  ASSERT_TRUE(eventually(
      [&] {
        auto m = snapshotOf(cluster.endpoint(leader));
        return m["master/tasks_running"] >= tasks && m["master/slaves_active"] >= agents;
      },
      600s))
      << sim.log();

  const auto killed = std::chrono::steady_clock::now();
  const double killed_wall = wallNow();
  cluster.master(leader).kill(SIGKILL);
  cluster.master(leader).wait();
  auto since = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  };
  int next = -1;
  ASSERT_TRUE(eventually([&] { return (next = cluster.leader()) >= 0; }, 60s));
  const double serving = since();
  std::string curve;
  double agents_back = -1, tasks_back = -1, last_point = 0;
  ASSERT_TRUE(eventually(
      [&] {
        auto m = snapshotOf(cluster.endpoint(next));
        if (since() - last_point >= 0.5) {
          last_point = since();
          curve += fmt::format(" {:.1f}s:{}/{}", last_point, m["master/slaves_active"],
                               m["master/tasks_running"]);
        }
        if (agents_back < 0 && m["master/slaves_active"] >= agents) {
          agents_back = since();
        }
        if (tasks_back < 0 && m["master/tasks_running"] >= tasks) {
          tasks_back = since();
        }
        return agents_back >= 0 && tasks_back >= 0;
      },
      300s))
      << sim.log();
  // plateau-sim ends once its agents are back (--end_after_failover) and reports its curve.
  ASSERT_TRUE(eventually([&] { return !sim.running(); }, 300s)) << sim.log();
  sim.wait();
  const std::string out = sim.log();
  // The new leader's log (timestamped admissions) stays beside the workload for a look at
  // where the time went; the cluster's own folder goes with it.
  std::ofstream(dir + "/new-leader.log") << cluster.master(next).log();
  const size_t at = out.find("\"failover\":");

  fmt::print(
      "conditions: 2 masters, --zk_session_timeout=1secs, ZooKeeper tickTime 100 ms, {} "
      "simulated agents (cpus:64;mem:262144), {} frameworks, {} tasks running, loopback\n",
      agents, frameworks, tasks);
  fmt::print("files: {} (workload, sim.out, new-leader.log)\n", dir);
  fmt::print("leader killed -> new leader serving: {:.2f} s\n", serving);
  fmt::print("leader killed -> all {} agents active on it: {:.2f} s\n", agents, agents_back);
  fmt::print("leader killed -> all {} tasks running on it: {:.2f} s\n", tasks, tasks_back);
  fmt::print("new leader, agents active/tasks running by time since the kill:{}\n", curve);
  fmt::print("new leader's log, after the kill: {}\n",
             timeline(cluster.master(next).log(), killed_wall));
  fmt::print("plateau-sim's log, after the kill: {}\n", simTimeline(out, killed_wall));
  fmt::print("plateau-sim (from its first agent link lost): {}\n",
             at == std::string::npos ? "no report" : out.substr(at, out.find('}', at) - at + 1));
}

}  // namespace
}  // namespace plateau::testing
