#include "zookeeper/group.h"

#include <gtest/gtest.h>

namespace plateau::zk {
namespace {

TEST(ZooKeeperGroup, ContendersAreJsonInfoNodesLowestSequenceFirst) {
  std::vector<std::string> children = {"json.info_0000000012", "log_replicas", "info_0000000001",
                                       "json.info_0000000003", "json.info_",   "json.info_12x",
                                       "json.info_0000000010"};
  EXPECT_EQ(contenders(children),
            (std::vector<std::string>{"json.info_0000000003", "json.info_0000000010",
                                      "json.info_0000000012"}));
  EXPECT_TRUE(contenders({"log_replicas"}).empty());
  EXPECT_TRUE(contenders({}).empty());
}

}  // namespace
}  // namespace plateau::zk
