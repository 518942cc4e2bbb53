// The agent's link to the master in virtual time, over a fake transport: registration,
// reconnection with backoff, heartbeats and a silent master, a master that forgot the agent,
// leader changes and corrupt streams. No sockets, no sleeps.

#include "agent/master_link.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "fakes/fake_master_transport.h"
#include "fakes/virtual_time.h"

namespace plateau::agent {
namespace {

using namespace std::chrono_literals;
using plateau::testing::VirtualTime;

using FakeStream = plateau::testing::FakeMasterStream;
using FakeTransport = plateau::testing::FakeMasterTransport;

internal::AgentEvent registeredEvent(double heartbeat_seconds) {
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::REGISTERED);
  auto* r = event.mutable_registered();
  r->mutable_agent_id()->set_value("a1");
  r->mutable_master_info()->set_id("m1");
  r->mutable_master_info()->set_ip(0x0100007f);
  r->mutable_master_info()->set_port(5050);
  r->mutable_master_info()->set_hostname("master-1");
  r->set_heartbeat_interval_seconds(heartbeat_seconds);
  return event;
}

internal::AgentEvent killEvent(const std::string& task) {
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::KILL_TASK);
  event.mutable_kill_task()->mutable_framework_id()->set_value("f1");
  event.mutable_kill_task()->mutable_task_id()->set_value(task);
  return event;
}

internal::AgentEvent heartbeatEvent() {
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::HEARTBEAT);
  return event;
}

std::string frame(const std::vector<internal::AgentEvent>& events) {
  std::string out;
  for (const auto& e : events) {
    out += recordio::encode(e.SerializeAsString());
  }
  return out;
}

const http::Endpoint kMasterA{"10.0.0.1", 5050};
const http::Endpoint kMasterB{"10.0.0.2", 5050};

class MasterLinkTest : public ::testing::Test {
 protected:
  MasterLinkTest() : link_(makeLink(std::nullopt)) {}

  std::unique_ptr<MasterLink> makeLink(std::optional<uint64_t> jitter_seed) {
    return std::make_unique<MasterLink>(time_, time_, transport_, 1s, jitter_seed,
                                        std::make_shared<spdlog::logger>("test"), hooks());
  }

  MasterLink::Hooks hooks() {
    return {.registration =
                [this] {
                  internal::AgentCall call;
                  call.set_type(internal::AgentCall::REGISTER);
                  call.mutable_register_()->set_version(std::to_string(++registrations_));
                  return call;
                },
            .registered = [this](const internal::AgentEvent::Registered&) { log_.push_back("up"); },
            .disconnected = [this] { log_.push_back("down"); },
            .event =
                [this](const internal::AgentEvent& event) {
                  log_.push_back("kill " + event.kill_task().task_id().value());
                },
            .agent_id =
                [] {
                  mesos::v1::AgentID id;
                  id.set_value("a1");
                  return id;
                }};
  }

  FakeStream& stream() { return *transport_.streams.back(); }
  void deliver(const std::vector<internal::AgentEvent>& events) {
    stream().callbacks.on_data(frame(events));
  }
  void close() { stream().callbacks.on_closed(Status(StatusCode::kUnavailable, "closed")); }
  // Virtual time from now until the link opens its next subscription (fails if it never does
  // within an hour).
  std::chrono::milliseconds untilNextSubscription() {
    size_t before = transport_.streams.size();
    auto start = time_.now();
    while (transport_.streams.size() == before) {
      if (time_.now() - start > 1h) {
        ADD_FAILURE() << "no new subscription";
        return 0ms;
      }
      time_.advance(1ms);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(time_.now() - start);
  }

  VirtualTime time_;
  FakeTransport transport_;
  std::vector<std::string> log_;
  int registrations_ = 0;
  std::unique_ptr<MasterLink> link_;
};

TEST_F(MasterLinkTest, RegistersOnceAMasterIsKnown) {
  link_->setMaster(std::nullopt);
  time_.advance(1min);
  EXPECT_TRUE(transport_.streams.empty());

  link_->setMaster(kMasterA);
  ASSERT_EQ(transport_.streams.size(), 1u);
  EXPECT_EQ(stream().master.toString(), kMasterA.toString());
  EXPECT_EQ(stream().call.type(), internal::AgentCall::REGISTER);
  EXPECT_TRUE(link_->connected());
  EXPECT_FALSE(link_->registered());

  deliver({registeredEvent(5)});
  EXPECT_TRUE(link_->registered());
  EXPECT_EQ(link_->masterHostname(), "master-1");
  EXPECT_EQ(log_, std::vector<std::string>{"up"});
  // The same master named again changes nothing.
  link_->setMaster(kMasterA);
  EXPECT_EQ(transport_.streams.size(), 1u);
  EXPECT_FALSE(stream().cancelled);
}

TEST_F(MasterLinkTest, ReregistersWithDoublingBackoffUpToTheLimit) {
  link_->setMaster(kMasterA);
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 6; i++) {
    close();
    delays.push_back(untilNextSubscription());
  }
  EXPECT_EQ(delays,
            (std::vector<std::chrono::milliseconds>{100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms}));
  // Each attempt builds its REGISTER afresh (what the agent runs may have changed).
  EXPECT_EQ(stream().call.register_().version(), "7");
}

TEST_F(MasterLinkTest, JitteredWaitsLieBetweenHalfTheBackoffAndAllOfItAndReplayBySeed) {
  auto waits = [this](uint64_t seed) {
    link_ = makeLink(seed);
    link_->setMaster(kMasterA);
    std::vector<std::chrono::milliseconds> delays;
    for (int i = 0; i < 6; i++) {
      close();
      delays.push_back(untilNextSubscription());
    }
    return delays;
  };
  const std::vector<std::chrono::milliseconds> nominal{100ms, 200ms, 400ms, 800ms, 1s, 1s};
  auto first = waits(7);
  for (size_t i = 0; i < nominal.size(); i++) {
    EXPECT_GE(first[i], nominal[i] / 2) << i;
    EXPECT_LE(first[i], nominal[i]) << i;
  }
  EXPECT_NE(first, nominal);  // spread, not the exact backoff
  EXPECT_EQ(waits(7), first);
  EXPECT_NE(waits(8), first);
}

TEST_F(MasterLinkTest, RegisteredResetsTheBackoff) {
  link_->setMaster(kMasterA);
  for (int i = 0; i < 4; i++) {
    close();
    untilNextSubscription();
  }
  deliver({registeredEvent(5)});
  close();
  EXPECT_FALSE(link_->registered());
  EXPECT_EQ(untilNextSubscription(), 100ms);
  EXPECT_EQ(log_, (std::vector<std::string>{"down", "down", "down", "down", "up", "down"}));
}

TEST_F(MasterLinkTest, HeartbeatsEveryPeriodWhileTheMasterTalks) {
  link_->setMaster(kMasterA);
  deliver({registeredEvent(2)});
  for (int i = 0; i < 10; i++) {
    time_.advance(4s);
    deliver({heartbeatEvent()});  // the master's ping: never seen by the agent
  }
  EXPECT_EQ(transport_.heartbeats(), 20u);
  EXPECT_EQ(transport_.sent.back().call.agent_id().value(), "a1");
  EXPECT_TRUE(link_->registered());
  EXPECT_EQ(transport_.streams.size(), 1u);
  EXPECT_EQ(log_, std::vector<std::string>{"up"});
}

TEST_F(MasterLinkTest, SilentMasterIsLeftAfterSixPeriods) {
  link_->setMaster(kMasterA);
  deliver({registeredEvent(1)});
  time_.advance(6s);  // six silent periods: not yet
  EXPECT_TRUE(link_->registered());
  EXPECT_EQ(transport_.heartbeats(), 6u);
  time_.advance(1s);
  EXPECT_FALSE(link_->registered());
  EXPECT_TRUE(transport_.streams[0]->cancelled);
  EXPECT_EQ(log_, (std::vector<std::string>{"up", "down"}));
  EXPECT_EQ(untilNextSubscription(), 100ms);
  // No heartbeat while unregistered.
  time_.advance(10s);
  EXPECT_EQ(transport_.heartbeats(), 6u);
}

TEST_F(MasterLinkTest, MasterThatForgotTheAgentIsRegisteredWithAgain) {
  link_->setMaster(kMasterA);
  internal::AgentCall update;
  update.set_type(internal::AgentCall::STATUS_UPDATE);
  // Before REGISTERED a 404 means nothing yet.
  link_->send(update);
  transport_.sent.back().done(404);
  EXPECT_FALSE(stream().cancelled);

  deliver({registeredEvent(5)});
  link_->send(update);
  transport_.sent.back().done(202);
  EXPECT_TRUE(link_->registered());
  link_->send(update);
  transport_.sent.back().done(404);
  EXPECT_TRUE(stream().cancelled);
  EXPECT_FALSE(link_->registered());
  EXPECT_EQ(untilNextSubscription(), 100ms);
}

TEST_F(MasterLinkTest, NewLeaderEndsTheStreamToTheOldOne) {
  link_->setMaster(kMasterA);
  deliver({registeredEvent(5)});
  link_->setMaster(kMasterB);
  EXPECT_TRUE(transport_.streams[0]->cancelled);
  EXPECT_FALSE(link_->connected());
  EXPECT_EQ(untilNextSubscription(), 100ms);
  EXPECT_EQ(stream().master.toString(), kMasterB.toString());
}

TEST_F(MasterLinkTest, AnEarlierRetryStillPendingMayRegisterFirst) {
  link_->setMaster(kMasterA);
  for (int i = 0; i < 3; i++) {
    close();
    untilNextSubscription();
  }
  close();  // the next retry in 800 ms
  time_.advance(300ms);
  link_->setMaster(kMasterB);  // registers at once, and is refused
  ASSERT_EQ(transport_.streams.size(), 5u);
  close();  // a retry in 1 s, but the one pending comes first
  EXPECT_EQ(untilNextSubscription(), 500ms);
  EXPECT_EQ(stream().master.toString(), kMasterB.toString());
}

TEST_F(MasterLinkTest, NoLeaderMeansNoReregistrationUntilOneIsElected) {
  link_->setMaster(kMasterA);
  link_->setMaster(std::nullopt);  // the stream open stays open
  EXPECT_FALSE(stream().cancelled);
  close();
  time_.advance(1h);
  EXPECT_EQ(transport_.streams.size(), 1u);
  link_->setMaster(kMasterA);  // elected again: registers at once
  EXPECT_EQ(transport_.streams.size(), 2u);
}

TEST_F(MasterLinkTest, EventsReachTheAgentInOrderAndCorruptionEndsTheStream) {
  link_->setMaster(kMasterA);
  deliver({registeredEvent(5), killEvent("t1"), heartbeatEvent(), killEvent("t2")});
  EXPECT_EQ(log_, (std::vector<std::string>{"up", "kill t1", "kill t2"}));

  stream().callbacks.on_data(recordio::encode("not an event"));
  EXPECT_TRUE(stream().cancelled);
  EXPECT_FALSE(link_->registered());
  EXPECT_EQ(log_.back(), "down");
  EXPECT_EQ(untilNextSubscription(), 100ms);
}

TEST_F(MasterLinkTest, DestroyedLinkLeavesNoTimerOrStream) {
  link_->setMaster(kMasterA);
  deliver({registeredEvent(1)});
  close();  // a reconnection is pending
  link_->setMaster(kMasterB);
  deliver({registeredEvent(1)});  // and heartbeats run
  EXPECT_GT(time_.pending(), 0u);
  auto last = transport_.streams.back();
  link_.reset();
  EXPECT_EQ(time_.pending(), 0u);
  EXPECT_TRUE(last->cancelled);
}

TEST_F(MasterLinkTest, CallRateLimitedByTheMasterIsSentAgainUntilAccepted) {
  link_->setMaster(kMasterA);
  deliver({registeredEvent(60)});
  internal::AgentCall update;
  update.set_type(internal::AgentCall::STATUS_UPDATE);
  update.mutable_status_update()->mutable_status()->mutable_task_id()->set_value("t1");
  link_->send(update);
  auto updates = [&] { return transport_.calls(internal::AgentCall::STATUS_UPDATE).size(); };
  ASSERT_EQ(updates(), 1u);
  // 429: sent again after 1 s, then 2 s, with the same content, until the master takes it.
  transport_.sent.back().done(429);
  time_.advance(999ms);
  EXPECT_EQ(updates(), 1u);
  time_.advance(1ms);
  ASSERT_EQ(updates(), 2u);
  EXPECT_EQ(transport_.sent.back().call.status_update().status().task_id().value(), "t1");
  transport_.sent.back().done(429);
  time_.advance(1999ms);
  EXPECT_EQ(updates(), 2u);
  time_.advance(1ms);
  ASSERT_EQ(updates(), 3u);
  transport_.sent.back().done(202);
  time_.advance(10s);
  EXPECT_EQ(updates(), 3u);
  EXPECT_TRUE(link_->registered());

  // A limited heartbeat is not repeated (the next is due anyway); once the link is down, a
  // limited call is left to the next registration.
  size_t heartbeats = transport_.heartbeats();
  time_.advance(60s);
  ASSERT_EQ(transport_.heartbeats(), heartbeats + 1);
  transport_.sent.back().done(429);
  time_.advance(30s);
  EXPECT_EQ(transport_.heartbeats(), heartbeats + 1);
  link_->send(update);
  transport_.sent.back().done(429);
  close();
  time_.advance(1s);
  EXPECT_EQ(updates(), 4u);
}

}  // namespace
}  // namespace plateau::agent
