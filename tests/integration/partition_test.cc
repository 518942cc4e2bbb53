// An agent that stops answering (SIGSTOP) becomes unreachable, and comes back (SIGCONT) as in
// Mesos: partition-aware frameworks keep their tasks, the others' tasks are killed.

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <mesos/v1/master/master.pb.h>

#include "api_call.h"
#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

std::unique_ptr<Scheduler> startWithTask(Cluster& cluster, const std::string& name,
                                         bool partition_aware) {
  auto s = std::make_unique<Scheduler>(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name(name);
  info.set_failover_timeout(3600);
  if (partition_aware) {
    info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::PARTITION_AWARE);
  }
  EXPECT_TRUE(s->subscribe(info));
  auto offers = s->next(scheduler::Event::OFFERS);
  EXPECT_TRUE(offers);
  if (!offers) return s;
  s->launch(offers->offers().offers(0), name + "-task", "sleep 1000", "cpus:0.5;mem:32");
  auto running = s->nextUpdate();
  EXPECT_TRUE(running && running->state() == v1::TASK_RUNNING);
  // Keep later offers from piling up: this framework wants nothing more.
  scheduler::Call suppress;
  suppress.set_type(scheduler::Call::SUPPRESS);
  EXPECT_EQ(s->call(suppress), 202);
  return s;
}

// The tasks /master/state lists for the framework named `name` in `list` ("tasks",
// "unreachable_tasks", "completed_tasks"), as "id:STATE".
std::vector<std::string> stateTasks(Cluster& cluster, const std::string& name,
                                    const std::string& list) {
  std::vector<std::string> out;
  auto state = json::parse(cluster.get("/master/state")).value_or(json::Value());
  for (const auto& fw : state["frameworks"].asArray()) {
    if (fw["name"].asString() == name) {
      for (const auto& task : fw[list].asArray()) {
        out.push_back(task["id"].asString() + ":" + task["state"].asString());
      }
    }
  }
  return out;
}

// The ids GET_TASKS lists: its tasks, unreachable_tasks or completed_tasks.
template <class Tasks>
std::vector<std::string> idsOf(const Tasks& tasks) {
  std::vector<std::string> out;
  for (const auto& task : tasks) {
    out.push_back(task.task_id().value());
  }
  std::sort(out.begin(), out.end());
  return out;
}

mesos::v1::master::Response::GetTasks getTasks(Cluster& cluster) {
  auto answer = callApi<mesos::v1::master::Response>(
      cluster.master(), callOfType<mesos::v1::master::Call>(mesos::v1::master::Call::GET_TASKS),
      http::ContentType::kJson);
  EXPECT_EQ(answer.status, 200) << answer.body;
  return answer.response.get_tasks();
}

using Ids = std::vector<std::string>;

// One figure of the master's /metrics/snapshot (-1 when it is missing).
double masterMetric(Cluster& cluster, const std::string& key) {
  auto snapshot = json::parse(cluster.get("/metrics/snapshot"));
  const json::Value* value = snapshot ? snapshot->find(key) : nullptr;
  return value != nullptr ? value->asDouble() : -1;
}

TEST(Partition, StoppedAgentIsUnreachableAndComesBackAsInMesos) {
  Cluster cluster({"--agent_ping_timeout=300ms", "--max_agent_ping_timeouts=2"});
  cluster.addAgent("cpus:4;mem:1024");
  auto aware = startWithTask(cluster, "aware", true);
  auto plain = startWithTask(cluster, "plain", false);

  cluster.agent(0).kill(SIGSTOP);
  auto unreachable = aware->nextUpdate(10s);
  ASSERT_TRUE(unreachable);
  EXPECT_EQ(unreachable->state(), v1::TASK_UNREACHABLE);
  EXPECT_EQ(unreachable->reason(), v1::TaskStatus::REASON_AGENT_REMOVED);
  auto lost = plain->nextUpdate(10s);
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->state(), v1::TASK_LOST);

  // As in Mesos: the partition-aware framework's task is listed apart, as unreachable; the other
  // framework's is completed, lost.
  EXPECT_EQ(stateTasks(cluster, "aware", "unreachable_tasks"), Ids{"aware-task:TASK_UNREACHABLE"});
  EXPECT_EQ(stateTasks(cluster, "aware", "completed_tasks"), Ids{});
  EXPECT_EQ(stateTasks(cluster, "aware", "tasks"), Ids{});
  EXPECT_EQ(stateTasks(cluster, "plain", "completed_tasks"), Ids{"plain-task:TASK_LOST"});
  EXPECT_EQ(stateTasks(cluster, "plain", "unreachable_tasks"), Ids{});
  EXPECT_EQ(idsOf(getTasks(cluster).unreachable_tasks()), Ids{"aware-task"});
  EXPECT_EQ(idsOf(getTasks(cluster).completed_tasks()), Ids{"plain-task"});
  EXPECT_EQ(idsOf(getTasks(cluster).tasks()), Ids{});
  EXPECT_EQ(masterMetric(cluster, "master/tasks_unreachable"), 1);
  EXPECT_EQ(masterMetric(cluster, "master/slaves_unreachable"), 1);

  cluster.agent(0).kill(SIGCONT);
  ASSERT_TRUE(eventually([&] { return cluster.registeredAgents() == 1; }, 20s));

  // The partition-aware framework finds its task running again.
  scheduler::Call reconcile;
  reconcile.set_type(scheduler::Call::RECONCILE);
  reconcile.mutable_reconcile();
  ASSERT_EQ(aware->call(reconcile), 202);
  auto back = aware->nextUpdate();
  ASSERT_TRUE(back);
  EXPECT_EQ(back->task_id().value(), "aware-task");
  EXPECT_EQ(back->state(), v1::TASK_RUNNING);
  EXPECT_EQ(stateTasks(cluster, "aware", "tasks"), Ids{"aware-task:TASK_RUNNING"});
  EXPECT_EQ(stateTasks(cluster, "aware", "unreachable_tasks"), Ids{});
  EXPECT_EQ(idsOf(getTasks(cluster).tasks()), Ids{"aware-task"});
  EXPECT_EQ(idsOf(getTasks(cluster).unreachable_tasks()), Ids{});
  EXPECT_EQ(masterMetric(cluster, "master/tasks_unreachable"), 0);
  EXPECT_EQ(masterMetric(cluster, "master/slaves_unreachable"), 0);

  // The other framework's task is killed, not resurrected.
  auto killed = plain->nextUpdate(10s);
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->task_id().value(), "plain-task");
  EXPECT_EQ(killed->state(), v1::TASK_KILLED);
}

}  // namespace
}  // namespace plateau::testing

namespace plateau::testing {
namespace {

TEST(MarkAgentGone, TasksAreGoneAndTheAgentMustStartOver) {
  Cluster cluster;
  cluster.addAgent("cpus:4;mem:1024");
  auto aware = startWithTask(cluster, "aware", true);
  std::string agent_id;
  {
    auto state = json::parse(cluster.get("/master/state"));
    ASSERT_TRUE(state);
    agent_id = (*state)["slaves"][0]["id"].asString();
  }
  auto gone = http::fetchSync(
      cluster.master(),
      {.method = "POST",
       .path = "/api/v1",
       .headers = {{"content-type", "application/json"}},
       .body = R"({"type": "MARK_AGENT_GONE", "mark_agent_gone": {"agent_id": {"value": ")" +
               agent_id + R"("}}})"},
      5s);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 200) << gone->body;
  auto update = aware->nextUpdate(10s);
  ASSERT_TRUE(update);
  EXPECT_EQ(update->state(), v1::TASK_GONE_BY_OPERATOR);
  EXPECT_EQ(update->reason(), v1::TaskStatus::REASON_AGENT_REMOVED_BY_OPERATOR);
  // The agent is told to shut down and comes back as a new agent, with a new id.
  ASSERT_TRUE(eventually(
      [&] {
        auto state = json::parse(cluster.get("/master/state"));
        return state && (*state)["slaves"].asArray().size() == 1 &&
               (*state)["slaves"][0]["id"].asString() != agent_id;
      },
      20s));
}

}  // namespace
}  // namespace plateau::testing
