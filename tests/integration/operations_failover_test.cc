// Operation feedback across a master failover, as in Mesos: the agent keeps each offer operation
// with an id until its framework acknowledges it, and reports it when it registers with a new
// leading master. Two masters elected through a real ZooKeeper, one agent, one framework: an
// operation finished but not acknowledged, one acknowledged, and one still pending (the agent is
// stopped while the master sends it) when the leader is killed. The new leader answers
// GET_OPERATIONS and RECONCILE_OPERATIONS with their states, sends the framework their terminal
// statuses, takes their acknowledgements, and a second failover shows the agent forgot them.

#include <gtest/gtest.h>

#include <csignal>

#include "ha_cluster.h"
#include "harness.h"
#include "operation_helpers.h"

namespace plateau::testing {
namespace {

// The scalar of `name` reserved to role "ops" on the agent, as the master's GET_AGENTS says.
double reservedToOps(const http::Endpoint& master, const std::string& name) {
  auto agents = operatorCall(master, R"({"type": "GET_AGENTS"})");
  double total = 0;
  if (!agents) return total;
  for (const auto& res : (*agents)["get_agents"]["agents"][0]["total_resources"].asArray()) {
    const auto& role = res["reservations"][0]["role"];
    if (res["name"].asString() == name && role.isString() && role.asString() == "ops") {
      total += res["scalar"]["value"].asDouble();
    }
  }
  return total;
}

// Kills the leader and waits for the other master to lead with the agent back; its index.
int failOver(HaCluster& cluster, int leader) {
  cluster.master(leader).kill(SIGKILL);
  cluster.master(leader).wait();
  int next = -1;
  EXPECT_TRUE(eventually([&] { return (next = cluster.leader()) >= 0 && next != leader; }, 30s));
  EXPECT_TRUE(eventually([&] { return cluster.activeAgents(next) == 1; }, 30s));
  return next;
}

// Reconciliation on the new leader: the known ones finished, the acknowledged one unknown on a
// registered agent.
void expectReconciled(Scheduler& s, const v1::AgentID& agent) {
  scheduler::Call reconcile;
  reconcile.set_type(scheduler::Call::RECONCILE_OPERATIONS);
  for (const char* id : {"kept", "pending", "acked"}) {
    auto* asked = reconcile.mutable_reconcile_operations()->add_operations();
    asked->mutable_operation_id()->set_value(id);
    *asked->mutable_agent_id() = agent;
  }
  ASSERT_EQ(s.call(reconcile), 202);
  auto answers = operationUpdates(s, 3);
  EXPECT_EQ(answers["kept"].state(), v1::OPERATION_FINISHED);
  EXPECT_EQ(answers["pending"].state(), v1::OPERATION_FINISHED);
  EXPECT_EQ(answers["acked"].state(), v1::OPERATION_UNKNOWN);
}

TEST(OperationsFailover, PendingAndFinishedOperationsAreKnownToTheNewLeader) {
  HaCluster cluster(2);
  int leader = -1;
  ASSERT_TRUE(eventually([&] { return (leader = cluster.leader()) >= 0; }, 30s));
  cluster.addAgent("cpus:2;mem:512;disk:256");
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents(leader) == 1; }, 30s));
  v1::FrameworkInfo info = operationsFramework("ops");
  auto s = std::make_unique<Scheduler>(cluster.endpoint(leader), http::ContentType::kProtobuf);
  ASSERT_TRUE(s->subscribe(info));
  info.mutable_id()->set_value(s->frameworkId());

  // Two reservations finish; the framework acknowledges only the second.
  auto offer = offerWhere(*s, [](const v1::Offer& o) { return hasUnreserved(o, "cpus"); });
  ASSERT_TRUE(offer);
  ASSERT_EQ(acceptWith(*s, *offer,
                       {reserve("kept", "cpus:0.5", "ops"), reserve("acked", "mem:64", "ops")}),
            202);
  auto finished = operationUpdates(*s, 2);
  ASSERT_EQ(finished["kept"].state(), v1::OPERATION_FINISHED) << finished["kept"].DebugString();
  ASSERT_EQ(finished["acked"].state(), v1::OPERATION_FINISHED);
  ASSERT_EQ(acknowledgeOperation(*s, finished["acked"]), 202);
  ASSERT_TRUE(
      eventually([&] { return !operationStates(cluster.endpoint(leader)).contains("acked"); }));

  // A third one is pending when the leader dies: the agent is stopped while it is sent.
  offer = offerWhere(*s, [](const v1::Offer& o) { return hasUnreserved(o, "disk"); });
  ASSERT_TRUE(offer);
  cluster.agent(0).kill(SIGSTOP);
  ASSERT_EQ(acceptWith(*s, *offer, {reserve("pending", "disk:32", "ops")}), 202);
  EXPECT_EQ(operationStates(cluster.endpoint(leader))["pending"], "OPERATION_PENDING");
  s.reset();
  cluster.master(leader).kill(SIGKILL);
  cluster.master(leader).wait();
  cluster.agent(0).kill(SIGCONT);
  const int old = leader;
  ASSERT_TRUE(eventually([&] { return (leader = cluster.leader()) >= 0 && leader != old; }, 30s));
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents(leader) == 1; }, 30s));
  EXPECT_EQ(reservedToOps(cluster.endpoint(leader), "disk"), 32);  // the agent applied it

  // The new leader knows both unacknowledged operations, finished; the framework hears them
  // (again, for "kept": the same status uuid).
  s = std::make_unique<Scheduler>(cluster.endpoint(leader), http::ContentType::kProtobuf);
  ASSERT_TRUE(s->subscribe(info));
  std::map<std::string, v1::OperationStatus> heard;
  ASSERT_TRUE(eventually([&] {
    auto more = operationUpdates(*s, 1, 200ms);
    heard.insert(more.begin(), more.end());
    return heard.contains("kept") && heard.contains("pending");
  }));
  EXPECT_EQ(heard["kept"].uuid().value(), finished["kept"].uuid().value());
  EXPECT_EQ(heard["pending"].state(), v1::OPERATION_FINISHED) << heard["pending"].DebugString();
  auto states = operationStates(cluster.endpoint(leader));
  EXPECT_EQ(states, (std::map<std::string, std::string>{{"kept", "OPERATION_FINISHED"},
                                                        {"pending", "OPERATION_FINISHED"}}));

  expectReconciled(*s, finished["kept"].agent_id());

  // The acknowledgements work on the new leader (the one from before the failover included).
  EXPECT_EQ(acknowledgeOperation(*s, finished["kept"]), 202);
  EXPECT_EQ(acknowledgeOperation(*s, heard["pending"]), 202);
  EXPECT_TRUE(operationStates(cluster.endpoint(leader)).empty());
  ASSERT_TRUE(eventually([&] {
    return cluster.agent(0).log().find("operations_forgotten framework_id=" + info.id().value() +
                                       " remaining=0") != std::string::npos;
  }));

  // A second failover: the agent reports nothing acknowledged, and the reservations stayed.
  cluster.startMaster(old);
  leader = failOver(cluster, leader);
  ASSERT_GE(leader, 0);
  EXPECT_TRUE(operationStates(cluster.endpoint(leader)).empty());
  EXPECT_EQ(reservedToOps(cluster.endpoint(leader), "cpus"), 0.5);
  EXPECT_EQ(reservedToOps(cluster.endpoint(leader), "disk"), 32);
}

}  // namespace
}  // namespace plateau::testing
