#include "apps/health.h"

#include <gtest/gtest.h>

namespace plateau::apps {
namespace {

using namespace std::chrono_literals;

HealthCheck check(int grace, int max_failures) {
  HealthCheck h;
  h.protocol = "HTTP";
  h.grace_period_seconds = grace;
  h.max_consecutive_failures = max_failures;
  return h;
}

const ProbeResult kOk{.ok = true};
const ProbeResult kFail{.cause = "connection refused"};

TEST(HealthTest, FailuresWithinTheGracePeriodCountOnlyAfterAFirstSuccess) {
  CheckState s;
  HealthCheck h = check(30, 3);
  // Starting: failures inside the grace period are not counted.
  EXPECT_FALSE(recordResult(s, h, kFail, 5s, 100).counted);
  EXPECT_FALSE(recordResult(s, h, kFail, 10s, 101).counted);
  EXPECT_EQ(s.consecutive_failures, 0);
  EXPECT_FALSE(s.alive());
  // Once it has succeeded, failures count even inside the grace period.
  EXPECT_TRUE(recordResult(s, h, kOk, 12s, 102).counted);
  EXPECT_TRUE(s.alive());
  EXPECT_EQ(s.first_success, 102);
  auto v = recordResult(s, h, kFail, 14s, 103);
  EXPECT_TRUE(v.counted);
  EXPECT_FALSE(v.kill);
  EXPECT_FALSE(s.alive());
  EXPECT_EQ(s.last_failure_cause, "connection refused");
}

TEST(HealthTest, MaxConsecutiveFailuresKillsAndASuccessResetsTheCount) {
  CheckState s;
  HealthCheck h = check(0, 3);
  EXPECT_FALSE(recordResult(s, h, kFail, 40s, 1).kill);
  EXPECT_FALSE(recordResult(s, h, kFail, 41s, 2).kill);
  EXPECT_TRUE(recordResult(s, h, kOk, 42s, 3).counted);
  EXPECT_EQ(s.consecutive_failures, 0);
  EXPECT_FALSE(recordResult(s, h, kFail, 43s, 4).kill);
  EXPECT_FALSE(recordResult(s, h, kFail, 44s, 5).kill);
  EXPECT_TRUE(recordResult(s, h, kFail, 45s, 6).kill);  // third in a row
  EXPECT_EQ(s.consecutive_failures, 3);
}

TEST(HealthTest, ZeroMaxConsecutiveFailuresNeverKills) {
  CheckState s;
  HealthCheck h = check(0, 0);
  for (int k = 0; k < 50; ++k) {
    auto v = recordResult(s, h, kFail, 100s, k);
    EXPECT_TRUE(v.counted);
    EXPECT_FALSE(v.kill);
  }
  EXPECT_EQ(s.consecutive_failures, 50);
  EXPECT_FALSE(s.alive());
}

TEST(HealthTest, HttpStatusesAndIgnoreHttp1xx) {
  HealthCheck h = check(0, 3);
  EXPECT_TRUE(httpVerdict(h, 200).ok);
  EXPECT_TRUE(httpVerdict(h, 302).ok);
  EXPECT_FALSE(httpVerdict(h, 404).ok);
  EXPECT_FALSE(httpVerdict(h, 503).ok);
  EXPECT_FALSE(httpVerdict(h, 101).ok);
  EXPECT_FALSE(httpVerdict(h, 101).ignored);
  h.ignore_http1xx = true;
  EXPECT_TRUE(httpVerdict(h, 101).ignored);
  CheckState s;
  EXPECT_FALSE(recordResult(s, h, httpVerdict(h, 101), 100s, 1).counted);
  EXPECT_EQ(s.consecutive_failures, 0);
}

TEST(HealthTest, PortFromPortOrPortIndex) {
  HealthCheck h;
  EXPECT_EQ(probePort(h, {31000, 31001}), 31000u);
  h.port_index = 1;
  EXPECT_EQ(probePort(h, {31000, 31001}), 31001u);
  h.port_index = 2;
  EXPECT_EQ(probePort(h, {31000, 31001}), std::nullopt);
  h.port = 8080;
  EXPECT_EQ(probePort(h, {}), 8080u);
}

TEST(HealthTest, WhoRunsWhichProtocol) {
  for (std::string p : {"HTTP", "HTTPS", "TCP"}) {
    HealthCheck h;
    h.protocol = p;
    EXPECT_TRUE(runByService(h)) << p;
    EXPECT_FALSE(runByAgent(h)) << p;
  }
  for (std::string p : {"MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP", "COMMAND"}) {
    HealthCheck h;
    h.protocol = p;
    EXPECT_TRUE(runByAgent(h)) << p;
    EXPECT_FALSE(runByService(h)) << p;
  }
}

}  // namespace
}  // namespace plateau::apps
