#include "jobs/flags.h"

#include <gtest/gtest.h>

namespace plateau::jobs {
namespace {

TEST(JobsFlagsTest, ChronosDefaultsAndBadValuesNamed) {
  Flags f;
  EXPECT_EQ(f.mesos_framework_name, "plateau-jobs");
  EXPECT_EQ(f.failure_retry, 60000);
  EXPECT_EQ(f.http_port, 8080);
  EXPECT_EQ(f.zk_path, "/chronos/state");
  EXPECT_TRUE(validateFlags(f).isOk());
  Flags g;
  g.failure_retry = -1;
  EXPECT_EQ(validateFlags(g).code(), StatusCode::kInvalidArgument);
  Flags h;
  h.failover_timeout = -1;
  Status s = validateFlags(h);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--failover_timeout"), std::string::npos);
}

TEST(JobsFlagsTest, ZooKeeperUrlFromHostsAndPath) {
  Flags f;
  auto none = zooKeeperUrl(f);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());

  f.zk_hosts = "127.0.0.1:2181,127.0.0.1:2182";
  f.zk_path = "/plateau/jobs";
  auto url = zooKeeperUrl(f);
  ASSERT_TRUE(url.has_value() && url->has_value());
  EXPECT_EQ((*url)->servers, "127.0.0.1:2181,127.0.0.1:2182");
  EXPECT_EQ((*url)->path, "/plateau/jobs");
  EXPECT_TRUE(validateFlags(f).isOk());

  f.zk_hosts = "zk://10.0.0.1:2181/whole";
  url = zooKeeperUrl(f);
  ASSERT_TRUE(url.has_value() && url->has_value());
  EXPECT_EQ((*url)->path, "/whole");

  f.zk_hosts = "127.0.0.1:2181";
  f.zk_path = "relative";
  Status s = validateFlags(f);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--zk_path"), std::string::npos);
}

}  // namespace
}  // namespace plateau::jobs
