// The master's state machine in virtual time, through its real HTTP handlers but no sockets:
// registration races, partitions and returns, offer rescinds, framework failover, reconciliation,
// status update order, failover to a new master on the same registry, and losing leadership.

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <mesos/v1/master/master.pb.h>

#include "common/json.h"
#include "unit/master/virtual_master.h"

namespace plateau::testing {
namespace {

using namespace std::chrono_literals;
namespace operator_api = mesos::v1::master;

v1::FrameworkInfo frameworkInfo(bool partition_aware, double failover_timeout = 0) {
  v1::FrameworkInfo info;
  info.set_user("tester");
  info.set_name("virtual");
  info.set_checkpoint(true);
  info.set_failover_timeout(failover_timeout);
  if (partition_aware) {
    info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::PARTITION_AWARE);
  }
  return info;
}

// A status update's uuid: 16 bytes, as Mesos requires.
std::string uuid(char fill) { return std::string(16, fill); }

template <class Event, class Type>
std::vector<Event> ofType(const std::vector<Event>& events, Type type) {
  std::vector<Event> out;
  for (const auto& e : events) {
    if (e.type() == type) {
      out.push_back(e);
    }
  }
  return out;
}

// A master with one agent (4 cpus, 1024 mem) and one framework subscribed, and the framework's
// first offer.
struct Cluster {
  explicit Cluster(VirtualMaster& m, bool partition_aware = true, double failover_timeout = 0)
      : master(m) {
    m.elect();
    agent = m.registerAgent(VirtualMaster::agentRegistration("host-a", 4, 1024));
    auto registered = ofType(agent.events(), internal::AgentEvent::REGISTERED);
    EXPECT_EQ(registered.size(), 1u);
    if (!registered.empty()) {
      agent.id = registered[0].registered().agent_id().value();
    }
    framework = m.subscribe(frameworkInfo(partition_aware, failover_timeout));
    auto events = framework.events();
    auto subscribed = ofType(events, scheduler::Event::SUBSCRIBED);
    EXPECT_EQ(subscribed.size(), 1u);
    early_offers = ofType(events, scheduler::Event::OFFERS);
    if (!subscribed.empty()) {
      framework.id = subscribed[0].subscribed().framework_id().value();
    }
  }

  // The framework's events since the last call; offers among them are kept for nextOffers().
  std::vector<scheduler::Event> events() {
    auto events = framework.events();
    for (auto& offers : ofType(events, scheduler::Event::OFFERS)) {
      early_offers.push_back(std::move(offers));
    }
    return events;
  }

  // Advances to the next allocation and returns the offers made since the last call (the first
  // may come with the subscription).
  std::vector<v1::Offer> nextOffers() {
    master.time.advance(1s);
    this->events();
    auto events = std::exchange(early_offers, {});
    std::vector<v1::Offer> offers;
    for (const auto& e : events) {
      offers.insert(offers.end(), e.offers().offers().begin(), e.offers().offers().end());
    }
    return offers;
  }

  // Launches a task (1 cpu, 128 mem) on the first offer; the agent gets RUN_TASK and reports it
  // RUNNING, which the framework receives.
  void launchRunningTask(const std::string& task_id) {
    auto offers = nextOffers();
    ASSERT_EQ(offers.size(), 1u);
    scheduler::Call call;
    call.set_type(scheduler::Call::ACCEPT);
    *call.mutable_accept()->add_offer_ids() = offers[0].id();
    auto* op = call.mutable_accept()->add_operations();
    op->set_type(v1::Offer::Operation::LAUNCH);
    auto* task = op->mutable_launch()->add_task_infos();
    task->set_name(task_id);
    task->mutable_task_id()->set_value(task_id);
    task->mutable_agent_id()->set_value(agent.id);
    task->mutable_command()->set_value("true");
    for (auto [name, value] : {std::pair{"cpus", 1.0}, std::pair{"mem", 128.0}}) {
      auto* r = task->add_resources();
      r->set_name(name);
      r->set_type(v1::Value::SCALAR);
      r->mutable_scalar()->set_value(value);
    }
    ASSERT_EQ(master.call(framework, call).status, 202) << master.call(framework, call).body;
    auto runs = ofType(agent.events(), internal::AgentEvent::RUN_TASK);
    ASSERT_EQ(runs.size(), 1u);
    ASSERT_EQ(runs[0].run_task().task().task_id().value(), task_id);
    ASSERT_EQ(update(task_id, v1::TASK_RUNNING, uuid('r')), 202);
    auto updates = ofType(events(), scheduler::Event::UPDATE);
    ASSERT_EQ(updates.size(), 1u);
    ASSERT_EQ(updates[0].update().status().state(), v1::TASK_RUNNING);
  }

  // The agent reports a status update; the HTTP status of the answer.
  int update(const std::string& task_id, v1::TaskState state, const std::string& uuid) {
    internal::AgentCall call;
    call.set_type(internal::AgentCall::STATUS_UPDATE);
    call.mutable_agent_id()->set_value(agent.id);
    call.mutable_status_update()->mutable_framework_id()->set_value(framework.id);
    auto* status = call.mutable_status_update()->mutable_status();
    status->mutable_task_id()->set_value(task_id);
    status->set_state(state);
    status->set_uuid(uuid);
    status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
    return master.agentCall(call);
  }

  // The agent's registration when it comes back under its id, still running `task_id`.
  internal::AgentCall::Register returningWithRunningTask(const std::string& task_id) const {
    auto reg = VirtualMaster::agentRegistration("host-a", 4, 1024);
    reg.mutable_agent_info()->mutable_id()->set_value(agent.id);
    auto* task = reg.add_tasks();
    task->set_name(task_id);
    task->mutable_task_id()->set_value(task_id);
    task->mutable_framework_id()->set_value(framework.id);
    task->mutable_agent_id()->set_value(agent.id);
    task->set_state(v1::TASK_RUNNING);
    return reg;
  }

  // The agent stays in touch for `d`, heartbeating every 15 s as a real one does.
  void keepAlive(std::chrono::seconds d) { keepAlive(master, agent.id, d); }
  static void keepAlive(VirtualMaster& m, const std::string& agent_id, std::chrono::seconds d) {
    internal::AgentCall beat;
    beat.set_type(internal::AgentCall::HEARTBEAT);
    beat.mutable_agent_id()->set_value(agent_id);
    for (auto left = d; left > 0s; left -= 15s) {
      m.time.advance(std::min<std::chrono::seconds>(left, 15s));
      ASSERT_EQ(m.agentCall(beat), 202);
    }
  }

  void reconcile(const std::string& task_id) {
    scheduler::Call call;
    call.set_type(scheduler::Call::RECONCILE);
    call.mutable_reconcile();  // empty: every task the master knows of the framework
    if (!task_id.empty()) {
      call.mutable_reconcile()->add_tasks()->mutable_task_id()->set_value(task_id);
    }
    ASSERT_EQ(master.call(framework, call).status, 202) << master.call(framework, call).body;
  }

  VirtualMaster& master;
  std::vector<scheduler::Event> early_offers;
  AgentLink agent;
  SchedulerLink framework;
};

TEST(MasterStateMachine, AgentIsAdmittedOnlyOnceTheRegistryHasIt) {
  VirtualMaster m;
  m.elect();
  m.store().refuse_writes = Status(StatusCode::kUnavailable, "disk on fire");
  auto refused = m.request("POST", "/agent/api/v1", [] {
    internal::AgentCall call;
    call.set_type(internal::AgentCall::REGISTER);
    *call.mutable_register_() = VirtualMaster::agentRegistration("host-a", 4, 1024);
    return call.SerializeAsString();
  }());
  ASSERT_TRUE(refused->response());
  EXPECT_EQ(refused->response()->status, 503);
  EXPECT_TRUE(m.store().state.agents.empty());

  m.store().refuse_writes.reset();
  auto agent = m.registerAgent(VirtualMaster::agentRegistration("host-a", 4, 1024));
  auto registered = ofType(agent.events(), internal::AgentEvent::REGISTERED);
  ASSERT_EQ(registered.size(), 1u);
  EXPECT_TRUE(m.store().state.agents.contains(registered[0].registered().agent_id().value()));
}

TEST(MasterStateMachine, ReregistrationRaceKeepsTheNewestLinkOnly) {
  VirtualMaster m;
  Cluster c(m);
  ASSERT_EQ(c.nextOffers().size(), 1u);

  // The agent reconnects before the master noticed its old link was gone.
  auto reg = VirtualMaster::agentRegistration("host-a", 4, 1024);
  reg.mutable_agent_info()->mutable_id()->set_value(c.agent.id);
  auto second = m.registerAgent(reg);
  auto registered = ofType(second.events(), internal::AgentEvent::REGISTERED);
  ASSERT_EQ(registered.size(), 1u);
  EXPECT_EQ(registered[0].registered().agent_id().value(), c.agent.id);
  EXPECT_TRUE(c.agent.stream->closed()) << "the old link must be closed";

  // The old link's end does not take the agent down: after its outstanding offer is declined,
  // the framework is offered the agent again, through the new link's agent.
  for (auto& e : ofType(c.events(), scheduler::Event::RESCIND)) {
    ADD_FAILURE() << "rescinded " << e.rescind().offer_id().value();
  }
  c.keepAlive(90s);  // past the ping timeout, with the agent heartbeating through the new link
  EXPECT_TRUE(ofType(c.events(), scheduler::Event::FAILURE).empty());
  EXPECT_TRUE(m.store().state.unreachable.empty());
}

TEST(MasterStateMachine, OffersOfADisconnectedAgentAreRescinded) {
  VirtualMaster m;
  Cluster c(m);
  auto offers = c.nextOffers();
  ASSERT_EQ(offers.size(), 1u);
  c.agent.stream->end();
  m.time.settle();
  auto rescinds = ofType(c.events(), scheduler::Event::RESCIND);
  ASSERT_EQ(rescinds.size(), 1u);
  EXPECT_EQ(rescinds[0].rescind().offer_id().value(), offers[0].id().value());
  // And nothing of a disconnected agent is offered again.
  EXPECT_TRUE(c.nextOffers().empty());
}

// The framework's OFFERS event borrows the master's own offers instead of copying them: what the
// framework got is, field for field, what the master holds (GET_FRAMEWORKS), the master still holds
// them after the send, and declining them leaves none outstanding.
TEST(MasterStateMachine, OffersSentAreTheOffersTheMasterHolds) {
  VirtualMaster m;
  Cluster c(m);
  m.registerAgent(VirtualMaster::agentRegistration("host-b", 2, 512));
  auto offers = c.nextOffers();
  ASSERT_EQ(offers.size(), 2u);
  auto held = [&m] {
    operator_api::Call call;
    call.set_type(operator_api::Call::GET_FRAMEWORKS);
    auto exchange = m.request("POST", "/api/v1", call.SerializeAsString());
    operator_api::Response response;
    EXPECT_TRUE(exchange->response() && response.ParseFromString(exchange->response()->body));
    std::map<std::string, std::string> out;
    for (const auto& framework : response.get_frameworks().frameworks()) {
      for (const auto& offer : framework.offers()) {
        out[offer.id().value()] = offer.SerializeAsString();
      }
    }
    return out;
  };
  std::map<std::string, std::string> sent;
  scheduler::Call decline;
  decline.set_type(scheduler::Call::DECLINE);
  for (const auto& offer : offers) {
    sent[offer.id().value()] = offer.SerializeAsString();
    *decline.mutable_decline()->add_offer_ids() = offer.id();
  }
  EXPECT_EQ(held(), sent);
  ASSERT_EQ(m.call(c.framework, decline).status, 202);
  EXPECT_TRUE(held().empty());
}

// A scheduler that reads slower than its offers come is not cut at the slow-reader bound: once its
// stream lags after an OFFERS event, it gets no more offers (its other events still flow) until
// the stream has caught up; then offers resume at once.
TEST(MasterStateMachine, OffersPauseWhileTheSchedulersStreamLagsAndResumeWhenItCatchesUp) {
  VirtualMaster m;
  Cluster c(m);
  auto decline = [&](const std::vector<v1::Offer>& offers) {
    scheduler::Call call;
    call.set_type(scheduler::Call::DECLINE);
    for (const auto& offer : offers) {
      *call.mutable_decline()->add_offer_ids() = offer.id();
    }
    call.mutable_decline()->mutable_filters()->set_refuse_seconds(0);
    ASSERT_EQ(m.call(c.framework, call).status, 202);
  };
  auto paused = [&m] {
    auto exchange = m.request("GET", "/metrics/snapshot", "");
    auto parsed = json::parse(exchange->response() ? exchange->response()->body : "");
    EXPECT_TRUE(parsed.has_value());
    double out = -1;
    if (parsed) {
      for (const auto& [key, value] : parsed->asObject()) {
        if (key == "plateau/offers_paused") {
          out = value.asDouble();
        }
      }
    }
    return out;
  };
  auto offers = c.nextOffers();
  ASSERT_EQ(offers.size(), 1u);
  c.framework.stream->setBacklog(0.25);
  decline(offers);
  offers = c.nextOffers();  // sent while lagging: the last for now
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(paused(), 1);
  decline(offers);
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(c.nextOffers().empty()) << "offered while the stream lags, round " << i;
  }
  EXPECT_FALSE(c.framework.stream->closed());
  EXPECT_EQ(ofType(c.events(), scheduler::Event::HEARTBEAT).size(), 0u);
  m.time.advance(15s);  // a heartbeat interval: events other than offers still flow
  EXPECT_EQ(ofType(c.events(), scheduler::Event::HEARTBEAT).size(), 1u);
  c.framework.stream->setBacklog(0);
  m.time.settle();
  offers = c.nextOffers();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(paused(), 1);
}

// An agent's update for a framework whose stream is half-way to the slow-reader bound is not
// forwarded (the agent sends it again until it is acknowledged) rather than the stream being
// cut; an update the master makes itself, which nothing would send again, still goes out.
TEST(MasterStateMachine, AgentUpdatesWaitForTheAgentsResendWhileTheSchedulersStreamIsNearItsBound) {
  VirtualMaster m;
  Cluster c(m);
  c.launchRunningTask("t1");
  c.framework.stream->setBacklog(0.6);
  ASSERT_EQ(c.update("t1", v1::TASK_FINISHED, uuid('f')), 202);
  EXPECT_TRUE(ofType(c.events(), scheduler::Event::UPDATE).empty());
  scheduler::Call reconcile;
  reconcile.set_type(scheduler::Call::RECONCILE);
  reconcile.mutable_reconcile()->add_tasks()->mutable_task_id()->set_value("t1");
  ASSERT_EQ(m.call(c.framework, reconcile).status, 202);
  auto answers = ofType(c.events(), scheduler::Event::UPDATE);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].update().status().reason(), v1::TaskStatus::REASON_RECONCILIATION);
  EXPECT_FALSE(answers[0].update().status().has_uuid());
  c.framework.stream->setBacklog(0);
  ASSERT_EQ(c.update("t1", v1::TASK_FINISHED, uuid('f')), 202);  // the agent's resend
  auto updates = ofType(c.events(), scheduler::Event::UPDATE);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().state(), v1::TASK_FINISHED);
  EXPECT_EQ(updates[0].update().status().uuid(), uuid('f'));
  EXPECT_FALSE(c.framework.stream->closed());
}

TEST(MasterStateMachine, PartitionedAgentBecomesUnreachableAndItsTaskReturns) {
  VirtualMaster m;
  Cluster c(m, /*partition_aware=*/true);
  c.launchRunningTask("t1");

  c.agent.stream->end();  // a partition: the agent falls silent
  m.time.advance(74s);    // within 5 pings of 15 s: still there
  EXPECT_TRUE(ofType(c.events(), scheduler::Event::UPDATE).empty());
  m.time.advance(16s);
  auto updates = ofType(c.events(), scheduler::Event::UPDATE);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().state(), v1::TASK_UNREACHABLE);
  EXPECT_EQ(updates[0].update().status().reason(), v1::TaskStatus::REASON_AGENT_REMOVED);
  EXPECT_TRUE(m.store().state.unreachable.contains(c.agent.id));

  // The agent comes back with its task still running.
  auto back = m.registerAgent(c.returningWithRunningTask("t1"));
  ASSERT_EQ(ofType(back.events(), internal::AgentEvent::REGISTERED).size(), 1u);
  EXPECT_FALSE(m.store().state.unreachable.contains(c.agent.id));
  EXPECT_TRUE(m.store().state.agents.contains(c.agent.id));

  c.reconcile("t1");
  updates = ofType(c.events(), scheduler::Event::UPDATE);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().state(), v1::TASK_RUNNING);
  EXPECT_EQ(updates[0].update().status().reason(), v1::TaskStatus::REASON_RECONCILIATION);
}

// The framework's task lists in /master/state, by list name: the ids in each, with their states.
std::map<std::string, std::vector<std::string>> stateTaskLists(VirtualMaster& m) {
  auto answer = m.request("GET", "/master/state", "");
  EXPECT_TRUE(answer->response());
  auto parsed = json::parse(answer->response() ? answer->response()->body : "");
  EXPECT_TRUE(parsed.has_value());
  const json::Value state = parsed.value_or(json::Value());
  std::map<std::string, std::vector<std::string>> lists;
  for (const auto& fw : state["frameworks"].asArray()) {
    for (const char* name : {"tasks", "unreachable_tasks", "completed_tasks"}) {
      for (const auto& task : fw[name].asArray()) {
        lists[name].push_back(task["id"].asString() + ":" + task["state"].asString());
      }
    }
  }
  return lists;
}

using Lists = std::map<std::string, std::vector<std::string>>;

// As in Mesos: a partition-aware framework's task on an unreachable agent is listed among the
// framework's unreachable tasks (not its completed ones), and among its tasks again once back.
TEST(MasterStateMachine, UnreachableTaskIsListedApartUntilItsAgentReturns) {
  VirtualMaster m;
  Cluster c(m, /*partition_aware=*/true);
  c.launchRunningTask("t1");
  EXPECT_EQ(stateTaskLists(m), (Lists{{"tasks", {"t1:TASK_RUNNING"}}}));

  c.agent.stream->end();
  m.time.advance(90s);
  ASSERT_TRUE(m.store().state.unreachable.contains(c.agent.id));
  EXPECT_EQ(stateTaskLists(m), (Lists{{"unreachable_tasks", {"t1:TASK_UNREACHABLE"}}}));

  auto back = m.registerAgent(c.returningWithRunningTask("t1"));
  ASSERT_EQ(ofType(back.events(), internal::AgentEvent::REGISTERED).size(), 1u);
  EXPECT_EQ(stateTaskLists(m), (Lists{{"tasks", {"t1:TASK_RUNNING"}}}));
}

// A framework that is not partition-aware is told TASK_LOST, and the task is completed.
TEST(MasterStateMachine, LostTaskOfAFrameworkNotPartitionAwareIsCompleted) {
  VirtualMaster m;
  Cluster c(m, /*partition_aware=*/false);
  c.launchRunningTask("t1");
  c.agent.stream->end();
  m.time.advance(90s);
  EXPECT_EQ(stateTaskLists(m), (Lists{{"completed_tasks", {"t1:TASK_LOST"}}}));
}

// As in Mesos: TASK_UNREACHABLE goes out only once the registry has stored the agent as
// unreachable, so that a failover in between cannot contradict it. A refused write reports
// nothing; the next missed ping tries again.
TEST(MasterStateMachine, UnreachableIsReportedOnlyOnceTheRegistryStoredIt) {
  VirtualMaster m;
  Cluster c(m, /*partition_aware=*/true);
  c.launchRunningTask("t1");
  m.store().refuse_writes = Status(StatusCode::kUnavailable, "registry unavailable");
  c.agent.stream->end();
  m.time.advance(120s);
  EXPECT_TRUE(ofType(c.events(), scheduler::Event::UPDATE).empty())
      << "TASK_UNREACHABLE sent although the registry did not store the agent as unreachable";
  EXPECT_TRUE(ofType(c.events(), scheduler::Event::FAILURE).empty());
  EXPECT_FALSE(m.store().state.unreachable.contains(c.agent.id));
  EXPECT_EQ(stateTaskLists(m), (Lists{{"tasks", {"t1:TASK_RUNNING"}}}));

  m.store().refuse_writes.reset();
  m.time.advance(15s);
  ASSERT_TRUE(m.store().state.unreachable.contains(c.agent.id));
  auto updates = ofType(c.events(), scheduler::Event::UPDATE);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().state(), v1::TASK_UNREACHABLE);
  EXPECT_EQ(updates[0].update().status().unreachable_time().nanoseconds(),
            static_cast<int64_t>(m.store().state.unreachable.at(c.agent.id) * 1e9));
  const int64_t unreachable_time = updates[0].update().status().unreachable_time().nanoseconds();

  // Explicit reconciliation with the agent's id answers the same (Mesos needs the agent's id).
  scheduler::Call reconcile;
  reconcile.set_type(scheduler::Call::RECONCILE);
  auto* task = reconcile.mutable_reconcile()->add_tasks();
  task->mutable_task_id()->set_value("t1");
  task->mutable_agent_id()->set_value(c.agent.id);
  ASSERT_EQ(m.call(c.framework, reconcile).status, 202);
  updates = ofType(c.events(), scheduler::Event::UPDATE);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().state(), v1::TASK_UNREACHABLE);
  EXPECT_EQ(updates[0].update().status().reason(), v1::TaskStatus::REASON_RECONCILIATION);
  EXPECT_EQ(updates[0].update().status().unreachable_time().nanoseconds(), unreachable_time);
}

TEST(MasterStateMachine, NonPartitionAwareTaskIsLostAndKilledWhenItsAgentReturns) {
  VirtualMaster m;
  Cluster c(m, /*partition_aware=*/false);
  c.launchRunningTask("t1");
  c.agent.stream->end();
  m.time.advance(90s);
  auto updates = ofType(c.events(), scheduler::Event::UPDATE);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().state(), v1::TASK_LOST);

  auto back = m.registerAgent(c.returningWithRunningTask("t1"));
  auto kills = ofType(back.events(), internal::AgentEvent::KILL_TASK);
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].kill_task().task_id().value(), "t1");
}

TEST(MasterStateMachine, ReconciliationAnswersKnownAndUnknownTasks) {
  VirtualMaster m;
  Cluster c(m);
  c.launchRunningTask("t1");

  c.reconcile("");  // implicit: every task it knows
  auto updates = ofType(c.events(), scheduler::Event::UPDATE);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().task_id().value(), "t1");
  EXPECT_EQ(updates[0].update().status().state(), v1::TASK_RUNNING);

  c.reconcile("never-launched");
  updates = ofType(c.events(), scheduler::Event::UPDATE);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().state(), v1::TASK_UNKNOWN);
  EXPECT_EQ(updates[0].update().status().reason(), v1::TaskStatus::REASON_RECONCILIATION);
}

// As Mesos: reconciliation answers the state of the latest update sent to the framework, not the
// agent's latest state, so that a framework never learns of TASK_FINISHED before its update.
TEST(MasterStateMachine, ReconciliationAnswersTheLatestUpdateSentNotTheAgentsLatestState) {
  VirtualMaster m;
  Cluster c(m);
  c.launchRunningTask("t1");
  // The unacknowledged TASK_RUNNING again, the task having finished meanwhile on the agent.
  internal::AgentCall resend;
  resend.set_type(internal::AgentCall::STATUS_UPDATE);
  resend.mutable_agent_id()->set_value(c.agent.id);
  resend.mutable_status_update()->mutable_framework_id()->set_value(c.framework.id);
  resend.mutable_status_update()->set_latest_state(v1::TASK_FINISHED);
  auto* status = resend.mutable_status_update()->mutable_status();
  status->mutable_task_id()->set_value("t1");
  status->set_state(v1::TASK_RUNNING);
  status->set_uuid(uuid('r'));
  status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  ASSERT_EQ(m.agentCall(resend), 202);
  ASSERT_EQ(ofType(c.events(), scheduler::Event::UPDATE).size(), 1u);

  c.reconcile("t1");
  auto updates = ofType(c.events(), scheduler::Event::UPDATE);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().state(), v1::TASK_RUNNING);

  ASSERT_EQ(c.update("t1", v1::TASK_FINISHED, uuid('f')), 202);
  ASSERT_EQ(ofType(c.events(), scheduler::Event::UPDATE).size(), 1u);
  c.reconcile("");
  updates = ofType(c.events(), scheduler::Event::UPDATE);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().state(), v1::TASK_FINISHED);
}

// As Mesos: after a failover the new master learns from each agent's registration which update
// of each task the agent last sent (status_update_state and uuid), and reconciliation answers
// that state, whatever the agent's latest; only a task reported without it answers its latest.
TEST(MasterStateMachine, AfterAFailoverReconciliationAnswersTheUpdateTheAgentLastSent) {
  auto store = std::make_shared<FakeRegistry::Store>();
  v1::FrameworkInfo info = frameworkInfo(true, /*failover_timeout=*/3600);
  std::string agent_id;
  {
    VirtualMaster first({}, store);
    Cluster c(first, true, 3600);
    agent_id = c.agent.id;
    info.mutable_id()->set_value(c.framework.id);
  }
  VirtualMaster next({}, store);
  next.elect();
  auto reg = VirtualMaster::agentRegistration("host-a", 4, 1024);
  reg.mutable_agent_info()->mutable_id()->set_value(agent_id);
  *reg.add_frameworks() = info;
  auto report = [&](const std::string& id, v1::TaskState state, std::optional<v1::TaskState> sent,
                    char uuid_fill) {
    auto* task = reg.add_tasks();
    task->set_name(id);
    task->mutable_task_id()->set_value(id);
    task->mutable_framework_id()->set_value(info.id().value());
    task->mutable_agent_id()->set_value(agent_id);
    task->set_state(state);
    if (sent) {
      task->set_status_update_state(*sent);
      task->set_status_update_uuid(uuid(uuid_fill));
    }
  };
  report("running", v1::TASK_RUNNING, v1::TASK_RUNNING, 'r');     // acknowledged
  report("finished", v1::TASK_FINISHED, v1::TASK_FINISHED, 'f');  // sent, not acknowledged
  report("starting", v1::TASK_RUNNING, v1::TASK_STARTING, 's');   // RUNNING waits behind it
  report("finishing", v1::TASK_FINISHED, v1::TASK_RUNNING, 'g');  // FINISHED waits behind it
  report("unreported", v1::TASK_RUNNING, std::nullopt, 0);        // an agent that does not say
  auto back = next.registerAgent(reg);
  ASSERT_EQ(ofType(back.events(), internal::AgentEvent::REGISTERED).size(), 1u);

  auto framework = next.subscribe(info);
  framework.id = info.id().value();
  ASSERT_EQ(ofType(framework.events(), scheduler::Event::SUBSCRIBED).size(), 1u);
  scheduler::Call reconcile;
  reconcile.set_type(scheduler::Call::RECONCILE);
  reconcile.mutable_reconcile();
  ASSERT_EQ(next.call(framework, reconcile).status, 202);
  std::map<std::string, v1::TaskState> answers;
  for (const auto& update : ofType(framework.events(), scheduler::Event::UPDATE)) {
    EXPECT_EQ(update.update().status().reason(), v1::TaskStatus::REASON_RECONCILIATION);
    EXPECT_EQ(update.update().status().source(), v1::TaskStatus::SOURCE_MASTER);
    answers[update.update().status().task_id().value()] = update.update().status().state();
  }
  EXPECT_EQ(answers, (std::map<std::string, v1::TaskState>{{"running", v1::TASK_RUNNING},
                                                           {"finished", v1::TASK_FINISHED},
                                                           {"starting", v1::TASK_STARTING},
                                                           {"finishing", v1::TASK_RUNNING},
                                                           {"unreported", v1::TASK_RUNNING}}));

  // The terminal update's uuid came with the registration: its acknowledgement completes it.
  scheduler::Call ack;
  ack.set_type(scheduler::Call::ACKNOWLEDGE);
  ack.mutable_acknowledge()->mutable_agent_id()->set_value(agent_id);
  ack.mutable_acknowledge()->mutable_task_id()->set_value("finished");
  ack.mutable_acknowledge()->set_uuid(uuid('f'));
  ASSERT_EQ(next.call(framework, ack).status, 202);
  ASSERT_EQ(next.call(framework, reconcile).status, 202);
  std::vector<std::string> still_known;
  for (const auto& update : ofType(framework.events(), scheduler::Event::UPDATE)) {
    still_known.push_back(update.update().status().task_id().value());
  }
  std::sort(still_known.begin(), still_known.end());
  EXPECT_EQ(still_known,
            (std::vector<std::string>{"finishing", "running", "starting", "unreported"}));
}

TEST(MasterStateMachine, StatusUpdatesReachTheSchedulerInOrderAndAcksReachTheAgent) {
  VirtualMaster m;
  Cluster c(m);
  c.launchRunningTask("t1");
  ASSERT_EQ(c.update("t1", v1::TASK_KILLING, uuid('k')), 202);
  ASSERT_EQ(c.update("t1", v1::TASK_FINISHED, uuid('f')), 202);
  auto updates = ofType(c.events(), scheduler::Event::UPDATE);
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].update().status().state(), v1::TASK_KILLING);
  EXPECT_EQ(updates[1].update().status().state(), v1::TASK_FINISHED);

  scheduler::Call ack;
  ack.set_type(scheduler::Call::ACKNOWLEDGE);
  ack.mutable_acknowledge()->mutable_agent_id()->set_value(c.agent.id);
  ack.mutable_acknowledge()->mutable_task_id()->set_value("t1");
  ack.mutable_acknowledge()->set_uuid(updates[1].update().status().uuid());
  ASSERT_EQ(m.call(c.framework, ack).status, 202) << m.call(c.framework, ack).body;
  auto acks = ofType(c.agent.events(), internal::AgentEvent::ACKNOWLEDGE);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].acknowledge().uuid(), uuid('f'));

  // The finished task's resources are offered again: all 4 cpus.
  auto offers = c.nextOffers();
  ASSERT_EQ(offers.size(), 1u);
  double cpus = 0;
  for (const auto& r : offers[0].resources()) {
    if (r.name() == "cpus") {
      cpus += r.scalar().value();
    }
  }
  EXPECT_EQ(cpus, 4);
}

TEST(MasterStateMachine, FrameworkFailsOverWithinItsTimeoutAndIsRemovedAfterIt) {
  VirtualMaster m;
  Cluster c(m, true, /*failover_timeout=*/60);
  c.launchRunningTask("t1");

  c.framework.stream->end();  // the scheduler goes away
  c.keepAlive(59s);
  auto info = frameworkInfo(true, 60);
  info.mutable_id()->set_value(c.framework.id);
  auto again = m.subscribe(info);
  auto subscribed = ofType(again.events(), scheduler::Event::SUBSCRIBED);
  ASSERT_EQ(subscribed.size(), 1u);
  EXPECT_EQ(subscribed[0].subscribed().framework_id().value(), c.framework.id);
  EXPECT_TRUE(ofType(c.agent.events(), internal::AgentEvent::SHUTDOWN_FRAMEWORK).empty());

  again.stream->end();  // and away again, for good this time
  c.keepAlive(59s);
  EXPECT_TRUE(ofType(c.agent.events(), internal::AgentEvent::SHUTDOWN_FRAMEWORK).empty());
  c.keepAlive(2s);
  auto shutdowns = ofType(c.agent.events(), internal::AgentEvent::SHUTDOWN_FRAMEWORK);
  ASSERT_EQ(shutdowns.size(), 1u);
  EXPECT_EQ(shutdowns[0].shutdown_framework().framework_id().value(), c.framework.id);
  EXPECT_FALSE(m.store().state.frameworks.contains(c.framework.id));
}

TEST(MasterStateMachine, NewLeaderRecoversAgentsAndMarksTheSilentOnesUnreachable) {
  auto store = std::make_shared<FakeRegistry::Store>();
  std::string returning, silent;
  {
    VirtualMaster first({}, store);
    first.elect();
    for (auto* id : {&returning, &silent}) {
      auto link = first.registerAgent(
          VirtualMaster::agentRegistration(id == &returning ? "host-r" : "host-s", 2, 512));
      auto registered = ofType(link.events(), internal::AgentEvent::REGISTERED);
      ASSERT_EQ(registered.size(), 1u);
      *id = registered[0].registered().agent_id().value();
    }
  }
  ASSERT_EQ(store->state.agents.size(), 2u);

  VirtualMaster next({}, store);
  next.elect();
  auto reg = VirtualMaster::agentRegistration("host-r", 2, 512);
  reg.mutable_agent_info()->mutable_id()->set_value(returning);
  auto back = next.registerAgent(reg);
  ASSERT_EQ(ofType(back.events(), internal::AgentEvent::REGISTERED).size(), 1u);

  Cluster::keepAlive(next, returning, 9min);  // --agent_reregister_timeout is 10 minutes
  EXPECT_TRUE(store->state.unreachable.empty());
  Cluster::keepAlive(next, returning, 61s);
  EXPECT_TRUE(store->state.unreachable.contains(silent));
  EXPECT_FALSE(store->state.unreachable.contains(returning));
  EXPECT_TRUE(store->state.agents.contains(returning));
}

TEST(MasterStateMachine, StandbyRedirectsToTheLeaderItDetects) {
  VirtualMaster m;  // not elected
  auto before = m.request("POST", "/api/v1/scheduler", "");
  ASSERT_TRUE(before->response());
  EXPECT_EQ(before->response()->status, 503);

  v1::MasterInfo other;
  other.set_id("other");
  other.mutable_address()->set_hostname("leader.example");
  other.mutable_address()->set_ip("127.0.0.2");
  other.mutable_address()->set_port(5051);
  m.leadership().detect(other);
  auto after = m.request("POST", "/api/v1/scheduler", "");
  ASSERT_TRUE(after->response());
  EXPECT_EQ(after->response()->status, 307);
  EXPECT_EQ(after->response()->header("location"), "//leader.example:5051/api/v1/scheduler");
}

TEST(MasterStateMachine, DeposedOrFencedMasterStopsActing) {
  {
    VirtualMaster m;
    m.elect();
    EXPECT_FALSE(m.stopped());
    m.leadership().depose("session expired");
    EXPECT_TRUE(m.stopped());
    EXPECT_EQ(m.master().exitCode(), 1);
    auto answer = m.request("POST", "/api/v1/scheduler", "");
    ASSERT_TRUE(answer->response());
    EXPECT_EQ(answer->response()->status, 503) << "a deposed master serves no API";
  }
  {
    VirtualMaster m;
    m.elect();
    // Another master's epoch: the write is refused as stale.
    m.store().refuse_writes = Status(StatusCode::kFailedPrecondition, "epoch moved on");
    internal::AgentCall call;
    call.set_type(internal::AgentCall::REGISTER);
    *call.mutable_register_() = VirtualMaster::agentRegistration("host-a", 1, 1);
    auto refused = m.request("POST", "/agent/api/v1", call.SerializeAsString());
    ASSERT_TRUE(refused->response());
    EXPECT_EQ(refused->response()->status, 503);
    EXPECT_TRUE(m.stopped());
    EXPECT_EQ(m.master().exitCode(), 1);
  }
}

}  // namespace
}  // namespace plateau::testing
