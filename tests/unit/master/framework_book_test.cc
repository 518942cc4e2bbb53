#include "master/framework_book.h"

#include <gtest/gtest.h>

#include "fakes/fake_http.h"
#include "fakes/virtual_time.h"

namespace plateau::master {
namespace {

using namespace std::chrono_literals;
using testing::FakeStream;
using testing::VirtualTime;

// A FrameworkBook on virtual time (heartbeats every 15 s, 2 completed frameworks kept) that
// records its reports.
struct Fixture {
  VirtualTime time;
  std::vector<std::string> heartbeats, disconnected, expired;
  FrameworkBook book{
      time, 15s, 2,
      FrameworkBook::Hooks{
          .heartbeat = [this](Framework& f) { heartbeats.push_back(f.id); },
          .disconnected = [this](const std::string& id) { disconnected.push_back(id); },
          .failover_expired = [this](const std::string& id) { expired.push_back(id); }}};

  Framework& subscribe(const std::string& id, double failover_timeout,
                       const std::shared_ptr<FakeStream>& stream) {
    Framework& fw = book.add(id).first;
    fw.info.set_failover_timeout(failover_timeout);
    book.attach(fw, stream, "stream-" + id, http::ContentType::kProtobuf);
    return fw;
  }
};

TEST(FrameworkBook, ANewLinkReplacesTheOldOneWhoseEndGoesUnreported) {
  Fixture f;
  auto first = std::make_shared<FakeStream>();
  auto second = std::make_shared<FakeStream>();
  Framework& fw = f.subscribe("f1", 60, first);
  EXPECT_FALSE(f.book.add("f1").second);
  f.book.attach(fw, second, "stream-2", http::ContentType::kJson);
  EXPECT_TRUE(first->closed());
  EXPECT_TRUE(f.disconnected.empty());
  EXPECT_EQ(fw.stream_id, "stream-2");
  EXPECT_EQ(fw.content, http::ContentType::kJson);
  second->end();
  EXPECT_EQ(f.disconnected, std::vector<std::string>{"f1"});
}

TEST(FrameworkBook, HeartbeatsEveryIntervalFromTheFirstLinkUntilRetired) {
  Fixture f;
  f.subscribe("f1", 0, std::make_shared<FakeStream>());
  f.time.advance(45s);
  EXPECT_EQ(f.heartbeats.size(), 3u);
  f.book.retire("f1");
  f.time.advance(1h);
  EXPECT_EQ(f.heartbeats.size(), 3u);
  EXPECT_EQ(f.time.pending(), 0u);
}

TEST(FrameworkBook, AFrameworkWithoutALinkHasItsFailoverTimeoutToComeBack) {
  Fixture f;
  Framework& fw = f.subscribe("f1", 60, std::make_shared<FakeStream>());
  f.book.awaitFailover(fw);
  EXPECT_FALSE(fw.connected);
  EXPECT_FALSE(fw.active);
  f.time.advance(59s);
  f.book.attach(fw, std::make_shared<FakeStream>(), "again", http::ContentType::kJson);
  f.time.advance(10min);
  EXPECT_TRUE(f.expired.empty()) << "it came back in time";

  f.book.awaitFailover(fw);
  f.time.advance(60s - 1ns);
  EXPECT_TRUE(f.expired.empty());
  f.time.advance(1ns);
  EXPECT_EQ(f.expired, std::vector<std::string>{"f1"});
}

TEST(FrameworkBook, ARecoveredFrameworkWaitsWithoutEverHavingALink) {
  Fixture f;
  Framework& fw = f.book.add("f1").first;
  fw.info.set_failover_timeout(1e12);  // "forever": capped, not overflowing
  f.book.awaitFailover(fw);
  f.time.advance(24h * 365);
  EXPECT_TRUE(f.expired.empty());
  EXPECT_TRUE(f.heartbeats.empty()) << "no heartbeats before a link";
}

TEST(FrameworkBook, RetiredFrameworksAreKeptUpToTheBoundAndNeverComeBack) {
  Fixture f;
  auto link = std::make_shared<FakeStream>();
  f.subscribe("f1", 0, link);
  f.subscribe("f2", 0, std::make_shared<FakeStream>());
  f.subscribe("f3", 0, std::make_shared<FakeStream>());
  EXPECT_TRUE(f.book.retire("f1").empty());
  EXPECT_TRUE(link->closed());
  EXPECT_TRUE(f.disconnected.empty()) << "retiring closes the link unreported";
  EXPECT_TRUE(f.book.retire("f2").empty());
  EXPECT_EQ(f.book.retire("f3"), std::vector<std::string>{"f1"});
  EXPECT_TRUE(f.book.retire("f3").empty()) << "not live any more";
  EXPECT_FALSE(f.book.removed("f1")) << "dropped from the completed ones";
  EXPECT_TRUE(f.book.removed("f2"));
  EXPECT_TRUE(f.book.removed("f3"));
  EXPECT_EQ(f.book.size(), 0u);
  ASSERT_EQ(f.book.completed().size(), 2u);
  EXPECT_EQ(f.book.completed()[0].id, "f2");
}

// Found by the soak (seed 42, plateau-apps' two instances on two agents, each on port 31000):
// one sum over agents merged the two ports, so the second task's release aborted the master.
TEST(FrameworkBook, TheSamePortsUsedOnTwoAgentsAreGivenBackOnEach) {
  Fixture f;
  Framework& fw = f.subscribe("f1", 60, std::make_shared<FakeStream>());
  auto task = Resources::parse("cpus:0.1;mem:32;ports:[31000-31000]");
  ASSERT_TRUE(task);
  f.book.use(fw, "a1", *task);
  f.book.use(fw, "a2", *task);
  EXPECT_EQ(fw.used().toString(),
            Resources::parse("cpus:0.2;mem:64;ports:[31000-31000]")->toString());
  f.book.release(fw, "a1", *task);
  EXPECT_EQ(fw.used().toString(), task->toString());
  f.book.release(fw, "a2", *task);
  EXPECT_TRUE(fw.used().empty()) << fw.used().toString();
}

TEST(FrameworkBook, ReleasingOnAnAgentWhatIsUsedOnlyOnAnotherIsABrokenInvariant) {
  Fixture f;
  Framework& fw = f.subscribe("f1", 60, std::make_shared<FakeStream>());
  auto task = Resources::parse("cpus:0.1;ports:[31000-31000]");
  ASSERT_TRUE(task);
  f.book.use(fw, "a1", *task);
  EXPECT_DEATH(f.book.release(fw, "a2", *task), "releases .* on agent a2 but uses nothing");
}

}  // namespace
}  // namespace plateau::master
