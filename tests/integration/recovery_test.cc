// A standalone master restarts (killed, started again) with its agents, frameworks and tasks.

#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

TEST(MasterRestart, AgentsFrameworksAndTasksSurviveAKill9) {
  Cluster cluster;
  cluster.addAgent("cpus:4;mem:1024");
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("survivor");
  info.set_failover_timeout(3600);
  auto s = std::make_unique<Scheduler>(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s->subscribe(info));
  std::string framework_id = s->frameworkId();
  auto offers = s->next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  s->launch(offers->offers().offers(0), "long-1", "sleep 1000", "cpus:1;mem:64");
  auto running = s->nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING);
  std::string agent_id = running->agent_id().value();

  cluster.restartMaster(SIGKILL);
  s.reset();

  // The agent comes back on its own, with its task.
  ASSERT_TRUE(eventually([&] { return cluster.registeredAgents() == 1; }, 20s));
  auto state = json::parse(cluster.get("/master/state"));
  ASSERT_TRUE(state);
  EXPECT_EQ((*state)["slaves"][0]["id"].asString(), agent_id);

  // The framework re-subscribes with its id and finds its task through reconciliation.
  info.mutable_id()->set_value(framework_id);
  Scheduler again(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(again.subscribe(info));
  EXPECT_EQ(again.frameworkId(), framework_id);
  scheduler::Call reconcile;
  reconcile.set_type(scheduler::Call::RECONCILE);
  reconcile.mutable_reconcile();
  ASSERT_EQ(again.call(reconcile), 202);
  auto latest = again.nextUpdate();
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->task_id().value(), "long-1");
  EXPECT_EQ(latest->state(), v1::TASK_RUNNING);

  // And it can still kill it.
  scheduler::Call kill;
  kill.set_type(scheduler::Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("long-1");
  ASSERT_EQ(again.call(kill), 202);
  std::optional<v1::TaskStatus> killed;
  while ((killed = again.nextUpdate()) && killed->state() != v1::TASK_KILLED) {
  }
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->state(), v1::TASK_KILLED);
}

TEST(MasterRestart, InMemoryRegistryForgetsFrameworksButAgentsComeBack) {
  Cluster cluster({"--registry=in_memory"});
  cluster.addAgent("cpus:2;mem:512");
  cluster.restartMaster(SIGTERM);
  ASSERT_TRUE(eventually([&] { return cluster.registeredAgents() == 1; }, 20s));
}

}  // namespace
}  // namespace plateau::testing
