// The pure part of checks and health checks: what a probe result means and when it is
// reported, with Mesos semantics (grace period, consecutive failures).

#include <gtest/gtest.h>

#include "executor/checker.h"

namespace plateau::executor {
namespace {

using namespace std::chrono_literals;

TEST(HealthTrackerTest, FailuresInsideGraceAreIgnoredUntilFirstSuccess) {
  HealthTracker tracker(3, 10s);
  auto out = tracker.onResult(false, 1s);
  EXPECT_FALSE(out.report);
  EXPECT_FALSE(out.kill);
  EXPECT_EQ(tracker.consecutiveFailures(), 0u);
  out = tracker.onResult(true, 2s);
  EXPECT_TRUE(out.report);
  EXPECT_TRUE(out.healthy);
  // After a success the grace period no longer shields failures.
  out = tracker.onResult(false, 3s);
  EXPECT_TRUE(out.report);
  EXPECT_FALSE(out.healthy);
  EXPECT_FALSE(out.kill);
  EXPECT_EQ(tracker.consecutiveFailures(), 1u);
}

TEST(HealthTrackerTest, FailuresAfterGraceCountAndKillAtTheLimit) {
  HealthTracker tracker(3, 1s);
  auto first = tracker.onResult(false, 2s);
  EXPECT_TRUE(first.report);  // unhealthy is news
  EXPECT_FALSE(first.healthy);
  EXPECT_FALSE(first.kill);
  auto second = tracker.onResult(false, 3s);
  EXPECT_FALSE(second.report);  // unchanged
  EXPECT_FALSE(second.kill);
  auto third = tracker.onResult(false, 4s);
  EXPECT_TRUE(third.kill);
  EXPECT_TRUE(third.report);
  EXPECT_EQ(tracker.consecutiveFailures(), 3u);
}

TEST(HealthTrackerTest, SuccessResetsTheCountAndReportsOnlyChanges) {
  HealthTracker tracker(2, 0s);
  EXPECT_TRUE(tracker.onResult(true, 1s).report);
  EXPECT_FALSE(tracker.onResult(true, 2s).report);
  auto fail = tracker.onResult(false, 3s);
  EXPECT_TRUE(fail.report);
  EXPECT_FALSE(fail.kill);
  auto back = tracker.onResult(true, 4s);
  EXPECT_TRUE(back.report);
  EXPECT_TRUE(back.healthy);
  EXPECT_EQ(tracker.consecutiveFailures(), 0u);
  EXPECT_FALSE(tracker.onResult(false, 5s).kill);  // count restarted at 1 of 2
  EXPECT_TRUE(tracker.onResult(false, 6s).kill);
}

TEST(ProbeTest, HealthyMeaningPerType) {
  ProbeResult command{.type = mesos::v1::CheckInfo::COMMAND, .exit_code = 0};
  EXPECT_TRUE(probeHealthy(command));
  command.exit_code = 1;
  EXPECT_FALSE(probeHealthy(command));
  command.exit_code.reset();
  EXPECT_FALSE(probeHealthy(command));

  ProbeResult http{.type = mesos::v1::CheckInfo::HTTP, .status_code = 200u};
  EXPECT_TRUE(probeHealthy(http));
  http.status_code = 399;
  EXPECT_TRUE(probeHealthy(http));
  http.status_code = 404;
  EXPECT_FALSE(probeHealthy(http));
  http.status_code = 199;
  EXPECT_FALSE(probeHealthy(http));
  http.status_code = 404;
  EXPECT_TRUE(probeHealthy(http, {404}));

  ProbeResult tcp{.type = mesos::v1::CheckInfo::TCP, .connected = true};
  EXPECT_TRUE(probeHealthy(tcp));
  tcp.timed_out = true;
  EXPECT_FALSE(probeHealthy(tcp));
}

TEST(ProbeTest, CheckStatusLeavesTheValueUnsetOnTimeout) {
  auto status = checkStatus({.type = mesos::v1::CheckInfo::COMMAND, .exit_code = 3});
  ASSERT_TRUE(status.has_command());
  EXPECT_EQ(status.command().exit_code(), 3);
  status = checkStatus({.type = mesos::v1::CheckInfo::COMMAND, .exit_code = 3, .timed_out = true});
  ASSERT_TRUE(status.has_command());
  EXPECT_FALSE(status.command().has_exit_code());
  status = checkStatus({.type = mesos::v1::CheckInfo::HTTP, .status_code = 503u});
  EXPECT_EQ(status.http().status_code(), 503u);
  status = checkStatus({.type = mesos::v1::CheckInfo::TCP, .connected = false});
  ASSERT_TRUE(status.tcp().has_succeeded());
  EXPECT_FALSE(status.tcp().succeeded());
}

TEST(CheckTrackerTest, ReportsOnlyChanges) {
  CheckTracker tracker;
  auto a = checkStatus({.type = mesos::v1::CheckInfo::COMMAND, .exit_code = 0});
  auto b = checkStatus({.type = mesos::v1::CheckInfo::COMMAND, .exit_code = 1});
  EXPECT_TRUE(tracker.onResult(a).has_value());
  EXPECT_FALSE(tracker.onResult(a).has_value());
  auto changed = tracker.onResult(b);
  ASSERT_TRUE(changed.has_value());
  EXPECT_EQ(changed->command().exit_code(), 1);
  EXPECT_TRUE(tracker.onResult(a).has_value());
}

TEST(ProbeSpecTest, RejectsMissingPartsAndReadsTimings) {
  mesos::v1::HealthCheck hc;
  hc.set_type(mesos::v1::HealthCheck::HTTP);
  EXPECT_FALSE(ProbeSpec::fromHealthCheck(hc).has_value());
  hc.mutable_http()->set_port(8080);
  hc.mutable_http()->set_path("health");
  hc.set_interval_seconds(0.5);
  auto spec = ProbeSpec::fromHealthCheck(hc);
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(spec->port, 8080u);
  EXPECT_EQ(spec->interval, 500ms);
  EXPECT_EQ(spec->delay, 15s);  // Mesos's default
  mesos::v1::CheckInfo check;
  EXPECT_FALSE(ProbeSpec::fromCheck(check).has_value());
  check.set_type(mesos::v1::CheckInfo::TCP);
  EXPECT_FALSE(ProbeSpec::fromCheck(check).has_value());
  check.mutable_tcp()->set_port(1);
  EXPECT_TRUE(ProbeSpec::fromCheck(check).has_value());
}

}  // namespace
}  // namespace plateau::executor
