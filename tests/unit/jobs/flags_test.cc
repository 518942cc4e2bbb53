#include "jobs/flags.h"

#include <gtest/gtest.h>

namespace plateau::jobs {
namespace {

TEST(JobsFlagsTest, ChronosDefaultsAndZooKeeperRefusedUntilElectionIsWired) {
  Flags f;
  EXPECT_EQ(f.mesos_framework_name, "plateau-jobs");
  EXPECT_EQ(f.failure_retry, 60000);
  EXPECT_EQ(f.http_port, 8080);
  EXPECT_TRUE(validateFlags(f).isOk());
  f.zk_hosts = "127.0.0.1:2181";
  Status s = validateFlags(f);
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
  EXPECT_NE(s.message().find("not wired yet"), std::string::npos);
  Flags g;
  g.failure_retry = -1;
  EXPECT_EQ(validateFlags(g).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace plateau::jobs
