// Bugs the fault soak (tests/soak, docs/reliability.md) found, each with the smallest schedule
// that shows it.

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "common/json.h"
#include "ha_cluster.h"
#include "harness.h"

namespace plateau::testing {
namespace {

v1::FrameworkInfo frameworkInfo(const std::string& name, bool checkpoint = false) {
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name(name);
  info.set_failover_timeout(3600);
  info.set_checkpoint(checkpoint);
  return info;
}

// Subscribes, launches one command task on the first offer and returns its TASK_RUNNING update
// (nullopt when any step fails).
std::optional<v1::TaskStatus> runTask(Scheduler& s, const v1::FrameworkInfo& info,
                                      const std::string& task_id, const std::string& command) {
  if (!s.subscribe(info)) return std::nullopt;
  auto offers = s.next(scheduler::Event::OFFERS);
  if (!offers) return std::nullopt;
  s.launch(offers->offers().offers(0), task_id, command, "cpus:0.5;mem:32");
  std::optional<v1::TaskStatus> update;
  while ((update = s.nextUpdate()) && update->state() != v1::TASK_RUNNING) {
  }
  return update;
}

scheduler::Call reconcileOne(const std::string& task_id, const v1::AgentID& agent_id) {
  scheduler::Call reconcile;
  reconcile.set_type(scheduler::Call::RECONCILE);
  auto* task = reconcile.mutable_reconcile()->add_tasks();
  task->mutable_task_id()->set_value(task_id);
  *task->mutable_agent_id() = agent_id;
  return reconcile;
}

// Soak seed 1: a task finished while the leader was being killed; the new leader left the
// finished task out of its books when the agent re-registered (the terminal update still waited
// for its acknowledgement), so explicit reconciliation answered TASK_LOST for a task that had
// run and finished. Mesos keeps such a task until its terminal update is acknowledged.
TEST(SoakRegression, TerminalTaskReportedAtReregistrationIsReconciledNotLost) {
  Cluster cluster;
  cluster.addAgent("cpus:4;mem:1024");
  v1::FrameworkInfo info = frameworkInfo("finisher", /*checkpoint=*/true);
  auto s = std::make_unique<Scheduler>(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s->subscribe(info));
  const std::string framework_id = s->frameworkId();
  auto offers = s->next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  s->launch(offers->offers().offers(0), "short-1", "sleep 0.2", "cpus:1;mem:64");
  std::optional<v1::TaskStatus> update;
  while ((update = s->nextUpdate(20s, /*ack=*/false)) && update->state() != v1::TASK_FINISHED) {
    s->acknowledge(*update);
  }
  ASSERT_TRUE(update);
  const v1::AgentID agent_id = update->agent_id();
  // The FINISHED update is not acknowledged: the agent keeps it, and the task, pending.

  cluster.restartMaster(SIGKILL);
  s.reset();
  ASSERT_TRUE(eventually([&] { return cluster.registeredAgents() == 1; }, 20s));

  info.mutable_id()->set_value(framework_id);
  Scheduler again(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(again.subscribe(info));
  ASSERT_EQ(again.call(reconcileOne("short-1", agent_id)), 202);
  // The reconciliation answer, and the agent's FINISHED update sent again to the new leader.
  std::optional<v1::TaskStatus> answer;
  std::optional<v1::TaskStatus> resent;
  while (!answer || !resent) {
    auto next = again.nextUpdate(20s, /*ack=*/false);
    ASSERT_TRUE(next);
    EXPECT_EQ(next->state(), v1::TASK_FINISHED) << next->message();
    if (next->reason() == v1::TaskStatus::REASON_RECONCILIATION) {
      answer = next;
    } else if (next->has_uuid()) {
      resent = next;
    }
  }

  // Its resources were free already; once the update is acknowledged the task is done.
  auto state = json::parse(cluster.get("/master/state"));
  ASSERT_TRUE(state);
  EXPECT_EQ((*state)["slaves"][0]["used_resources"]["cpus"].asDouble(), 0.0);
  again.acknowledge(*resent);
  ASSERT_TRUE(eventually([&] {
    auto s2 = json::parse(cluster.get("/master/state"));
    return s2 && (*s2)["frameworks"][0]["tasks"].asArray().empty() &&
           (*s2)["frameworks"][0]["completed_tasks"].asArray().size() == 1;
  }));
}

// Soak seed 42: right after a leader failover, explicit reconciliation answered TASK_LOST for a
// running task whose agent had not re-registered yet. Mesos sends nothing until the agent is back
// (or marked unreachable), and the framework asks again.
TEST(SoakRegression, TaskOfAnAgentNotYetBackAfterAFailoverIsNotReconciledLost) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  v1::FrameworkInfo info = frameworkInfo("patient", /*checkpoint=*/true);
  auto s = std::make_unique<Scheduler>(cluster.master(), http::ContentType::kJson);
  auto update = runTask(*s, info, "long-1", "sleep 1000");
  ASSERT_TRUE(update);

  const std::string framework_id = s->frameworkId();
  cluster.agent(0).kill(SIGSTOP);  // it cannot re-register until SIGCONT
  cluster.restartMaster(SIGKILL);
  s.reset();
  info.mutable_id()->set_value(framework_id);
  Scheduler again(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(again.subscribe(info));
  auto reconcile = reconcileOne("long-1", update->agent_id());
  ASSERT_EQ(again.call(reconcile), 202);

  cluster.agent(0).kill(SIGCONT);
  ASSERT_TRUE(eventually([&] { return cluster.registeredAgents() == 1; }, 20s));
  ASSERT_EQ(again.call(reconcile), 202);
  auto answer = again.nextUpdate();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->state(), v1::TASK_RUNNING) << answer->message();
}

// Soak seed 7: a partition-aware framework's task on an unreachable agent was reconciled as
// TASK_UNKNOWN (Mesos answers TASK_UNREACHABLE while the registry lists the agent unreachable),
// and once the agent came back the task was listed twice by /master/state: live, and in
// completed_tasks as TASK_UNREACHABLE.
TEST(SoakRegression, UnreachableTaskIsReconciledAsSuchAndListedOnceWhenBack) {
  Cluster cluster({"--agent_ping_timeout=300ms", "--max_agent_ping_timeouts=2"});
  cluster.addAgent("cpus:4;mem:1024");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info = frameworkInfo("aware");
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::PARTITION_AWARE);
  auto update = runTask(s, info, "back", "sleep 1000");
  ASSERT_TRUE(update);

  cluster.agent(0).kill(SIGSTOP);
  while ((update = s.nextUpdate(10s)) && update->state() != v1::TASK_UNREACHABLE) {
  }
  ASSERT_TRUE(update);
  auto reconcile = reconcileOne("back", update->agent_id());
  // The registry lists the agent unreachable before the update goes out (as in Mesos).
  std::optional<v1::TaskStatus> answer;
  ASSERT_TRUE(eventually(
      [&] {
        answer = s.call(reconcile) == 202 ? s.nextUpdate(5s) : std::nullopt;
        return answer && answer->state() == v1::TASK_UNREACHABLE;
      },
      20s))
      << (answer ? answer->message() : "no answer");
  EXPECT_EQ(answer->reason(), v1::TaskStatus::REASON_RECONCILIATION);

  cluster.agent(0).kill(SIGCONT);
  ASSERT_TRUE(eventually([&] { return cluster.registeredAgents() == 1; }, 20s));

  auto state = json::parse(cluster.get("/master/state"));
  ASSERT_TRUE(state);
  std::vector<std::string> listed;
  const auto& fw = (*state)["frameworks"][0];
  for (const auto* key : {"tasks", "completed_tasks", "unreachable_tasks"}) {
    for (const auto& t : fw[key].asArray()) {
      listed.push_back(std::string(key) + ":" + t["state"].asString());
    }
  }
  EXPECT_EQ(listed, std::vector<std::string>{"tasks:TASK_RUNNING"});
}

// Soak seed 11: after `kill -9` of an executor, the agent's /state kept its task TASK_RUNNING
// among the completed executors' tasks, while the framework was told TASK_FAILED.
TEST(SoakRegression, TaskOfAKilledExecutorEndsFailedInTheAgentsState) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  auto update = runTask(s, frameworkInfo("victim"), "doomed", "sleep 1000");
  ASSERT_TRUE(update);
  auto agentState = [&] {
    auto r = http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/state"}, 5s);
    return json::parse(r ? r->body : "");
  };
  auto state = agentState();
  ASSERT_TRUE(state);
  auto pid = static_cast<pid_t>((*state)["frameworks"][0]["executors"][0]["pid"].asDouble());
  ASSERT_GT(pid, 0);

  ::kill(pid, SIGKILL);
  while ((update = s.nextUpdate()) && update->state() == v1::TASK_RUNNING) {
  }
  ASSERT_TRUE(update);
  EXPECT_EQ(update->state(), v1::TASK_FAILED);
  EXPECT_EQ(update->reason(), v1::TaskStatus::REASON_EXECUTOR_TERMINATED);
  std::string recorded;
  ASSERT_TRUE(eventually([&] {
    auto now = agentState();
    if (!now) return false;
    for (const auto& f : (*now)["completed_frameworks"].asArray()) {
      for (const auto& e : f["completed_executors"].asArray()) {
        for (const auto& t : e["completed_tasks"].asArray()) {
          recorded = t["state"].asString();
        }
      }
    }
    return !recorded.empty();
  })) << json::stringify(*agentState());
  EXPECT_EQ(recorded, "TASK_FAILED");
}

// Soak seed 7: a leading master that lost ZooKeeper (quorum lost) ended with SIGSEGV instead of
// exiting: destroying the agent book (and the framework book) released the agents' (frameworks')
// streams, whose end called back into the book being destroyed.
TEST(SoakRegression, LeaderThatLosesZooKeeperExitsWithoutCrashing) {
  HaCluster cluster(1);
  for (int i = 0; i < 4; ++i) {
    cluster.addAgent("cpus:2;mem:512");
  }
  ASSERT_TRUE(
      eventually([&] { return cluster.leader() == 0 && cluster.activeAgents(0) == 4; }, 30s));
  std::vector<std::unique_ptr<Scheduler>> frameworks;
  for (int i = 0; i < 4; ++i) {
    frameworks.push_back(
        std::make_unique<Scheduler>(cluster.endpoint(0), http::ContentType::kJson));
    ASSERT_TRUE(frameworks.back()->subscribe(frameworkInfo(fmt::format("fw{}", i))));
  }
  cluster.zookeeper().kill();
  ASSERT_TRUE(eventually([&] { return !cluster.master(0).running(); }, 30s));
  int status = cluster.master(0).wait();
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << "\n"
                                 << cluster.master(0).log();
  EXPECT_EQ(WEXITSTATUS(status), 1) << cluster.master(0).log();
}

// Soak seed 42 (with plateau-apps): two instances of an app on two agents held the same port,
// 31000 of each agent. The master summed what a framework uses over all agents, where the two
// ports merged into one, so the first task's end took the port out of the sum and the second's
// found it missing: a broken invariant, SIGABRT. What a framework uses is now kept per agent.
TEST(SoakRegression, TasksOnTwoAgentsHoldingTheSamePortEndWithoutAbortingTheMaster) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512;ports:[31000-31000]");
  cluster.addAgent("cpus:2;mem:512;ports:[31000-31000]");
  ASSERT_TRUE(eventually([&] { return cluster.registeredAgents() == 2; }));
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("ports")));
  std::set<std::string> agents;
  while (agents.size() < 2) {
    auto offers = s.next(scheduler::Event::OFFERS);
    ASSERT_TRUE(offers);
    for (const auto& offer : offers->offers().offers()) {
      if (agents.insert(offer.agent_id().value()).second) {
        s.launch(offer, "web-" + std::to_string(agents.size()), "sleep 1000",
                 "cpus:0.5;mem:32;ports:[31000-31000]");
      }
    }
  }
  std::map<std::string, v1::AgentID> running;
  while (running.size() < 2) {
    auto update = s.nextUpdate();
    ASSERT_TRUE(update);
    if (update->state() == v1::TASK_RUNNING) {
      running[update->task_id().value()] = update->agent_id();
    }
  }

  for (const auto& [task_id, agent_id] : running) {
    scheduler::Call kill;
    kill.set_type(scheduler::Call::KILL);
    kill.mutable_kill()->mutable_task_id()->set_value(task_id);
    *kill.mutable_kill()->mutable_agent_id() = agent_id;
    ASSERT_EQ(s.call(kill), 202);
    std::optional<v1::TaskStatus> update;
    while ((update = s.nextUpdate()) && update->state() != v1::TASK_KILLED) {
    }
    ASSERT_TRUE(update) << cluster.masterProcess().log();
  }
  ASSERT_TRUE(cluster.masterProcess().running()) << cluster.masterProcess().log();
  auto state = json::parse(cluster.get("/master/state"));
  ASSERT_TRUE(state);
  const auto& used = (*state)["frameworks"][0]["used_resources"];
  EXPECT_EQ(used["cpus"].asDouble(), 0.0) << json::stringify(used);
  EXPECT_EQ(used.find("ports"), nullptr) << json::stringify(used);
}

}  // namespace
}  // namespace plateau::testing
