// A real agent's status updates in batches (AgentCall.status_updates, proto/plateau/agent.proto):
// updates that leave together still reach a real scheduler in each task's order, one UPDATE
// event each, and each of the scheduler's acknowledgements reaches the agent.

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

double metric(Cluster& cluster, const std::string& name) {
  auto metrics = json::parse(cluster.get("/metrics/snapshot"));
  return metrics ? (*metrics)[name].asDouble() : -1;
}

TEST(StatusUpdateBatch, UpdatesHeldWhileTheMasterIsAwayArriveTogetherAndInOrder) {
  Cluster cluster;
  cluster.addAgent("cpus:4;mem:1024", {"--status_update_retry_interval=1secs"});
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("batched");
  info.set_failover_timeout(3600);
  auto s = std::make_unique<Scheduler>(cluster.master(), http::ContentType::kProtobuf);
  ASSERT_TRUE(s->subscribe(info));
  const std::string framework_id = s->frameworkId();
  auto offers = s->next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  const v1::Offer& offer = offers->offers().offers(0);
  const std::vector<std::string> ids = {"t1", "t2", "t3", "t4"};
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  auto* op = accept.mutable_accept()->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  for (const auto& id : ids) {
    v1::TaskInfo* task = op->mutable_launch()->add_task_infos();
    task->set_name(id);
    task->mutable_task_id()->set_value(id);
    *task->mutable_agent_id() = offer.agent_id();
    *task->mutable_resources() = resources("cpus:0.1;mem:16");
    task->mutable_command()->set_value("sleep 2");
  }
  ASSERT_EQ(s->call(accept), 202) << s->lastResponse().body;

  // Every task's TASK_RUNNING, not acknowledged: each stream holds it, its TASK_FINISHED behind.
  std::map<std::string, int> running;
  while (running.size() < ids.size()) {
    auto update = s->nextUpdate(30s, /*ack=*/false);
    ASSERT_TRUE(update);
    ASSERT_EQ(update->state(), v1::TASK_RUNNING) << update->task_id().value();
    running[update->task_id().value()]++;
  }

  // The master comes back: the agent registers again and sends every stream's head at once,
  // in one call.
  cluster.restartMaster(SIGKILL);
  s.reset();
  ASSERT_TRUE(eventually([&] { return cluster.registeredAgents() == 1; }, 30s));
  ASSERT_TRUE(eventually(
      [&] { return metric(cluster, "plateau/status_updates_batched") >= double(ids.size()); }, 30s))
      << "the agent's four held updates came in one call";

  // The scheduler comes back; the agent resends what is unacknowledged. Each task's updates
  // arrive in order (RUNNING, then FINISHED), each is acknowledged, and each acknowledgement
  // ends the resending.
  info.mutable_id()->set_value(framework_id);
  Scheduler again(cluster.master(), http::ContentType::kProtobuf);
  ASSERT_TRUE(again.subscribe(info));
  std::map<std::string, std::vector<v1::TaskState>> seen;
  size_t finished = 0;
  while (finished < ids.size()) {
    auto update = again.nextUpdate(30s, /*ack=*/true);
    ASSERT_TRUE(update) << finished << " tasks finished";
    auto& states = seen[update->task_id().value()];
    if (!states.empty() && states.back() == update->state()) {
      continue;  // a resend crossing its acknowledgement (at least once)
    }
    states.push_back(update->state());
    finished += update->state() == v1::TASK_FINISHED ? 1 : 0;
  }
  for (const auto& id : ids) {
    EXPECT_EQ(seen[id], (std::vector<v1::TaskState>{v1::TASK_RUNNING, v1::TASK_FINISHED})) << id;
  }
  // Acknowledged: nothing is sent again (a lost acknowledgement would bring an update back
  // within the 1 s retry interval).
  EXPECT_FALSE(again.nextUpdate(2500ms, /*ack=*/true).has_value());
}

}  // namespace
}  // namespace plateau::testing
