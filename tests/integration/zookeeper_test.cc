// The ZooKeeper layer against a real ZooKeeper server: the client, leader election and detection,
// and what contenders and detectors do when the server dies and comes back.

#include <gtest/gtest.h>

#include <thread>

#include "runtime/event_loop.h"
#include "zookeeper/client.h"
#include "zookeeper/detector.h"
#include "zookeeper/election.h"
#include "zookeeper_server.h"

namespace plateau::testing {
namespace {

using zk::SessionEvent;
using Clock = std::chrono::steady_clock;

constexpr auto kSessionTimeout = 1000ms;
constexpr auto kWait = 10s;  // a safety net only: conditions normally hold in milliseconds

// Runs an asynchronous call to completion on the loop; a timeout is a failure.
template <class T, class Start>
T await(EventLoop& loop, Start start) {
  std::optional<T> out;
  start([&out](T&& value) { out.emplace(std::move(value)); });
  if (!loop.runUntil([&] { return out.has_value(); }, kWait)) {
    ADD_FAILURE() << "ZooKeeper call did not complete";
    if constexpr (std::is_same_v<T, Status>) {
      return Status(StatusCode::kInternal, "timed out");
    } else {
      return T(std::unexpected(Status(StatusCode::kInternal, "timed out")));
    }
  }
  return std::move(*out);
}

std::string testName() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }

// One client session with the events it reported.
struct Client {
  std::unique_ptr<zk::ZooKeeper> zk;
  std::vector<SessionEvent> events;
};

std::unique_ptr<Client> connect(EventLoop& loop, const zk::Url& url,
                                std::chrono::milliseconds timeout = kSessionTimeout) {
  auto client = std::make_unique<Client>();
  auto* raw = client.get();
  client->zk = std::make_unique<zk::ZooKeeper>(loop, url, timeout,
                                               [raw](SessionEvent e) { raw->events.push_back(e); });
  EXPECT_TRUE(loop.runUntil([&] { return raw->zk->connected(); }, kWait)) << "no session";
  return client;
}

// A contender and everything it reported.
struct Candidate {
  std::string data;
  std::unique_ptr<zk::LeaderContender> contender;
  int elected = 0;
  std::optional<std::string> lost;
  Clock::time_point lost_at;
  std::optional<std::optional<std::string>> leader;
};

std::unique_ptr<Candidate> contend(EventLoop& loop, const zk::Url& url, const std::string& data) {
  auto c = std::make_unique<Candidate>();
  auto* raw = c.get();
  raw->data = data;
  zk::LeaderContender::Callbacks callbacks{
      .elected = [raw] { ++raw->elected; },
      .lost =
          [raw](const std::string& why) {
            raw->lost = why;
            raw->lost_at = Clock::now();
          },
      .leader = [raw](std::optional<std::string> leader) { raw->leader = std::move(leader); },
  };
  raw->contender =
      std::make_unique<zk::LeaderContender>(loop, url, kSessionTimeout, data, callbacks);
  raw->contender->start();
  return c;
}

// A detector and what it reported last.
struct Follower {
  std::unique_ptr<zk::LeaderDetector> detector;
  std::vector<std::optional<std::string>> reports;
  bool saw(const std::optional<std::string>& leader) const {
    return !reports.empty() && reports.back() == leader;
  }
};

std::unique_ptr<Follower> follow(EventLoop& loop, const zk::Url& url) {
  auto f = std::make_unique<Follower>();
  auto* raw = f.get();
  raw->detector = std::make_unique<zk::LeaderDetector>(
      loop, url, kSessionTimeout,
      [raw](std::optional<std::string> leader) { raw->reports.push_back(std::move(leader)); });
  raw->detector->start();
  return f;
}

std::string describe(const std::vector<std::unique_ptr<Candidate>>& candidates,
                     const Follower& follower) {
  std::string out;
  for (const auto& c : candidates) {
    out += c->data + ": elected=" + std::to_string(c->elected) +
           " leader=" + (c->leader ? c->leader->value_or("none") : "?") +
           " lost=" + c->lost.value_or("no") + "\n";
  }
  out += "detector:";
  for (const auto& r : follower.reports) {
    out += " " + r.value_or("none");
  }
  return out;
}

class ZooKeeperTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ZooKeeperServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  zk::Url url() const { return server_->url("/" + testName()); }

  static ZooKeeperServer* server_;
  EventLoop loop_;
};

ZooKeeperServer* ZooKeeperTest::server_ = nullptr;

TEST_F(ZooKeeperTest, CreateGetSetRemove) {
  auto c = connect(loop_, url());
  auto& zk = *c->zk;
  EXPECT_NE(zk.sessionId(), 0);
  EXPECT_EQ(c->events, std::vector<SessionEvent>{SessionEvent::kConnected});
  std::string dir = url().path + "/a/b";

  EXPECT_TRUE(await<Status>(loop_, [&](auto done) { zk.createParents(dir, done); }).isOk());
  EXPECT_TRUE(await<Status>(loop_, [&](auto done) { zk.createParents(dir, done); }).isOk())
      << "existing parents are fine";

  auto created = await<Result<std::string>>(
      loop_, [&](auto done) { zk.create(dir + "/n", "x", false, false, done); });
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(*created, dir + "/n");
  auto again = await<Result<std::string>>(
      loop_, [&](auto done) { zk.create(dir + "/n", "y", false, false, done); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), StatusCode::kAlreadyExists) << again.error().message();
  auto orphan = await<Result<std::string>>(
      loop_, [&](auto done) { zk.create(dir + "/none/n", "", false, false, done); });
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().code(), StatusCode::kNotFound);

  using Node = Result<std::pair<std::string, zk::Stat>>;
  auto node = await<Node>(loop_, [&](auto done) { zk.get(dir + "/n", done); });
  ASSERT_TRUE(node);
  EXPECT_EQ(node->first, "x");
  EXPECT_EQ(node->second.version, 0);
  EXPECT_EQ(node->second.ephemeral_owner, 0);

  auto set = await<Result<zk::Stat>>(loop_, [&](auto done) { zk.set(dir + "/n", "xx", 0, done); });
  ASSERT_TRUE(set);
  EXPECT_EQ(set->version, 1);
  auto stale =
      await<Result<zk::Stat>>(loop_, [&](auto done) { zk.set(dir + "/n", "zz", 0, done); });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), StatusCode::kFailedPrecondition);
  node = await<Node>(loop_, [&](auto done) { zk.get(dir + "/n", done); });
  ASSERT_TRUE(node);
  EXPECT_EQ(node->first, "xx");

  EXPECT_EQ(await<Status>(loop_, [&](auto done) { zk.remove(dir, -1, done); }).code(),
            StatusCode::kFailedPrecondition)
      << "a node with children stays";
  EXPECT_EQ(await<Status>(loop_, [&](auto done) { zk.remove(dir + "/n", 0, done); }).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(await<Status>(loop_, [&](auto done) { zk.remove(dir + "/n", 1, done); }).isOk());
  node = await<Node>(loop_, [&](auto done) { zk.get(dir + "/n", done); });
  ASSERT_FALSE(node);
  EXPECT_EQ(node.error().code(), StatusCode::kNotFound);

  auto seq = await<Result<std::string>>(
      loop_, [&](auto done) { zk.create(dir + "/s_", "e", true, true, done); });
  ASSERT_TRUE(seq);
  EXPECT_EQ(seq->size(), (dir + "/s_").size() + 10) << *seq;
  node = await<Node>(loop_, [&](auto done) { zk.get(*seq, done); });
  ASSERT_TRUE(node);
  EXPECT_EQ(node->second.ephemeral_owner, zk.sessionId());

  auto kids = await<Result<std::vector<std::string>>>(
      loop_, [&](auto done) { zk.children(dir, nullptr, done); });
  ASSERT_TRUE(kids);
  EXPECT_EQ(*kids, std::vector<std::string>{seq->substr(dir.size() + 1)});
}

TEST_F(ZooKeeperTest, WatchesFireOnceOnTheLoopThread) {
  auto c = connect(loop_, url());
  auto& zk = *c->zk;
  std::string dir = url().path;
  ASSERT_TRUE(await<Status>(loop_, [&](auto done) { zk.createParents(dir, done); }).isOk());
  auto loop_thread = std::this_thread::get_id();

  int children_fired = 0;
  bool on_loop = true;
  auto kids = await<Result<std::vector<std::string>>>(loop_, [&](auto done) {
    zk.children(
        dir,
        [&] {
          ++children_fired;
          on_loop = on_loop && std::this_thread::get_id() == loop_thread;
        },
        done);
  });
  ASSERT_TRUE(kids);
  EXPECT_TRUE(kids->empty());

  int exists_fired = 0;
  auto exists = await<Result<bool>>(loop_, [&](auto done) {
    zk.exists(
        dir + "/later", [&] { ++exists_fired; }, done);
  });
  ASSERT_TRUE(exists);
  EXPECT_FALSE(*exists);

  ASSERT_TRUE(await<Result<std::string>>(
      loop_, [&](auto done) { zk.create(dir + "/later", "", false, false, done); }));
  EXPECT_TRUE(loop_.runUntil([&] { return children_fired == 1 && exists_fired == 1; }, kWait));
  EXPECT_TRUE(on_loop);

  // A data watch on an existing node fires on set; neither earlier watch fires again.
  int data_fired = 0;
  exists = await<Result<bool>>(loop_, [&](auto done) {
    zk.exists(
        dir + "/later", [&] { ++data_fired; }, done);
  });
  ASSERT_TRUE(exists);
  EXPECT_TRUE(*exists);
  ASSERT_TRUE(await<Result<std::string>>(
      loop_, [&](auto done) { zk.create(dir + "/more", "", false, false, done); }));
  ASSERT_TRUE(
      await<Result<zk::Stat>>(loop_, [&](auto done) { zk.set(dir + "/later", "v", -1, done); }));
  EXPECT_TRUE(loop_.runUntil([&] { return data_fired == 1; }, kWait));
  // A round trip after the changes: any stray watch event would have arrived before its reply.
  ASSERT_TRUE(await<Result<bool>>(loop_, [&](auto done) { zk.exists(dir, nullptr, done); }));
  EXPECT_EQ(children_fired, 1);
  EXPECT_EQ(exists_fired, 1);
}

TEST_F(ZooKeeperTest, MultiIsAllOrNothing) {
  auto c = connect(loop_, url());
  auto& zk = *c->zk;
  std::string dir = url().path;
  ASSERT_TRUE(await<Status>(loop_, [&](auto done) { zk.createParents(dir, done); }).isOk());
  ASSERT_TRUE(await<Result<std::string>>(
      loop_, [&](auto done) { zk.create(dir + "/a", "a0", false, false, done); }));

  using K = zk::Op::Kind;
  auto failed = await<Status>(loop_, [&](auto done) {
    zk.multi({{.kind = K::kCreate, .path = dir + "/b", .data = "b"},
              {.kind = K::kSet, .path = dir + "/a", .data = "a1", .version = 5},
              {.kind = K::kCreate, .path = dir + "/c", .data = "c"}},
             done);
  });
  EXPECT_EQ(failed.code(), StatusCode::kFailedPrecondition) << failed.message();
  EXPECT_NE(failed.message().find("op 1 (set " + dir + "/a)"), std::string::npos)
      << failed.message();
  for (const char* name : {"/b", "/c"}) {
    auto exists =
        await<Result<bool>>(loop_, [&](auto done) { zk.exists(dir + name, nullptr, done); });
    ASSERT_TRUE(exists);
    EXPECT_FALSE(*exists) << name << " was created by a failed multi";
  }
  auto a = await<Result<std::pair<std::string, zk::Stat>>>(
      loop_, [&](auto done) { zk.get(dir + "/a", done); });
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first, "a0");
  EXPECT_EQ(a->second.version, 0);

  auto missing = await<Status>(loop_, [&](auto done) {
    zk.multi({{.kind = K::kCheck, .path = dir + "/a", .version = 0},
              {.kind = K::kDelete, .path = dir + "/nothing"}},
             done);
  });
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing.message();
  auto exists_already = await<Status>(
      loop_, [&](auto done) { zk.multi({{.kind = K::kCreate, .path = dir + "/a"}}, done); });
  EXPECT_EQ(exists_already.code(), StatusCode::kAlreadyExists) << exists_already.message();

  auto ok = await<Status>(loop_, [&](auto done) {
    zk.multi({{.kind = K::kCheck, .path = dir + "/a", .version = 0},
              {.kind = K::kCreate, .path = dir + "/b", .data = "b"},
              {.kind = K::kSet, .path = dir + "/b", .data = "b1", .version = 0},
              {.kind = K::kDelete, .path = dir + "/a", .version = 0}},
             done);
  });
  EXPECT_TRUE(ok.isOk()) << ok.message();
  auto b = await<Result<std::pair<std::string, zk::Stat>>>(
      loop_, [&](auto done) { zk.get(dir + "/b", done); });
  ASSERT_TRUE(b);
  EXPECT_EQ(b->first, "b1");
  auto gone = await<Result<bool>>(loop_, [&](auto done) { zk.exists(dir + "/a", nullptr, done); });
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
}

TEST_F(ZooKeeperTest, ClosingTheSessionRemovesEphemeralsAndDropsCallbacks) {
  auto owner = connect(loop_, url());
  auto observer = connect(loop_, url());
  std::string dir = url().path;
  ASSERT_TRUE(
      await<Status>(loop_, [&](auto done) { observer->zk->createParents(dir, done); }).isOk());
  ASSERT_TRUE(await<Result<std::string>>(
      loop_, [&](auto done) { owner->zk->create(dir + "/e", "", true, false, done); }));

  bool gone = false;
  ASSERT_TRUE(await<Result<bool>>(loop_, [&](auto done) {
    observer->zk->exists(
        dir + "/e", [&] { gone = true; }, done);
  }));
  bool late = false;
  owner->zk->get(dir + "/e", [&](auto) { late = true; });
  owner.reset();
  EXPECT_TRUE(loop_.runUntil([&] { return gone; }, kWait)) << "ephemeral node outlived its session";
  EXPECT_FALSE(late) << "a callback ran after its ZooKeeper was destroyed";
}

TEST_F(ZooKeeperTest, NodesCreatedWithCredentialsAreReadOnlyToOthers) {
  auto secured = url();
  secured.credentials.emplace("plateau", "secret");
  auto owner = connect(loop_, secured);
  auto stranger = connect(loop_, url());
  std::string node = secured.path + "/n";
  ASSERT_TRUE(await<Status>(loop_, [&](auto done) {
                owner->zk->createParents(secured.path, done);
              }).isOk());
  ASSERT_TRUE(await<Result<std::string>>(
      loop_, [&](auto done) { owner->zk->create(node, "v", false, false, done); }));

  auto read = await<Result<std::pair<std::string, zk::Stat>>>(
      loop_, [&](auto done) { stranger->zk->get(node, done); });
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read->first, "v");
  auto write =
      await<Result<zk::Stat>>(loop_, [&](auto done) { stranger->zk->set(node, "w", -1, done); });
  ASSERT_FALSE(write);
  EXPECT_EQ(write.error().code(), StatusCode::kPermissionDenied) << write.error().message();
  EXPECT_TRUE(
      await<Result<zk::Stat>>(loop_, [&](auto done) { owner->zk->set(node, "w", -1, done); }));
}

TEST_F(ZooKeeperTest, OneOfThreeLeadsAndADetectorFindsIt) {
  auto u = url();
  // Children that are not contenders must not confuse anyone (Mesos keeps its replicated log
  // beside the contenders; "info_" is the pre-JSON format).
  auto c = connect(loop_, u);
  ASSERT_TRUE(await<Status>(loop_, [&](auto done) { c->zk->createParents(u.path, done); }).isOk());
  for (const char* other : {"/log_replicas", "/info_0000000000", "/json.info_x"}) {
    ASSERT_TRUE(await<Result<std::string>>(
        loop_, [&](auto done) { c->zk->create(u.path + other, "?", false, false, done); }));
  }

  std::vector<std::unique_ptr<Candidate>> candidates;
  for (const char* data : {"{\"id\":\"m1\"}", "{\"id\":\"m2\"}", "{\"id\":\"m3\"}"}) {
    candidates.push_back(contend(loop_, u, data));
  }
  auto follower = follow(loop_, u);
  auto leaders = [&] {
    int n = 0;
    for (auto& c : candidates) {
      n += c->elected;
    }
    return n;
  };
  auto agreed = [&](const std::string& data) {
    for (auto& c : candidates) {
      if (c->contender && c->leader != std::optional<std::string>(data)) {
        return false;
      }
    }
    return follower->saw(data);
  };
  auto elected = [&]() -> Candidate* {
    for (auto& c : candidates) {
      if (c->elected == 1 && c->contender) {
        return c.get();
      }
    }
    return nullptr;
  };
  ASSERT_TRUE(loop_.runUntil([&] { return leaders() == 1 && agreed(elected()->data); }, kWait))
      << describe(candidates, *follower);
  Candidate* first = elected();

  // The leader is the lowest json.info_ sequence, as Mesos's tools expect.
  auto kids = await<Result<std::vector<std::string>>>(
      loop_, [&](auto done) { c->zk->children(u.path, nullptr, done); });
  ASSERT_TRUE(kids);
  auto names = zk::contenders(*kids);
  ASSERT_EQ(names.size(), 3u);
  for (const auto& name : names) {
    EXPECT_EQ(name.size(), std::string("json.info_").size() + 10) << name;
  }
  auto lowest = await<Result<std::pair<std::string, zk::Stat>>>(
      loop_, [&](auto done) { c->zk->get(u.path + "/" + names[0], done); });
  ASSERT_TRUE(lowest);
  EXPECT_EQ(lowest->first, first->data);

  // The leader withdraws: another takes over, without waiting for a session to expire.
  auto start = Clock::now();
  first->contender.reset();
  ASSERT_TRUE(loop_.runUntil(
      [&] { return leaders() == 2 && elected() != nullptr && agreed(elected()->data); }, kWait))
      << describe(candidates, *follower);
  EXPECT_LT(Clock::now() - start, kSessionTimeout);
  for (auto& c : candidates) {
    EXPECT_FALSE(c->lost) << c->data;
  }
}

TEST_F(ZooKeeperTest, ContenderWhoseNodeIsDeletedLosesAndCanContendAgain) {
  auto u = url();
  auto c = contend(loop_, u, "solo");
  ASSERT_TRUE(loop_.runUntil([&] { return c->elected == 1; }, kWait));
  auto admin = connect(loop_, u);
  auto kids = await<Result<std::vector<std::string>>>(
      loop_, [&](auto done) { admin->zk->children(u.path, nullptr, done); });
  ASSERT_TRUE(kids);
  ASSERT_EQ(zk::contenders(*kids).size(), 1u);
  ASSERT_TRUE(await<Status>(loop_, [&](auto done) {
                admin->zk->remove(u.path + "/" + zk::contenders(*kids)[0], -1, done);
              }).isOk());
  ASSERT_TRUE(loop_.runUntil([&] { return c->lost.has_value(); }, kWait));
  EXPECT_NE(c->lost->find("vanished"), std::string::npos) << *c->lost;
  EXPECT_FALSE(c->contender->leading());

  c->contender->start();
  EXPECT_TRUE(loop_.runUntil([&] { return c->elected == 2; }, kWait));
}

// Each outage test has its own server, since it kills it.
class ZooKeeperOutageTest : public ::testing::Test {
 protected:
  ZooKeeperServer server_;
  EventLoop loop_;
};

TEST_F(ZooKeeperOutageTest, ContendersLoseWithinTheSessionTimeoutAndDetectorFollowsRestart) {
  auto u = server_.url("/mesos");
  auto leader = contend(loop_, u, "leader");
  ASSERT_TRUE(loop_.runUntil([&] { return leader->elected == 1; }, kWait));
  auto standby = contend(loop_, u, "standby");
  auto follower = follow(loop_, u);
  ASSERT_TRUE(loop_.runUntil([&] { return standby->leader == "leader" && follower->saw("leader"); },
                             kWait));

  auto killed = Clock::now();
  server_.kill();
  ASSERT_TRUE(loop_.runUntil([&] { return leader->lost && standby->lost; }, kWait));
  EXPECT_LT(leader->lost_at - killed, kSessionTimeout + 500ms) << *leader->lost;
  EXPECT_GE(leader->lost_at - killed, kSessionTimeout - 100ms) << "lost before the timeout";
  EXPECT_NE(leader->lost->find("disconnected"), std::string::npos) << *leader->lost;
  EXPECT_FALSE(leader->contender->leading());
  ASSERT_TRUE(loop_.runUntil([&] { return follower->saw(std::nullopt); }, kWait))
      << "the detector still reports a leader it cannot see";

  server_.restart();
  // The standby contends again; the old leader's node lasts until its session (restored by the
  // restarted server) expires, so the standby leads within a session timeout or so.
  standby->contender->start();
  ASSERT_TRUE(
      loop_.runUntil([&] { return standby->elected == 1 && follower->saw("standby"); }, kWait));
  EXPECT_EQ(leader->elected, 1);
}

TEST_F(ZooKeeperOutageTest, DetectorWaitsForTheServer) {
  auto u = server_.url("/mesos");
  server_.kill();
  auto follower = follow(loop_, u);
  ASSERT_TRUE(loop_.runUntil([&] { return !follower->reports.empty(); }, kWait));
  EXPECT_EQ(follower->reports.back(), std::nullopt);

  server_.restart();
  auto leader = contend(loop_, u, "late");
  EXPECT_TRUE(loop_.runUntil([&] { return follower->saw("late"); }, kWait));
}

}  // namespace
}  // namespace plateau::testing
