#include "zookeeper/url.h"

#include <gtest/gtest.h>

namespace plateau::zk {
namespace {

TEST(ZooKeeperUrl, ParsesServersAndPath) {
  auto url = Url::parse("zk://10.0.0.1:2181,10.0.0.2:2181,zk3.example.com:2182/mesos");
  ASSERT_TRUE(url) << url.error().message();
  EXPECT_EQ(url->servers, "10.0.0.1:2181,10.0.0.2:2181,zk3.example.com:2182");
  EXPECT_EQ(url->path, "/mesos");
  EXPECT_FALSE(url->credentials);
  EXPECT_EQ(url->toString(), "zk://10.0.0.1:2181,10.0.0.2:2181,zk3.example.com:2182/mesos");
}

TEST(ZooKeeperUrl, ParsesNestedPathAndIpv6) {
  auto url = Url::parse("zk://[::1]:2181/a/b-c/d_e");
  ASSERT_TRUE(url) << url.error().message();
  EXPECT_EQ(url->servers, "[::1]:2181");
  EXPECT_EQ(url->path, "/a/b-c/d_e");
}

TEST(ZooKeeperUrl, ParsesCredentialsAndHidesThePassword) {
  auto url = Url::parse("zk://jane:s3cr:t@host:2181/mesos");
  ASSERT_TRUE(url) << url.error().message();
  ASSERT_TRUE(url->credentials);
  EXPECT_EQ(url->credentials->first, "jane");
  EXPECT_EQ(url->credentials->second, "s3cr:t");
  EXPECT_EQ(url->servers, "host:2181");
  EXPECT_EQ(url->toString(), "zk://jane@host:2181/mesos");
}

void expectError(const std::string& text, const std::string& mentions) {
  auto url = Url::parse(text);
  ASSERT_FALSE(url) << text << " parsed";
  EXPECT_EQ(url.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(url.error().message().find(mentions), std::string::npos)
      << "error for " << text << ": " << url.error().message();
}

TEST(ZooKeeperUrl, RejectsBadInputWithClearMessages) {
  expectError("", "must start with 'zk://'");
  expectError("http://host:2181/mesos", "must start with 'zk://'");
  expectError("host:2181/mesos", "must start with 'zk://'");
  expectError("zk://host:2181", "has no path");
  expectError("zk:///mesos", "has no servers");
  expectError("zk://host/mesos", "server 'host' has no port");
  expectError("zk://host:/mesos", "invalid port ''");
  expectError("zk://host:abc/mesos", "invalid port 'abc'");
  expectError("zk://host:0/mesos", "invalid port '0'");
  expectError("zk://host:65536/mesos", "invalid port '65536'");
  expectError("zk://:2181/mesos", "has no host");
  expectError("zk://a:1,,b:2/mesos", "is empty");
  expectError("zk://a:1,/mesos", "is empty");
  expectError("zk://[::1]/mesos", "has no port");
  expectError("zk://::1:2181/mesos", "malformed host");
  expectError("zk://host:2181/", "is the root");
  expectError("zk://host:2181/mesos/", "ends with '/'");
  expectError("zk://host:2181/a//b", "empty component");
  expectError("zk://host:2181/a/../b", "'..' component");
  expectError("zk://user@host:2181/mesos", "credentials must be 'user:password@'");
  expectError("zk://:pw@host:2181/mesos", "credentials must be 'user:password@'");
}

TEST(ZooKeeperUrl, ErrorsNeverShowThePassword) {
  auto url = Url::parse("zk://jane:hunter2@host/mesos");
  ASSERT_FALSE(url);
  EXPECT_EQ(url.error().message().find("hunter2"), std::string::npos) << url.error().message();
}

}  // namespace
}  // namespace plateau::zk
