#include "master/agent_book.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "fakes/fake_http.h"
#include "fakes/virtual_time.h"

namespace plateau::master {
namespace {

using namespace std::chrono_literals;
using testing::FakeStream;
using testing::VirtualTime;

// An AgentBook on virtual time (pings every 15 s, 5 may go unanswered) that records its reports.
struct Fixture {
  VirtualTime time;
  std::vector<std::string> pinged, silent, disconnected;
  std::vector<std::vector<std::string>> not_back;
  AgentBook book{
      time, time, 15s, 5,
      AgentBook::Hooks{
          .ping = [this](Agent& a) { pinged.push_back(a.id); },
          .silent = [this](const std::string& id) { silent.push_back(id); },
          .disconnected = [this](const std::string& id) { disconnected.push_back(id); },
          .not_back = [this](const std::vector<std::string>& ids) { not_back.push_back(ids); }}};

  Agent& connect(const std::string& id, const std::shared_ptr<FakeStream>& stream) {
    Agent& agent = book.admit(id).first;
    book.attach(agent, stream);
    return agent;
  }
};

TEST(AgentBook, ANewLinkReplacesTheOldOneWhoseEndGoesUnreported) {
  Fixture f;
  auto first = std::make_shared<FakeStream>();
  auto second = std::make_shared<FakeStream>();
  Agent& agent = f.connect("a1", first);
  auto [again, inserted] = f.book.admit("a1");
  EXPECT_FALSE(inserted);
  EXPECT_EQ(&again, &agent);
  f.book.attach(agent, second);
  EXPECT_TRUE(first->closed());
  EXPECT_TRUE(f.disconnected.empty());
  EXPECT_TRUE(agent.connected);

  second->end();
  EXPECT_EQ(f.disconnected, std::vector<std::string>{"a1"});
  f.book.detach(agent);
  EXPECT_FALSE(agent.connected);
  EXPECT_TRUE(f.book.contains("a1")) << "a disconnected agent stays admitted";
}

TEST(AgentBook, AnAgentSilentForMoreThanFiveIntervalsIsReportedAtEachPing) {
  Fixture f;
  Agent& talking = f.connect("talking", std::make_shared<FakeStream>());
  f.connect("silent", std::make_shared<FakeStream>());
  for (int i = 0; i < 5; ++i) {
    f.time.advance(15s);
    f.book.heard(talking);
  }
  EXPECT_EQ(f.pinged.size(), 10u);  // both, every 15 s
  EXPECT_TRUE(f.silent.empty()) << "75 s of silence is not more than 5 × 15 s";
  f.time.advance(15s);
  f.book.heard(talking);
  EXPECT_EQ(f.silent, std::vector<std::string>{"silent"});
  f.time.advance(15s);
  EXPECT_EQ(f.silent, (std::vector<std::string>{"silent", "silent"})) << "until it is removed";
}

TEST(AgentBook, RemoveStopsThePingsAndClosesTheLinkUnreported) {
  Fixture f;
  auto link = std::make_shared<FakeStream>();
  f.connect("a1", link);
  EXPECT_EQ(f.time.pending(), 1u);  // its ping timer
  f.book.remove("a1");
  EXPECT_EQ(f.time.pending(), 0u);
  EXPECT_TRUE(link->closed());
  EXPECT_TRUE(f.disconnected.empty());
  EXPECT_EQ(f.book.find("a1"), nullptr);
  f.time.advance(10min);
  EXPECT_TRUE(f.pinged.empty());
}

TEST(AgentBook, ExpectedAgentsStillMissingAreReportedOnceTogether) {
  Fixture f;
  std::map<std::string, mesos::v1::AgentInfo> admitted_before;
  for (auto id : {"a1", "a2", "a3", "a4"}) {
    admitted_before[id].set_hostname(id);
  }
  f.book.expect(admitted_before, 10min);
  f.connect("a1", std::make_shared<FakeStream>());  // came back
  EXPECT_TRUE(f.book.stopExpecting("a2"));          // e.g. marked gone by an operator
  EXPECT_FALSE(f.book.stopExpecting("a2"));
  EXPECT_EQ(f.book.expected().size(), 2u);
  f.time.advance(10min - 1ns);
  EXPECT_TRUE(f.not_back.empty());
  f.time.advance(1ns);
  ASSERT_EQ(f.not_back.size(), 1u);
  EXPECT_EQ(f.not_back[0], (std::vector<std::string>{"a3", "a4"}));
  f.time.advance(1h);
  EXPECT_EQ(f.not_back.size(), 1u);
}

TEST(AgentBook, HeldEventsAndReturningMarksAreHandedOverOnce) {
  Fixture f;
  internal::AgentEvent kill;
  kill.set_type(internal::AgentEvent::KILL_TASK);
  f.book.hold("a1", kill);
  f.book.hold("a1", kill);
  EXPECT_EQ(f.book.takeHeld("a1").size(), 2u);
  EXPECT_TRUE(f.book.takeHeld("a1").empty());
  f.book.returning("a1");
  EXPECT_TRUE(f.book.takeReturning("a1"));
  EXPECT_FALSE(f.book.takeReturning("a1"));
}

TEST(AgentBook, TheEndOfASharedLinkDisconnectsEveryAgentOnIt) {
  Fixture f;
  auto shared = std::make_shared<FakeStream>();
  Agent& a1 = f.book.admit("a1").first;
  f.book.attach(a1, shared, "s1", "principal");
  for (auto id : {"a2", "a3"}) {
    ASSERT_TRUE(f.book.join(f.book.admit(id).first, "s1"));
  }
  EXPECT_EQ(f.book.connectedCount(), 3u);
  EXPECT_EQ(f.book.onLinkWith(a1), 3u);
  EXPECT_TRUE(a1.shared_stream);
  ASSERT_NE(f.book.findShared("s1"), nullptr);
  EXPECT_EQ(f.book.findShared("s1")->principal, "principal");
  EXPECT_EQ(f.book.findShared("other"), nullptr);

  shared->end();
  std::sort(f.disconnected.begin(), f.disconnected.end());
  EXPECT_EQ(f.disconnected, (std::vector<std::string>{"a1", "a2", "a3"}));
  for (auto id : {"a1", "a2", "a3"}) {
    f.book.detach(*f.book.find(id));  // as the master does when told
  }
  EXPECT_EQ(f.book.connectedCount(), 0u);
  EXPECT_EQ(f.book.findShared("s1"), nullptr);
  EXPECT_FALSE(f.book.join(f.book.admit("a4").first, "s1")) << "a closed link takes no one";
}

TEST(AgentBook, AnAgentLeavingASharedLinkLeavesItOpenForTheOthersUntilTheLast) {
  Fixture f;
  auto shared = std::make_shared<FakeStream>();
  f.book.attach(f.book.admit("a1").first, shared, "s1");
  ASSERT_TRUE(f.book.join(f.book.admit("a2").first, "s1"));
  ASSERT_TRUE(f.book.join(f.book.admit("a3").first, "s1"));

  f.book.remove("a1");  // e.g. marked unreachable
  EXPECT_FALSE(shared->closed());
  auto own = std::make_shared<FakeStream>();
  f.book.attach(*f.book.find("a2"), own);  // a2 moves to a link of its own
  EXPECT_FALSE(shared->closed());
  EXPECT_FALSE(f.book.find("a2")->shared_stream);
  EXPECT_EQ(f.book.onLinkWith(*f.book.find("a3")), 1u);
  EXPECT_TRUE(f.book.find("a3")->connected);

  f.book.remove("a3");  // the last one on it
  EXPECT_TRUE(shared->closed());
  EXPECT_TRUE(f.disconnected.empty()) << "a link the master closes goes unreported";
  EXPECT_EQ(f.book.findShared("s1"), nullptr);
  EXPECT_FALSE(own->closed());
}

TEST(AgentBook, ASharedLinkIsPingedOncePerIntervalNotOncePerAgent) {
  Fixture f;
  f.book.attach(f.book.admit("a0").first, std::make_shared<FakeStream>(), "s1");
  for (int i = 1; i < 10; ++i) {
    ASSERT_TRUE(f.book.join(f.book.admit("a" + std::to_string(i)).first, "s1"));
  }
  f.connect("alone", std::make_shared<FakeStream>());
  f.time.advance(15s);
  std::sort(f.pinged.begin(), f.pinged.end());
  EXPECT_EQ(f.pinged, (std::vector<std::string>{"a0", "alone"}));
  f.time.advance(15s);
  EXPECT_EQ(f.pinged.size(), 4u);
  // Liveness stays per agent: the silent ones on the shared link are reported one by one.
  f.book.heard(*f.book.find("a3"));
  f.time.advance(60s);
  EXPECT_EQ(std::count(f.silent.begin(), f.silent.end(), "a3"), 0);
  EXPECT_EQ(std::count(f.silent.begin(), f.silent.end(), "a4"), 1);
}

Resources revocable(std::string_view text) {
  const Resources parsed = Resources::parse(text).value();
  Resources out;
  for (Resource r : parsed) {
    r.revocable = true;
    out += r;
  }
  return out;
}

TEST(AgentBook, KeepsTheRevocableSumsApartAsTheyChange) {
  Fixture f;
  Agent& a1 = f.book.admit("a1").first;
  Agent& a2 = f.book.admit("a2").first;
  f.book.setTotal(a1, Resources::parse("cpus:2;mem:100").value());
  f.book.setOversubscribed(a1, revocable("cpus:4;mem:64"));
  f.book.setOversubscribed(a2, revocable("cpus:1"));
  f.book.use(a1, revocable("cpus:1") + Resources::parse("mem:10").value());
  EXPECT_EQ(f.book.revocableTotalScalars().value(ResourceVector::kCpus), 5);
  EXPECT_EQ(f.book.revocableTotalScalars().value(ResourceVector::kMem), 64);
  EXPECT_EQ(f.book.revocableUsedScalars().value(ResourceVector::kCpus), 1);
  EXPECT_EQ(f.book.revocableUsedScalars().value(ResourceVector::kMem), 0);
  EXPECT_EQ(f.book.totalScalars().value(ResourceVector::kCpus), 2);  // non-revocable only
  EXPECT_EQ(f.book.usedScalars().value(ResourceVector::kMem), 10);
  f.book.setOversubscribed(a1, revocable("cpus:2"));  // a new estimate replaces the last
  EXPECT_EQ(f.book.revocableTotalScalars().value(ResourceVector::kCpus), 3);
  EXPECT_EQ(f.book.revocableTotalScalars().value(ResourceVector::kMem), 0);
  f.book.release(a1, revocable("cpus:1"));
  EXPECT_EQ(f.book.revocableUsedScalars().value(ResourceVector::kCpus), 0);
  f.book.use(a2, revocable("cpus:1"));
  f.book.remove("a2");
  EXPECT_EQ(f.book.revocableTotalScalars().value(ResourceVector::kCpus), 2);
  EXPECT_EQ(f.book.revocableUsedScalars().value(ResourceVector::kCpus), 0);
}

}  // namespace
}  // namespace plateau::master
