#include "sim/sim_agent.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
#include <vector>

#include "fakes/virtual_time.h"

namespace plateau::sim {
namespace {

using namespace std::chrono_literals;
namespace v1 = mesos::v1;
namespace internal = plateau::internal;

class SimAgentTest : public ::testing::Test {
 protected:
  SimAgentTest()
      : agent_(time_, time_,
               {.hostname = "h1",
                .ip = "127.0.0.1",
                .cpus = 4,
                .mem = 1024,
                .disk = 0,
                .attributes = {{"rack", "r1"}}},
               {.start_delay = 10ms, .retry_interval = 10s}, 42,
               {.send = [this](const internal::AgentCall& call) { sent_.push_back(call); },
                .task_received = [this](const std::string& id) { received_.push_back(id); }}) {
    agent_.registered("agent-1");
  }

  static internal::AgentEvent runTask(const std::string& id, std::optional<int> duration_ms) {
    internal::AgentEvent event;
    event.set_type(internal::AgentEvent::RUN_TASK);
    auto* run = event.mutable_run_task();
    run->mutable_framework_info()->mutable_id()->set_value("fw-1");
    run->mutable_framework_info()->set_name("fw");
    run->mutable_framework_info()->set_user("u");
    run->mutable_task()->set_name(id);
    run->mutable_task()->mutable_task_id()->set_value(id);
    run->mutable_task()->mutable_agent_id()->set_value("agent-1");
    if (duration_ms) {
      auto* label = run->mutable_task()->mutable_labels()->add_labels();
      label->set_key(kDurationLabel);
      label->set_value(std::to_string(*duration_ms));
    }
    return event;
  }

  static internal::AgentEvent ack(const internal::AgentCall& update) {
    internal::AgentEvent event;
    event.set_type(internal::AgentEvent::ACKNOWLEDGE);
    event.mutable_acknowledge()->mutable_framework_id()->set_value("fw-1");
    *event.mutable_acknowledge()->mutable_task_id() = update.status_update().status().task_id();
    event.mutable_acknowledge()->set_uuid(update.status_update().status().uuid());
    return event;
  }

  // The state of the last call, which must be a status update.
  v1::TaskState lastState() const {
    EXPECT_FALSE(sent_.empty());
    EXPECT_EQ(sent_.back().type(), internal::AgentCall::STATUS_UPDATE);
    return sent_.back().status_update().status().state();
  }

  testing::VirtualTime time_;
  std::vector<internal::AgentCall> sent_;
  std::vector<std::string> received_;
  SimAgent agent_;
};

TEST_F(SimAgentTest, RunsATaskThroughStartingRunningFinished) {
  agent_.handle(runTask("t1", 1000));
  ASSERT_EQ(received_, std::vector<std::string>{"t1"});
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(lastState(), v1::TASK_STARTING);
  EXPECT_EQ(sent_.back().agent_id().value(), "agent-1");
  EXPECT_EQ(sent_.back().status_update().framework_id().value(), "fw-1");
  EXPECT_EQ(sent_.back().status_update().status().uuid().size(), 16u);

  // RUNNING is due after the start delay but waits for STARTING's acknowledgement.
  time_.advance(10ms);
  EXPECT_EQ(sent_.size(), 1u);
  EXPECT_EQ(agent_.taskState("t1"), v1::TASK_RUNNING);
  agent_.handle(ack(sent_.back()));
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(lastState(), v1::TASK_RUNNING);
  agent_.handle(ack(sent_.back()));

  time_.advance(999ms);
  EXPECT_EQ(sent_.size(), 2u);
  time_.advance(1ms);
  ASSERT_EQ(sent_.size(), 3u);
  EXPECT_EQ(lastState(), v1::TASK_FINISHED);
  EXPECT_EQ(sent_.back().status_update().latest_state(), v1::TASK_FINISHED);
  EXPECT_EQ(agent_.liveTasks(), 1u);  // until the terminal update is acknowledged

  agent_.handle(ack(sent_.back()));
  ASSERT_EQ(sent_.size(), 4u);
  EXPECT_EQ(sent_.back().type(), internal::AgentCall::EXECUTOR_EXITED);
  EXPECT_EQ(sent_.back().executor_exited().executor_id().value(), "t1");
  EXPECT_EQ(agent_.liveTasks(), 0u);
  EXPECT_EQ(time_.pending(), 0u);
}

TEST_F(SimAgentTest, AStaleAcknowledgementChangesNothing) {
  agent_.handle(runTask("t1", 1000));
  internal::AgentEvent stale = ack(sent_.back());
  stale.mutable_acknowledge()->set_uuid("not the uuid");
  agent_.handle(stale);
  EXPECT_EQ(agent_.pendingUpdates(), 1u);
}

TEST_F(SimAgentTest, KillTaskEndsItKilled) {
  agent_.handle(runTask("t1", std::nullopt));
  agent_.handle(ack(sent_.back()));
  time_.advance(10ms);
  agent_.handle(ack(sent_.back()));  // RUNNING acknowledged
  time_.advance(1h);
  EXPECT_EQ(agent_.taskState("t1"), v1::TASK_RUNNING);  // no duration: runs until killed

  internal::AgentEvent kill;
  kill.set_type(internal::AgentEvent::KILL_TASK);
  kill.mutable_kill_task()->mutable_framework_id()->set_value("fw-1");
  kill.mutable_kill_task()->mutable_task_id()->set_value("t1");
  agent_.handle(kill);
  EXPECT_EQ(lastState(), v1::TASK_KILLED);
  agent_.handle(kill);  // again: nothing more
  EXPECT_EQ(agent_.pendingUpdates(), 1u);
  agent_.handle(ack(sent_.back()));
  EXPECT_EQ(agent_.liveTasks(), 0u);
}

TEST_F(SimAgentTest, UpdatesWaitForTheLinkAndAreRetried) {
  agent_.disconnected();
  agent_.handle(runTask("t1", 50));
  EXPECT_TRUE(sent_.empty());
  agent_.registered("agent-1");
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(lastState(), v1::TASK_STARTING);

  // Not acknowledged: a heartbeat after the retry interval sends it again, with the same uuid.
  const std::string uuid = sent_.back().status_update().status().uuid();
  agent_.heartbeat();
  EXPECT_EQ(sent_.back().type(), internal::AgentCall::HEARTBEAT);
  time_.advance(10s);
  agent_.heartbeat();
  EXPECT_EQ(lastState(), v1::TASK_STARTING);
  EXPECT_EQ(sent_.back().status_update().status().uuid(), uuid);
  // The latest state is already FINISHED (50 ms passed long ago); updates go in order.
  EXPECT_EQ(sent_.back().status_update().latest_state(), v1::TASK_FINISHED);

  // Each resend doubles the wait (20 s now): a backlog of acknowledgements must not multiply
  // the updates.
  const size_t before = sent_.size();
  time_.advance(10s);
  agent_.heartbeat();
  EXPECT_EQ(sent_.size(), before + 1) << "a heartbeat only";
  time_.advance(10s);
  agent_.heartbeat();
  EXPECT_EQ(lastState(), v1::TASK_STARTING);
  EXPECT_EQ(sent_.back().status_update().status().uuid(), uuid);
}

TEST_F(SimAgentTest, ReregistrationReportsItsTasks) {
  internal::AgentCall first = agent_.registration();
  EXPECT_EQ(first.register_().agent_info().hostname(), "h1");
  EXPECT_EQ(first.register_().agent_info().id().value(), "agent-1");
  EXPECT_EQ(first.register_().agent_info().resources_size(), 2);  // cpus, mem (no disk)
  EXPECT_EQ(first.register_().agent_info().attributes(0).text().value(), "r1");
  EXPECT_EQ(first.register_().tasks_size(), 0);

  agent_.handle(runTask("t1", 1000));
  internal::AgentCall again = agent_.registration();
  ASSERT_EQ(again.register_().tasks_size(), 1);
  EXPECT_EQ(again.register_().tasks(0).task_id().value(), "t1");
  EXPECT_EQ(again.register_().tasks(0).state(), v1::TASK_STARTING);
  ASSERT_EQ(again.register_().frameworks_size(), 1);
}

TEST_F(SimAgentTest, ReregistrationReportsResourcesAndNames) {
  internal::AgentEvent run = runTask("t1", std::nullopt);
  run.mutable_run_task()->mutable_task()->set_name("the first");
  auto* cpus = run.mutable_run_task()->mutable_task()->add_resources();
  cpus->set_name("cpus");
  cpus->set_type(v1::Value::SCALAR);
  cpus->mutable_scalar()->set_value(0.5);
  agent_.handle(run);
  agent_.handle(runTask("t2", std::nullopt));

  internal::AgentCall again = agent_.registration();
  ASSERT_EQ(again.register_().tasks_size(), 2);
  for (const v1::Task& task : again.register_().tasks()) {
    EXPECT_EQ(task.framework_id().value(), "fw-1");
    EXPECT_EQ(task.agent_id().value(), "agent-1");
    if (task.task_id().value() == "t1") {
      EXPECT_EQ(task.name(), "the first");
      ASSERT_EQ(task.resources_size(), 1);
      EXPECT_EQ(task.resources(0).name(), "cpus");
      EXPECT_EQ(task.resources(0).scalar().value(), 0.5);
    } else {
      EXPECT_EQ(task.name(), "t2");
      EXPECT_EQ(task.resources_size(), 0);
    }
  }
}

TEST_F(SimAgentTest, TransitionsShareOneTimerAndAKilledTasksStays) {
  // Three tasks ending at different times: one timer at a time, each ends on time.
  for (int i = 0; i < 3; ++i) {
    agent_.handle(runTask("t" + std::to_string(i), 1000 * (3 - i)));
  }
  EXPECT_EQ(time_.pending(), 1u);
  auto acknowledgeAll = [this] {
    for (size_t n = sent_.size(); n > 0; --n) {
      const internal::AgentCall call = sent_[n - 1];
      if (call.type() == internal::AgentCall::STATUS_UPDATE) {
        agent_.handle(ack(call));
      }
    }
  };
  acknowledgeAll();
  time_.advance(10ms);
  acknowledgeAll();
  EXPECT_EQ(agent_.taskState("t2"), v1::TASK_RUNNING);

  internal::AgentEvent kill;
  kill.set_type(internal::AgentEvent::KILL_TASK);
  kill.mutable_kill_task()->mutable_task_id()->set_value("t1");
  agent_.handle(kill);
  EXPECT_EQ(agent_.taskState("t1"), v1::TASK_KILLED);

  time_.advance(1000ms);
  EXPECT_EQ(agent_.taskState("t2"), v1::TASK_FINISHED);
  EXPECT_EQ(agent_.taskState("t0"), v1::TASK_RUNNING);
  time_.advance(1000ms);  // t1's end comes due: it stays killed
  EXPECT_EQ(agent_.taskState("t1"), v1::TASK_KILLED);
  EXPECT_EQ(agent_.taskState("t0"), v1::TASK_RUNNING);
  time_.advance(1000ms);
  EXPECT_EQ(agent_.taskState("t0"), v1::TASK_FINISHED);
  EXPECT_EQ(time_.pending(), 0u);
}

// What a running task costs a simulated agent: heap bytes (glibc's count of bytes in use) per
// task at 20,000 running tasks of the shape bench/metrics_scrape.py launches, every update
// acknowledged. A TaskInfo and a timer per task came to about 3 KiB.
TEST_F(SimAgentTest, ARunningTaskKeepsLittleMemory) {
  constexpr int kTasks = 20000;
  std::vector<internal::AgentCall> updates;
  SimAgent agent(time_, time_, {.hostname = "h2"}, {.start_delay = 10ms, .retry_interval = 10s}, 7,
                 {.send = [&updates](const internal::AgentCall& call) {
                   if (call.type() == internal::AgentCall::STATUS_UPDATE) {
                     updates.push_back(call);
                   }
                 }});
  agent.registered("agent-2");
  auto acknowledgeAll = [&] {
    for (const auto& update : updates) {
      agent.handle(ack(update));
    }
    updates.clear();
  };
  const size_t before = mallinfo2().uordblks;
  for (int i = 0; i < kTasks; ++i) {
    const std::string id = "long-3-" + std::to_string(i);
    internal::AgentEvent run = runTask(id, 36000000);
    v1::TaskInfo* task = run.mutable_run_task()->mutable_task();
    task->mutable_command()->set_value("sleep 36000.000");
    for (auto [name, value] : {std::pair{"cpus", 0.1}, std::pair{"mem", 32.0}}) {
      v1::Resource* r = task->add_resources();
      r->set_name(name);
      r->set_type(v1::Value::SCALAR);
      r->mutable_scalar()->set_value(value);
      r->mutable_allocation_info()->set_role("*");
    }
    agent.handle(run);
    acknowledgeAll();
  }
  time_.advance(10ms);
  acknowledgeAll();
  updates.shrink_to_fit();
  const size_t after = mallinfo2().uordblks;
  ASSERT_EQ(agent.liveTasks(), static_cast<size_t>(kTasks));
  EXPECT_EQ(agent.taskState("long-3-0"), v1::TASK_RUNNING);
  const double per_task = static_cast<double>(after - before) / kTasks;
  std::printf("heap bytes per running task: %.0f\n", per_task);
  RecordProperty("bytes_per_task", static_cast<int>(per_task));
  EXPECT_LT(per_task, 512);
}

TEST_F(SimAgentTest, ShutdownForgetsEverything) {
  agent_.handle(runTask("t1", 1000));
  internal::AgentEvent shutdown;
  shutdown.set_type(internal::AgentEvent::SHUTDOWN);
  agent_.handle(shutdown);
  EXPECT_EQ(agent_.liveTasks(), 0u);
  EXPECT_TRUE(agent_.id().empty());
  EXPECT_FALSE(agent_.registration().register_().agent_info().has_id());
  EXPECT_EQ(time_.pending(), 0u);
}

TEST_F(SimAgentTest, ToABatchingMasterTheUpdatesOfOneWindowGoInOneCall) {
  agent_.registered("agent-1", /*batches=*/true);
  agent_.handle(runTask("t1", 1000));
  agent_.handle(runTask("t2", 1000));
  agent_.handle(runTask("t3", 1000));
  EXPECT_TRUE(sent_.empty()) << "held for the batch window";
  time_.advance(SimAgent::kBatchWindow);
  ASSERT_EQ(sent_.size(), 1u);
  const internal::AgentCall starting = sent_.back();
  EXPECT_EQ(starting.type(), internal::AgentCall::STATUS_UPDATE);
  EXPECT_EQ(starting.agent_id().value(), "agent-1");
  EXPECT_FALSE(starting.has_status_update());
  ASSERT_EQ(starting.status_updates_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(starting.status_updates(i).status().task_id().value(), "t" + std::to_string(i + 1));
    EXPECT_EQ(starting.status_updates(i).status().state(), v1::TASK_STARTING);
  }

  // The master's ACKNOWLEDGE for all three at once frees each stream's next update; the start
  // delay ends for the three together, and their TASK_RUNNING go in one call.
  internal::AgentEvent acks;
  acks.set_type(internal::AgentEvent::ACKNOWLEDGE);
  for (const auto& update : starting.status_updates()) {
    auto* a = acks.add_acknowledgements();
    a->mutable_framework_id()->set_value("fw-1");
    *a->mutable_task_id() = update.status().task_id();
    a->set_uuid(update.status().uuid());
  }
  agent_.handle(acks);
  EXPECT_EQ(agent_.pendingUpdates(), 0u);
  time_.advance(10ms);  // the start delay (from the RUN_TASKs) and the batch window pass
  ASSERT_EQ(sent_.size(), 2u);
  ASSERT_EQ(sent_.back().status_updates_size(), 3);
  EXPECT_EQ(sent_.back().status_updates(2).status().state(), v1::TASK_RUNNING);
  EXPECT_EQ(agent_.taskState("t3"), v1::TASK_RUNNING);
}

TEST_F(SimAgentTest, ToABatchingMasterOneUpdateAloneGoesAsBefore) {
  agent_.registered("agent-1", /*batches=*/true);
  agent_.handle(runTask("t1", 1000));
  time_.advance(SimAgent::kBatchWindow);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_.back().status_updates_size(), 0);
  EXPECT_EQ(lastState(), v1::TASK_STARTING);
  // Acknowledged through a single ACKNOWLEDGE, as a master that does not batch sends it.
  agent_.handle(ack(sent_.back()));
  EXPECT_EQ(agent_.pendingUpdates(), 0u);
}

TEST_F(SimAgentTest, AnUpdateHeldWhenTheLinkDropsGoesOnceAfterRegistering) {
  agent_.registered("agent-1", /*batches=*/true);
  agent_.handle(runTask("t1", 1000));
  agent_.disconnected();
  time_.advance(SimAgent::kBatchWindow);
  EXPECT_TRUE(sent_.empty());
  agent_.registered("agent-1", /*batches=*/true);
  time_.advance(SimAgent::kBatchWindow);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(lastState(), v1::TASK_STARTING);
}

}  // namespace
}  // namespace plateau::sim
