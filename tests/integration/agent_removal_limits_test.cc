// Mesos's limits on removing agents, on real daemons: --agent_removal_rate_limit spaces out the
// removals of agents that stopped answering, and --recovery_agent_removal_limit makes a failed-
// over master exit rather than remove more agents than it allows.

#include <sys/wait.h>

#include <string>

#include <gtest/gtest.h>

#include "harness.h"

namespace plateau::testing {
namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    n++;
  }
  return n;
}

TEST(AgentRemovalLimits, TheRateLimitHoldsTheSecondSilentAgentBack) {
  Cluster cluster({"--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=1",
                   "--agent_removal_rate_limit=1/1hrs"});
  cluster.addAgent("cpus:1;mem:256");
  cluster.addAgent("cpus:1;mem:256");
  cluster.agent(0).kill(SIGSTOP);
  cluster.agent(1).kill(SIGSTOP);
  // The first is removed at once; the second waits its turn, an hour away.
  ASSERT_TRUE(eventually([&] {
    return count(cluster.masterProcess().log(), "agent_unreachable") == 1 &&
           cluster.masterProcess().log().find("agent_removal_rate_limited") != std::string::npos;
  })) << cluster.masterProcess().log();
  EXPECT_EQ(count(cluster.masterProcess().log(), "agent_unreachable"), 1u);
  EXPECT_EQ(cluster.registeredAgents(), 1u);
  cluster.agent(0).kill(SIGCONT);
  cluster.agent(1).kill(SIGCONT);
}

TEST(AgentRemovalLimits, AFailedOverMasterExitsRatherThanRemoveTooManyAgents) {
  Cluster cluster({"--agent_reregister_timeout=2secs", "--recovery_agent_removal_limit=40%"});
  cluster.addAgent("cpus:1;mem:256");
  cluster.addAgent("cpus:1;mem:256");
  cluster.agent(0).kill(SIGKILL);
  cluster.agent(1).kill(SIGKILL);
  cluster.restartMaster();
  // Neither comes back: 100% of the agents it recovered, more than 40%.
  int status = cluster.masterProcess().wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  std::string log = cluster.masterProcess().log();
  EXPECT_NE(log.find("agent_removal_limit_exceeded missing=2 recovered=2"), std::string::npos)
      << log;
  EXPECT_EQ(log.find("agent_unreachable"), std::string::npos) << log;
}

}  // namespace
}  // namespace plateau::testing
