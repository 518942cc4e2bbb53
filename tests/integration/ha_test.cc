// High availability with a real ZooKeeper: three masters, agents and a framework with running
// tasks; the leader is killed with SIGKILL again and again while tasks are being launched.
// Every task stays accounted for: never lost while it runs, never duplicated, and master,
// agents and framework agree on one state.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "common/json.h"
#include "ha_cluster.h"
#include "harness.h"

namespace plateau::testing {
namespace {

TEST(HighAvailability, RepeatedLeaderKillsUnderLoadLoseAndDuplicateNothing) {
  HaCluster cluster(3);
  int leader = -1;
  ASSERT_TRUE(eventually([&] { return (leader = cluster.leader()) >= 0; }, 30s));
  cluster.addAgent("cpus:8;mem:4096");
  cluster.addAgent("cpus:8;mem:4096");
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents(leader) == 2; }, 30s));

  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("ha-load");
  info.set_failover_timeout(3600);
  auto sched = std::make_unique<Scheduler>(cluster.endpoint(leader), http::ContentType::kProtobuf);
  ASSERT_TRUE(sched->subscribe(info));
  info.mutable_id()->set_value(sched->frameworkId());

  std::set<std::string> launched;  // ACCEPTed by a leader
  std::set<std::string> running;   // reported TASK_RUNNING
  int next_task = 0;
  auto launchBatch = [&](int n) {
    auto offers = sched->next(scheduler::Event::OFFERS, 5s);
    if (!offers) return;
    for (const auto& offer : offers->offers().offers()) {
      scheduler::Call accept;
      accept.set_type(scheduler::Call::ACCEPT);
      *accept.mutable_accept()->add_offer_ids() = offer.id();
      accept.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
      auto* op = accept.mutable_accept()->add_operations();
      op->set_type(v1::Offer::Operation::LAUNCH);
      std::vector<std::string> ids;
      for (int k = 0; k < n; ++k) {
        auto* task = op->mutable_launch()->add_task_infos();
        std::string id = fmt::format("task-{}", next_task++);
        task->set_name(id);
        task->mutable_task_id()->set_value(id);
        *task->mutable_agent_id() = offer.agent_id();
        *task->mutable_resources() = resources("cpus:0.1;mem:16");
        task->mutable_command()->set_value("sleep 1000");
        ids.push_back(id);
      }
      if (sched->call(accept) == 202) launched.insert(ids.begin(), ids.end());
      return;  // one offer per batch; the rest come back after refuse_seconds 0
    }
  };
  auto drain = [&](std::chrono::milliseconds wait) {
    while (auto u = sched->nextUpdate(wait)) {
      ASSERT_NE(u->state(), v1::TASK_FAILED) << u->DebugString();
      if (u->state() == v1::TASK_RUNNING) running.insert(u->task_id().value());
    }
  };

  std::vector<double> failover_seconds;
  for (int round = 0; round < 3; ++round) {
    launchBatch(4);
    drain(300ms);
    // Another batch goes out, and the leader dies while it is in flight.
    launchBatch(4);
    auto killed_at = std::chrono::steady_clock::now();
    cluster.master(leader).kill(SIGKILL);
    cluster.master(leader).wait();
    int old = leader;
    ASSERT_TRUE(eventually([&] { return (leader = cluster.leader()) >= 0; }, 30s))
        << "no new leader in round " << round;
    failover_seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count());
    ASSERT_NE(leader, old);
    cluster.startMaster(old);  // back as a standby
    ASSERT_TRUE(eventually([&] { return cluster.activeAgents(leader) == 2; }, 30s));
    sched = std::make_unique<Scheduler>(cluster.endpoint(leader), http::ContentType::kProtobuf);
    ASSERT_TRUE(eventually([&] { return sched->subscribe(info); }, 10s));
    EXPECT_EQ(sched->frameworkId(), info.id().value());
    drain(500ms);
  }

  // One consistent state: ask about every task ever launched.
  scheduler::Call reconcile;
  reconcile.set_type(scheduler::Call::RECONCILE);
  for (const auto& id : launched) {
    reconcile.mutable_reconcile()->add_tasks()->mutable_task_id()->set_value(id);
  }
  ASSERT_EQ(sched->call(reconcile), 202);
  std::map<std::string, v1::TaskState> answer;
  while (answer.size() < launched.size()) {
    auto u = sched->nextUpdate(10s);
    ASSERT_TRUE(u) << "reconciliation answered " << answer.size() << " of " << launched.size();
    if (u->reason() == v1::TaskStatus::REASON_RECONCILIATION) {
      answer[u->task_id().value()] = u->state();
      // A task that ran before it was asked about is still running: never lost.
      if (running.contains(u->task_id().value())) {
        EXPECT_EQ(u->state(), v1::TASK_RUNNING) << u->task_id().value();
      }
    } else if (u->state() == v1::TASK_RUNNING) {
      running.insert(u->task_id().value());
    }
  }
  // As Mesos, the answer is the state of the latest update the framework was sent: a task whose
  // TASK_RUNNING still waits at its agent behind an update that no leader had acknowledged
  // answers that earlier state, and its TASK_RUNNING follows when the agent sends it again.
  std::set<std::string> behind;
  for (const auto& [id, state] : answer) {
    if (state == v1::TASK_STAGING || state == v1::TASK_STARTING) behind.insert(id);
  }
  auto caughtUp = [&] {
    return std::all_of(behind.begin(), behind.end(),
                       [&](const std::string& id) { return running.contains(id); });
  };
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!caughtUp() && std::chrono::steady_clock::now() < deadline) {
    auto u = sched->nextUpdate(1s);
    if (u && u->state() == v1::TASK_RUNNING) running.insert(u->task_id().value());
  }
  for (const auto& id : behind) {
    EXPECT_TRUE(running.contains(id)) << id << " answered " << answer[id] << " and never ran";
    if (running.contains(id)) answer[id] = v1::TASK_RUNNING;
  }
  size_t alive = 0;
  for (const auto& [id, state] : answer) {
    // A task is either running or was never started (lost with the dead leader).
    EXPECT_TRUE(state == v1::TASK_RUNNING || state == v1::TASK_LOST) << id << " " << state;
    alive += state == v1::TASK_RUNNING ? 1 : 0;
  }
  fmt::print("reconciliation: {} of {} tasks answered a state behind TASK_RUNNING\n", behind.size(),
             answer.size());
  // Never duplicated: the master's books and the agents' processes agree one to one.
  auto r =
      http::fetchSync(cluster.endpoint(leader), {.method = "GET", .path = "/master/state"}, 5s);
  auto state = json::parse(r ? r->body : "");
  ASSERT_TRUE(state);
  std::multiset<std::string> on_books;
  for (const auto& f : (*state)["frameworks"].asArray()) {
    for (const auto& t : f["tasks"].asArray()) on_books.insert(t["id"].asString());
  }
  EXPECT_EQ(on_books.size(), alive);
  for (const auto& id : on_books) EXPECT_EQ(on_books.count(id), 1u) << id;
  EXPECT_GE(alive, 8u) << "too few tasks survived to say anything";
  for (double s : failover_seconds) {
    fmt::print("failover: new leader serving {:.2f} s after SIGKILL\n", s);
  }
}

}  // namespace
}  // namespace plateau::testing
