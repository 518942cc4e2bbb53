#include "service/leadership.h"

#include <gtest/gtest.h>

#include "service/zk_store.h"

namespace plateau::service {
namespace {

TEST(ZooKeeperStoreKeysTest, EncodeSlashesAndPercentsAndDecodeBack) {
  EXPECT_EQ(encodeKey("apps//shop/web"), "apps%2F%2Fshop%2Fweb");
  EXPECT_EQ(encodeKey("versions//a@2024-01-01T00:00:00.000Z"),
            "versions%2F%2Fa@2024-01-01T00:00:00.000Z");
  EXPECT_EQ(encodeKey("50%"), "50%25");
  EXPECT_EQ(encodeKey("a b"), "a%20b");
  EXPECT_EQ(encodeKey(".."), "%2E%2E");  // not a valid znode name as it is
  for (std::string key : {"apps//shop/web", "50%", "a b", "..", ".", "x%2Fy", "plain"}) {
    EXPECT_EQ(decodeKey(encodeKey(key)), key);
  }
  EXPECT_EQ(decodeKey("bad%zz"), "bad%zz");  // not an escape: kept as it is
}

TEST(LeadershipTest, ContenderDataNamesTheAddress) {
  EXPECT_EQ(addressOfContender(R"({"address":"h:8080","id":"x"})"), "h:8080");
  EXPECT_EQ(addressOfContender(R"({"hostname":"master"})"), std::nullopt);
  EXPECT_EQ(addressOfContender("not json"), std::nullopt);
}

TEST(LeadershipTest, SoleLeadershipLeadsAtOnceAndAgainAfterAbdicating) {
  EventLoop loop;
  auto sole = makeSoleLeadership(loop, "me:1");
  int elected = 0;
  std::vector<std::string> deposed;
  std::optional<std::string> leader;
  sole->start({.elected =
                   [&](const std::string& fence) {
                     EXPECT_EQ(fence, "");
                     ++elected;
                   },
               .deposed = [&](const std::string& why) { deposed.push_back(why); },
               .leader = [&](std::optional<std::string> a) { leader = a; }});
  EXPECT_EQ(elected, 1);
  EXPECT_TRUE(sole->leading());
  EXPECT_EQ(leader, "me:1");
  sole->abdicate();
  EXPECT_FALSE(sole->leading());
  EXPECT_EQ(deposed, std::vector<std::string>{"abdicated"});
  EXPECT_EQ(leader, std::nullopt);
  ASSERT_TRUE(loop.runUntil([&] { return elected == 2; }, std::chrono::seconds(5)));
  EXPECT_TRUE(sole->leading());
  EXPECT_EQ(leader, "me:1");
}

}  // namespace
}  // namespace plateau::service
