// The agent's state machine in virtual time (tests/unit/agent/virtual_agent.h): executors that
// never subscribe, the shutdown grace period, and status updates retried until acknowledged and
// delivered in order. No sockets, no processes, no sleeps.

#include <csignal>

#include <gtest/gtest.h>

#include "unit/agent/virtual_agent.h"

namespace plateau::testing {
namespace {

using namespace std::chrono_literals;
namespace executor = mesos::v1::executor;

std::vector<executor::Event::Type> types(const std::shared_ptr<FakeStream>& stream) {
  std::vector<executor::Event::Type> out;
  auto events = stream->take<executor::Event>();
  EXPECT_TRUE(events.has_value()) << "undecodable record on the executor's stream";
  for (const auto& event : events.value_or(std::vector<executor::Event>{})) {
    out.push_back(event.type());
  }
  return out;
}

TEST(AgentStateMachine, AnExecutorThatNeverSubscribesIsKilledAtItsRegistrationTimeout) {
  agent::Flags flags;
  flags.executor_registration_timeout = 1min;
  VirtualAgent agent(flags);
  agent.registerWithMaster();
  agent.runCommandTask("t1");
  ASSERT_EQ(agent.containers().launches.size(), 1u);
  const auto& launched = agent.containers().launches[0].config;

  agent.advance(59s);
  EXPECT_TRUE(agent.containers().kills.empty());
  agent.advance(1s);
  EXPECT_EQ(agent.containers().kills, std::vector<std::string>{launched.container_id});

  agent.containerProcessKilled(launched.pid, SIGKILL);
  auto updates = agent.statusUpdates();
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().task_id().value(), "t1");
  EXPECT_EQ(updates.back().state(), mesos::v1::TASK_FAILED);
  EXPECT_EQ(updates.back().reason(), mesos::v1::TaskStatus::REASON_EXECUTOR_REGISTRATION_TIMEOUT);
  EXPECT_EQ(updates.back().source(), mesos::v1::TaskStatus::SOURCE_AGENT);
  EXPECT_EQ(agent.transport.calls(internal::AgentCall::EXECUTOR_EXITED).size(), 1u);
  EXPECT_EQ(agent.containers().destroys, std::vector<std::string>{launched.container_id});
}

TEST(AgentStateMachine, ASubscribedExecutorGetsItsTaskAndOutlivesTheTimeout) {
  VirtualAgent agent;
  agent.registerWithMaster();
  agent.runCommandTask("t1");
  agent.advance(30s);
  auto stream = agent.executorSubscribes("t1");
  ASSERT_TRUE(stream);
  EXPECT_EQ(types(stream), (std::vector<executor::Event::Type>{executor::Event::SUBSCRIBED,
                                                               executor::Event::LAUNCH}));
  agent.advance(10min);
  EXPECT_TRUE(agent.containers().kills.empty());
}

TEST(AgentStateMachine, ShutdownGivesTheExecutorItsGracePeriodThenKillsIt) {
  agent::Flags flags;
  flags.executor_shutdown_grace_period = 5s;
  VirtualAgent agent(flags);
  agent.registerWithMaster();
  agent.runCommandTask("t1");
  auto stream = agent.executorSubscribes("t1");
  ASSERT_TRUE(stream);
  types(stream);
  const auto& launched = agent.containers().launches.at(0).config;

  internal::AgentEvent shutdown;
  shutdown.set_type(internal::AgentEvent::SHUTDOWN_FRAMEWORK);
  shutdown.mutable_shutdown_framework()->mutable_framework_id()->set_value("f1");
  agent.masterSends(shutdown);
  EXPECT_EQ(types(stream), std::vector<executor::Event::Type>{executor::Event::SHUTDOWN});
  // Connected: asked over its stream, not signalled.
  EXPECT_TRUE(agent.containers().terminations.empty());
  agent.advance(5s - 1ms);
  EXPECT_TRUE(agent.containers().kills.empty());
  agent.advance(1ms);
  EXPECT_EQ(agent.containers().kills, std::vector<std::string>{launched.container_id});

  agent.containerProcessKilled(launched.pid, SIGKILL);
  auto updates = agent.statusUpdates();
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), mesos::v1::TASK_KILLED);
  EXPECT_TRUE(stream->closed());
}

TEST(AgentStateMachine, StatusUpdatesAreRetriedUntilAcknowledgedAndDeliveredInOrder) {
  agent::Flags flags;
  flags.status_update_retry_interval = 10s;
  VirtualAgent agent(flags);
  agent.registerWithMaster();
  agent.runCommandTask("t1");
  auto stream = agent.executorSubscribes("t1");
  ASSERT_TRUE(stream);
  types(stream);

  EXPECT_EQ(agent.executorUpdates("t1", mesos::v1::TASK_RUNNING), 202);
  EXPECT_EQ(agent.executorUpdates("t1", mesos::v1::TASK_FINISHED), 202);
  // Only the first goes out until the scheduler acknowledges it.
  auto updates = agent.statusUpdates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_RUNNING);
  const std::string running_uuid = updates[0].uuid();

  agent.advance(10s);  // not acknowledged: sent again, the same update
  updates = agent.statusUpdates();
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[1].state(), mesos::v1::TASK_RUNNING);
  EXPECT_EQ(updates[1].uuid(), running_uuid);

  internal::AgentEvent ack;
  ack.set_type(internal::AgentEvent::ACKNOWLEDGE);
  ack.mutable_acknowledge()->mutable_framework_id()->set_value("f1");
  ack.mutable_acknowledge()->mutable_task_id()->set_value("t1");
  ack.mutable_acknowledge()->set_uuid(running_uuid);
  agent.masterSends(ack);
  updates = agent.statusUpdates();
  ASSERT_EQ(updates.size(), 3u);
  EXPECT_EQ(updates[2].state(), mesos::v1::TASK_FINISHED);
  EXPECT_EQ(types(stream), std::vector<executor::Event::Type>{executor::Event::ACKNOWLEDGED});

  ack.mutable_acknowledge()->set_uuid(updates[2].uuid());
  agent.masterSends(ack);
  agent.advance(10min);  // acknowledged: never sent again
  EXPECT_EQ(agent.statusUpdates().size(), 3u);
}

TEST(AgentStateMachine, UpdatesWaitWhileTheMasterIsGoneAndFollowOnceRegisteredAgain) {
  VirtualAgent agent;
  agent.registerWithMaster();
  agent.runCommandTask("t1");
  ASSERT_TRUE(agent.executorSubscribes("t1"));
  agent.time.advance(36s);  // over six silent heartbeat periods: the agent leaves the master
  EXPECT_TRUE(agent.transport.streams.at(0)->cancelled);

  EXPECT_EQ(agent.executorUpdates("t1", mesos::v1::TASK_RUNNING), 202);
  agent.time.advance(1min);
  EXPECT_TRUE(agent.statusUpdates().empty());
  // It has been registering again; the master answers on the newest stream.
  ASSERT_GE(agent.transport.streams.size(), 2u);
  EXPECT_EQ(agent.transport.streams.back()->call.type(), internal::AgentCall::REGISTER);
  agent.registerWithMaster();
  auto updates = agent.statusUpdates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_RUNNING);
}

// As Mesos's agent: registering again (with a new master), it reports each task with the state
// and uuid of the update it last sent (status_update_state/uuid), which the new master answers
// reconciliation with; the task's state is its latest, whose update may still wait.
TEST(AgentStateMachine, RegisteringAgainReportsTheUpdateLastSentOfEachTask) {
  VirtualAgent agent;
  agent.registerWithMaster();
  agent.runCommandTask("t1");
  ASSERT_TRUE(agent.executorSubscribes("t1"));
  EXPECT_EQ(agent.executorUpdates("t1", mesos::v1::TASK_STARTING), 202);
  EXPECT_EQ(agent.executorUpdates("t1", mesos::v1::TASK_RUNNING), 202);
  auto sent = agent.statusUpdates();
  ASSERT_EQ(sent.size(), 1u);  // TASK_RUNNING waits for TASK_STARTING's acknowledgement
  const std::string starting_uuid = sent[0].uuid();

  auto reported = [&] {
    agent.time.advance(36s);  // the master falls silent: the agent registers again
    EXPECT_EQ(agent.transport.streams.back()->call.type(), internal::AgentCall::REGISTER);
    const auto& reg = agent.transport.streams.back()->call.register_();
    EXPECT_EQ(reg.tasks_size(), 1);
    return reg.tasks_size() == 1 ? reg.tasks(0) : mesos::v1::Task();
  };
  auto task = reported();
  EXPECT_EQ(task.state(), mesos::v1::TASK_RUNNING);
  EXPECT_EQ(task.status_update_state(), mesos::v1::TASK_STARTING);
  EXPECT_EQ(task.status_update_uuid(), starting_uuid);

  agent.registerWithMaster();
  internal::AgentEvent ack;
  ack.set_type(internal::AgentEvent::ACKNOWLEDGE);
  ack.mutable_acknowledge()->mutable_framework_id()->set_value("f1");
  ack.mutable_acknowledge()->mutable_task_id()->set_value("t1");
  ack.mutable_acknowledge()->set_uuid(starting_uuid);
  agent.masterSends(ack);
  sent = agent.statusUpdates();
  ASSERT_EQ(sent.back().state(), mesos::v1::TASK_RUNNING);
  task = reported();
  EXPECT_EQ(task.status_update_state(), mesos::v1::TASK_RUNNING);
  EXPECT_EQ(task.status_update_uuid(), sent.back().uuid());
}

TEST(AgentStateMachine, BadExecutorUpdatesAreRefusedAndChangeNothing) {
  VirtualAgent agent;
  agent.registerWithMaster();
  agent.runCommandTask("t1");
  ASSERT_TRUE(agent.executorSubscribes("t1"));
  EXPECT_EQ(agent.executorUpdates("t1", mesos::v1::TASK_STAGING), 400);
  EXPECT_EQ(agent.executorUpdates("no-such-executor", mesos::v1::TASK_RUNNING), 400);
  EXPECT_TRUE(agent.statusUpdates().empty());
}

}  // namespace
}  // namespace plateau::testing
