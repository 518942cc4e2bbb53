// service::ZooKeeperStore against a real ZooKeeper: keys as many small znodes, atomic batches,
// fencing on the leader's node, and a second store (a new leader) reading what the first wrote.

#include <gtest/gtest.h>

#include "runtime/event_loop.h"
#include "service/zk_store.h"
#include "zookeeper/client.h"
#include "zookeeper_server.h"

namespace plateau::testing {
namespace {

using service::Write;

class ZooKeeperStoreTest : public ::testing::Test {
 protected:
  ZooKeeperServer zk_;
};

TEST_F(ZooKeeperStoreTest, KeysAreSmallNodesReadBackByANewSession) {
  auto url = zk_.url("/svc");
  auto store = service::openZooKeeperStore(url, 2000ms);
  ASSERT_TRUE(store.has_value()) << store.error().message();
  ASSERT_TRUE((*store)
                  ->apply({{"apps//shop/web", "{\"id\":\"/shop/web\"}"},
                           {"apps//db", "{\"id\":\"/db\"}"},
                           {"framework_id", "fw-1"},
                           {"instances/t1", "x"}})
                  .isOk());
  ASSERT_TRUE((*store)->put("instances/t1", "y").isOk());  // an update of an existing node
  ASSERT_TRUE((*store)->erase("apps//db").isOk());
  ASSERT_TRUE((*store)->erase("never-there").isOk());  // erasing a missing key is no error

  // Each key is its own znode, in a bucket named by its first segment, under a shard.
  EventLoop loop;
  bool connected = false;
  zk::ZooKeeper raw(loop, url, 2000ms,
                    [&](zk::SessionEvent e) { connected = e == zk::SessionEvent::kConnected; });
  ASSERT_TRUE(loop.runUntil([&] { return connected; }, 10s));
  auto list = [&](const std::string& path) {
    std::optional<Result<std::vector<std::string>>> names;
    raw.children(path, nullptr, [&](auto r) { names = std::move(r); });
    EXPECT_TRUE(loop.runUntil([&] { return names.has_value(); }, 10s));
    return names && names->has_value() ? **names : std::vector<std::string>{};
  };
  auto buckets = list("/svc/state");
  EXPECT_EQ(std::set<std::string>(buckets.begin(), buckets.end()),
            (std::set<std::string>{"%", "apps", "instances"}));
  std::set<std::string> leaves;
  for (const auto& bucket : buckets) {
    for (const auto& shard : list("/svc/state/" + bucket)) {
      EXPECT_EQ(shard.size(), 1u) << shard;  // one of 16: "0".."f"
      for (const auto& leaf : list("/svc/state/" + bucket + "/" + shard)) leaves.insert(leaf);
    }
  }
  EXPECT_EQ(leaves,
            (std::set<std::string>{"apps%2F%2Fshop%2Fweb", "framework_id", "instances%2Ft1"}));

  auto second = service::openZooKeeperStore(url, 2000ms);
  ASSERT_TRUE(second.has_value());
  auto apps = (*second)->load("apps/");
  ASSERT_TRUE(apps.has_value());
  EXPECT_EQ(*apps,
            (std::map<std::string, std::string>{{"apps//shop/web", "{\"id\":\"/shop/web\"}"}}));
  auto all = (*second)->load("");
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->size(), 3u);
  EXPECT_EQ(all->at("instances/t1"), "y");

  // The second store writes a key the first one also knows: the first relearns and succeeds.
  ASSERT_TRUE((*second)->put("apps//new", "n").isOk());
  ASSERT_TRUE((*store)->put("apps//new", "m").isOk());
  EXPECT_EQ((*second)->load("apps//new")->at("apps//new"), "m");
}

TEST_F(ZooKeeperStoreTest, AFencedStoreWritesOnlyWhileTheFenceNodeExists) {
  auto url = zk_.url("/fenced");
  EventLoop loop;
  bool connected = false;
  zk::ZooKeeper raw(loop, url, 2000ms,
                    [&](zk::SessionEvent e) { connected = e == zk::SessionEvent::kConnected; });
  ASSERT_TRUE(loop.runUntil([&] { return connected; }, 10s));
  std::optional<Status> made;
  raw.createParents("/fenced/leader", [&](Status s) { made = s; });
  ASSERT_TRUE(loop.runUntil([&] { return made.has_value(); }, 10s));
  ASSERT_TRUE(made->isOk()) << made->message();

  auto store = service::openZooKeeperStore(url, 2000ms);
  ASSERT_TRUE(store.has_value());
  (*store)->setFence("/fenced/leader");
  ASSERT_TRUE((*store)->apply({{"a", "1"}, {"b", "2"}}).isOk());

  std::optional<Status> removed;
  raw.remove("/fenced/leader", -1, [&](Status s) { removed = s; });
  ASSERT_TRUE(loop.runUntil([&] { return removed.has_value(); }, 10s));
  ASSERT_TRUE(removed->isOk());

  // Deposed: the whole batch is refused, nothing of it applied.
  Status refused = (*store)->apply({{"a", "changed"}, {"c", "3"}});
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition) << refused.message();
  auto all = (*store)->load("");
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(*all, (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
}

}  // namespace
}  // namespace plateau::testing
