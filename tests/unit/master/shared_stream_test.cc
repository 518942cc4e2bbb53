// Shared agent streams (proto/plateau/agent.proto, "Shared streams"), through the master's real
// handlers in virtual time: several agents registered on one event stream, their events tagged,
// offers for each, the stream's end disconnecting all of them, one agent's removal leaving the
// stream to the others, and heartbeats of several agents in one call.

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "unit/master/virtual_master.h"

namespace plateau::testing {
namespace {

using namespace std::chrono_literals;

std::vector<internal::AgentEvent> ofType(const std::vector<internal::AgentEvent>& events,
                                         internal::AgentEvent::Type type) {
  std::vector<internal::AgentEvent> out;
  for (const auto& e : events) {
    if (e.type() == type) {
      out.push_back(e);
    }
  }
  return out;
}

internal::AgentCall registration(const std::string& hostname, const std::string& tag) {
  internal::AgentCall call;
  call.set_type(internal::AgentCall::REGISTER);
  *call.mutable_register_() = VirtualMaster::agentRegistration(hostname, 4, 1024);
  call.set_stream_tag(tag);
  return call;
}

// A master with agents "a" (which opened the shared stream) and "b" (which joined it).
struct SharedCluster {
  explicit SharedCluster(VirtualMaster& m) : master(m) {
    m.elect();
    internal::AgentCall open = registration("host-a", "a");
    open.set_share_stream(true);
    stream = m.registerAgent(open);
    auto registered = ofType(stream.events(), internal::AgentEvent::REGISTERED);
    EXPECT_EQ(registered.size(), 1u);
    if (registered.empty()) {
      return;
    }
    const auto& first = registered[0];
    a = first.registered().agent_id().value();
    stream_id = first.registered().stream_id();
    EXPECT_FALSE(stream_id.empty()) << "a shared stream is named in its first REGISTERED";
    EXPECT_EQ(first.stream_tag(), "a");
    EXPECT_EQ(first.agent_id().value(), a) << "events on a shared stream carry their agent";

    internal::AgentCall join = registration("host-b", "b");
    join.set_join_stream(stream_id);
    auto answer = m.request("POST", "/agent/api/v1", join.SerializeAsString());
    EXPECT_TRUE(answer->response());
    EXPECT_EQ(answer->response() ? answer->response()->status : 0, 202);
    EXPECT_FALSE(answer->stream()) << "a joining REGISTER opens no stream of its own";
    registered = ofType(stream.events(), internal::AgentEvent::REGISTERED);
    EXPECT_EQ(registered.size(), 1u);
    if (!registered.empty()) {
      b = registered[0].registered().agent_id().value();
      EXPECT_EQ(registered[0].stream_tag(), "b");
      EXPECT_EQ(registered[0].agent_id().value(), b);
      EXPECT_NE(b, a);
      EXPECT_FALSE(registered[0].registered().has_stream_id());
    }
  }

  // The framework's offers after the next allocation, by agent id.
  std::multiset<std::string> offeredAgents() {
    master.time.advance(1s);
    std::multiset<std::string> agents;
    auto events = std::exchange(early, {});
    for (auto& e : framework.events()) {
      events.push_back(std::move(e));
    }
    for (const auto& e : events) {
      if (e.type() == scheduler::Event::OFFERS) {
        for (const auto& offer : e.offers().offers()) {
          agents.insert(offer.agent_id().value());
          offer_of[offer.agent_id().value()] = offer.id().value();
        }
      }
    }
    return agents;
  }

  void subscribe() {
    v1::FrameworkInfo info;
    info.set_user("tester");
    info.set_name("shared");
    framework = master.subscribe(info);
    for (auto& e : framework.events()) {
      if (e.type() == scheduler::Event::SUBSCRIBED) {
        framework.id = e.subscribed().framework_id().value();
      } else {
        early.push_back(std::move(e));  // offers may come with the subscription
      }
    }
  }

  // One HEARTBEAT call for the given agents, each with its session.
  int heartbeats(const std::vector<std::string>& agents) {
    internal::AgentCall call;
    call.set_type(internal::AgentCall::HEARTBEAT);
    for (const auto& id : agents) {
      auto* beat = call.add_heartbeats();
      beat->mutable_agent_id()->set_value(id);
      beat->set_session(master.sessionOf(id));
    }
    auto answer = master.request("POST", "/agent/api/v1", call.SerializeAsString());
    return answer->response() ? answer->response()->status : 0;
  }

  VirtualMaster& master;
  AgentLink stream;
  std::string stream_id, a, b;
  SchedulerLink framework;
  std::vector<scheduler::Event> early;          // events that came with the subscription
  std::map<std::string, std::string> offer_of;  // agent id -> its latest offer's id
};

TEST(SharedAgentStream, TwoAgentsOnOneStreamAreBothOfferedAndGetTheirOwnEvents) {
  VirtualMaster m;
  SharedCluster c(m);
  ASSERT_FALSE(c.b.empty());
  EXPECT_NE(m.sessionOf(c.a), m.sessionOf(c.b)) << "each agent has its own session";
  c.subscribe();
  EXPECT_EQ(c.offeredAgents(), (std::multiset<std::string>{c.a, c.b}));

  // A task launched on b reaches the shared stream tagged with b.
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  accept.mutable_accept()->add_offer_ids()->set_value(c.offer_of[c.b]);
  auto* op = accept.mutable_accept()->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  auto* task = op->mutable_launch()->add_task_infos();
  task->set_name("t1");
  task->mutable_task_id()->set_value("t1");
  task->mutable_agent_id()->set_value(c.b);
  task->mutable_command()->set_value("true");
  auto* cpus = task->add_resources();
  cpus->set_name("cpus");
  cpus->set_type(v1::Value::SCALAR);
  cpus->mutable_scalar()->set_value(1);
  ASSERT_EQ(m.call(c.framework, accept).status, 202);
  auto runs = ofType(c.stream.events(), internal::AgentEvent::RUN_TASK);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].agent_id().value(), c.b);
  EXPECT_EQ(runs[0].run_task().task().task_id().value(), "t1");

  // b's own call (its session) updates the task; a's session does not speak for b.
  internal::AgentCall update;
  update.set_type(internal::AgentCall::STATUS_UPDATE);
  update.mutable_agent_id()->set_value(c.b);
  update.mutable_status_update()->mutable_framework_id()->set_value(c.framework.id);
  auto* status = update.mutable_status_update()->mutable_status();
  status->mutable_task_id()->set_value("t1");
  status->set_state(v1::TASK_RUNNING);
  status->set_uuid(std::string(16, 'r'));
  status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  update.set_session(m.sessionOf(c.a));
  EXPECT_EQ(m.agentCall(update), 403);
  update.clear_session();
  EXPECT_EQ(m.agentCall(update), 202);
}

TEST(SharedAgentStream, TheStreamsEndDisconnectsEveryAgentOnIt) {
  VirtualMaster m;
  SharedCluster c(m);
  c.subscribe();
  ASSERT_EQ(c.offeredAgents().size(), 2u);
  c.stream.stream->end();
  m.time.settle();
  int rescinded = 0;
  for (const auto& e : c.framework.events()) {
    rescinded += e.type() == scheduler::Event::RESCIND ? 1 : 0;
  }
  EXPECT_EQ(rescinded, 2) << "both agents' offers go with the stream";
  EXPECT_TRUE(c.offeredAgents().empty());
  // Joining a stream that ended: 404, and nothing is admitted.
  internal::AgentCall join = registration("host-c", "c");
  join.set_join_stream(c.stream_id);
  auto answer = m.request("POST", "/agent/api/v1", join.SerializeAsString());
  ASSERT_TRUE(answer->response());
  EXPECT_EQ(answer->response()->status, 404);
}

TEST(SharedAgentStream, OneAgentRemovedIsDetachedWhileTheStreamStaysForTheOther) {
  VirtualMaster m;
  SharedCluster c(m);
  c.subscribe();
  ASSERT_EQ(c.offeredAgents().size(), 2u);
  // Only b is heard from (its heartbeats batched in calls for several agents), past the 75 s
  // of silence after which the master removes an agent.
  for (int i = 0; i < 7; ++i) {
    m.time.advance(15s);
    ASSERT_EQ(c.heartbeats({c.b, "not-an-agent"}), 202);
  }
  auto events = c.stream.events();
  auto detached = ofType(events, internal::AgentEvent::DETACHED);
  ASSERT_EQ(detached.size(), 1u);
  EXPECT_EQ(detached[0].agent_id().value(), c.a);
  EXPECT_FALSE(c.stream.stream->closed()) << "b is still on it";
  EXPECT_TRUE(m.store().state.unreachable.contains(c.a));
  EXPECT_FALSE(m.store().state.unreachable.contains(c.b));
  // The master pinged the stream, not each agent: at most one HEARTBEAT per 7.5 s.
  EXPECT_LE(ofType(events, internal::AgentEvent::HEARTBEAT).size(), 7u);

  // A heartbeat with a wrong session keeps no one alive.
  internal::AgentCall call;
  call.set_type(internal::AgentCall::HEARTBEAT);
  auto* beat = call.add_heartbeats();
  beat->mutable_agent_id()->set_value(c.b);
  beat->set_session("not-b's");
  for (int i = 0; i < 6; ++i) {
    m.time.advance(15s);
    m.request("POST", "/agent/api/v1", call.SerializeAsString());
  }
  EXPECT_TRUE(m.store().state.unreachable.contains(c.b));
  EXPECT_TRUE(c.stream.stream->closed()) << "the last agent on it was removed";
}

TEST(SharedAgentStream, AJoinNeedsAnOpenStreamAndCannotAlsoOpenOne) {
  VirtualMaster m;
  m.elect();
  internal::AgentCall join = registration("host-a", "a");
  join.set_join_stream("no-such-stream");
  auto answer = m.request("POST", "/agent/api/v1", join.SerializeAsString());
  ASSERT_TRUE(answer->response());
  EXPECT_EQ(answer->response()->status, 404);
  join.set_share_stream(true);
  answer = m.request("POST", "/agent/api/v1", join.SerializeAsString());
  ASSERT_TRUE(answer->response());
  EXPECT_EQ(answer->response()->status, 400);
}

}  // namespace
}  // namespace plateau::testing
