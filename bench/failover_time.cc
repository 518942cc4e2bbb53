// Failover time with a real ZooKeeper: three masters and ten agents; the leader is SIGKILLed
// again and again. Reports, per kill, the time until a new leader serves (its scheduler API
// answers) and until every agent has re-registered with it.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "ha_cluster.h"

namespace plateau::testing {
namespace {

constexpr int kAgents = 10;
constexpr int kKills = 5;

void report(const char* what, std::vector<double> seconds) {
  std::sort(seconds.begin(), seconds.end());
  double mean = std::accumulate(seconds.begin(), seconds.end(), 0.0) / seconds.size();
  fmt::print("{}: mean {:.2f} s, median {:.2f} s, max {:.2f} s over {} kills\n", what, mean,
             seconds[seconds.size() / 2], seconds.back(), seconds.size());
}

TEST(FailoverBench, LeaderDeathToServingAndToAllAgentsBack) {
  HaCluster cluster(3);
  int leader = -1;
  ASSERT_TRUE(eventually([&] { return (leader = cluster.leader()) >= 0; }, 30s));
  for (int i = 0; i < kAgents; ++i) {
    cluster.addAgent("cpus:4;mem:4096");
  }
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents(leader) == kAgents; }, 60s));
  std::vector<double> serving, agents_back;
  for (int k = 0; k < kKills; ++k) {
    auto killed = std::chrono::steady_clock::now();
    cluster.master(leader).kill(SIGKILL);
    cluster.master(leader).wait();
    int old = leader;
    ASSERT_TRUE(eventually([&] { return (leader = cluster.leader()) >= 0; }, 60s));
    serving.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count());
    ASSERT_TRUE(eventually([&] { return cluster.activeAgents(leader) == kAgents; }, 60s));
    agents_back.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count());
    cluster.startMaster(old);
    // Let the restarted master join as a standby before the next kill.
    ASSERT_TRUE(eventually(
        [&] {
          auto r = http::fetchSync(cluster.endpoint(old),
                                   {.method = "POST",
                                    .path = "/api/v1/scheduler",
                                    .headers = {{"content-type", "application/json"}},
                                    .body = "{}"},
                                   1s);
          return r && r->status == 307;
        },
        30s));
  }
  fmt::print(
      "conditions: 3 masters, {} agents, --zk_session_timeout=1secs, ZooKeeper tickTime "
      "100 ms, loopback, polling every 20 ms\n",
      kAgents);
  report("leader killed -> new leader serving", serving);
  report("leader killed -> all agents re-registered", agents_back);
}

}  // namespace
}  // namespace plateau::testing
