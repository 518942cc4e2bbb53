#include "master/agent_book.h"

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

}  // namespace
}  // namespace plateau::master
