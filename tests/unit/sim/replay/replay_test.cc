#include "sim/replay/replay.h"

#include <sstream>

#include <gtest/gtest.h>

#include "sim/replay/generator.h"

namespace plateau::sim::replay {
namespace {

std::vector<TraceJob> trace(const std::string& text) {
  std::istringstream in(text);
  auto jobs = parseTrace(in, "tiny.csv");
  EXPECT_TRUE(jobs) << jobs.error().message();
  return jobs ? *jobs : std::vector<TraceJob>{};
}

const RoleReport& role(const ReplayReport& r, const std::string& name) {
  for (const RoleReport& role : r.roles) {
    if (role.role == name) {
      return role;
    }
  }
  ADD_FAILURE() << "no role " << name;
  return r.roles.front();
}

ReplayConfig tinyCluster() {
  ReplayConfig c;
  c.agents = 2;
  c.agent_resources = *Resources::parse("cpus:4;mem:4096");
  c.sample_interval_us = 1000000;
  return c;
}

// Two agents of 4 cpus. At 0, role a asks for 3 tasks of 2 cpus for 10 s: both agents are
// offered to it at once; it fills agent 0 with two and agent 1 with one. At 1, role b asks for 2
// tasks of 4 cpus: agent 1's 2 free cpus are too few (b declines), so b waits until a's tasks
// end at 10 and then takes both agents, 9 s after it arrived; its tasks end at 15.
TEST(ReplayTest, TinyTraceGivesTheLaunchesWorkedOutByHand) {
  auto jobs = trace(
      "arrival,role,tasks,cpus,mem,duration\n"
      "0,a,3,2,1024,10\n"
      "1,b,2,4,1024,5\n");
  auto report = runReplay(jobs, tinyCluster());
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->tasks_launched, 5);
  EXPECT_EQ(report->tasks_finished, 5);
  EXPECT_DOUBLE_EQ(report->simulated_s, 15);
  EXPECT_FALSE(report->stalled);
  const RoleReport& a = role(*report, "a");
  EXPECT_EQ(a.tasks_launched, 3);
  EXPECT_DOUBLE_EQ(a.delay.max, 0);
  const RoleReport& b = role(*report, "b");
  EXPECT_EQ(b.tasks_launched, 2);
  EXPECT_DOUBLE_EQ(b.delay.p50, 9);
  EXPECT_DOUBLE_EQ(b.longest_wait_s, 9);
  EXPECT_EQ(b.longest_wait_job, "line 3");
  EXPECT_GE(report->declines, 1);
  // 6 of 8 cpus for 10 s, then 8 of 8 for 5 s.
  EXPECT_NEAR(report->mean_cpu_utilization, (6.0 * 10 + 8.0 * 5) / 15 / 8, 1e-12);
  EXPECT_DOUBLE_EQ(report->peak_cpu_utilization, 1.0);
  // At 5 s a holds 6 of 8 cpus (its dominant share) and b none.
  ASSERT_GE(report->samples.size(), 6u);
  EXPECT_DOUBLE_EQ(report->samples[5].time_s, 5);
  EXPECT_DOUBLE_EQ(report->samples[5].shares[0], 0.75);
  EXPECT_DOUBLE_EQ(report->samples[5].shares[1], 0);
  EXPECT_EQ(report->samples[5].pending_tasks[1], 2);
}

// The same trace with offers of at least 4 cpus: agent 1's 2 free cpus are never offered, so
// b declines nothing and still launches at 10.
TEST(ReplayTest, MinAllocatableResourcesKeepSmallOffersBack) {
  auto jobs = trace(
      "arrival,role,tasks,cpus,mem,duration\n"
      "0,a,3,2,1024,10\n"
      "1,b,2,4,1024,5\n");
  ReplayConfig c = tinyCluster();
  c.allocator_options.min_allocatable = {*Resources::parse("cpus:4")};
  auto report = runReplay(jobs, c);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->declines, 0);
  EXPECT_EQ(report->tasks_launched, 5);
  EXPECT_DOUBLE_EQ(role(*report, "b").delay.max, 9);
}

TEST(ReplayTest, RefusesATaskNoAgentCanHold) {
  auto jobs = trace("arrival,role,tasks,cpus,mem,duration\n0,a,1,8,1024,10\n");
  auto report = runReplay(jobs, tinyCluster());
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message().find("trace line 2: a task needs cpus 8"), std::string::npos)
      << report.error().message();
}

TEST(ReplayTest, RefusesAbsurdConfigurationsNamingTheFlag) {
  auto jobs = trace("arrival,role,tasks,cpus,mem,duration\n0,a,1,1,1024,10\n");
  auto expect = [&](ReplayConfig c, const std::string& part) {
    auto report = runReplay(jobs, c);
    ASSERT_FALSE(report);
    EXPECT_NE(report.error().message().find(part), std::string::npos) << report.error().message();
  };
  ReplayConfig c = tinyCluster();
  c.agents = 0;
  expect(c, "--agents must be in [1, 10000000], got 0");
  c = tinyCluster();
  c.allocation_interval_us = 0;
  expect(c, "--allocation_interval must be positive");
  c = tinyCluster();
  c.decline_refuse_us = -1;
  expect(c, "--decline_refuse_seconds must not be negative");
  c = tinyCluster();
  c.decline_fraction = 1;
  expect(c, "--decline_fraction must be in [0, 1)");
  c = tinyCluster();
  c.weights["a"] = -1;
  expect(c, "--weights");
  c = tinyCluster();
  c.agent_resources = *Resources::parse("cpus:4");
  expect(c, "--agent_resources must hold cpus and mem");
}

TEST(ReplayTest, QuotaLimitThatBlocksEverythingStallsInsteadOfLoopingForever) {
  auto jobs = trace("arrival,role,tasks,cpus,mem,duration\n0,a,1,2,1024,10\n");
  ReplayConfig c = tinyCluster();
  c.quotas["a"].limits = *Resources::parse("cpus:1");
  auto report = runReplay(jobs, c);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_TRUE(report->stalled);
  EXPECT_EQ(report->tasks_launched, 0);
  EXPECT_EQ(role(*report, "a").tasks_pending_at_end, 1);
  EXPECT_GT(role(*report, "a").longest_wait_s, 3600);
}

// Two roles that each want about two thirds of the cluster (400 cpus) for an hour: 0.13 jobs/s
// of 10 tasks of 1.5 cpus for about 136 s is about 265 cpus each.
std::vector<TraceJob> contended(uint64_t seed) {
  GeneratorSpec spec;
  spec.seed = seed;
  spec.span_us = 3600LL * 1000000;
  spec.rates = {{"heavy", 0.13}, {"light", 0.13}};
  spec.tasks_mean = 10;
  spec.cpus_milli = {1000, 2000};
  spec.duration_median_s = 120;
  spec.duration_sigma = 0.5;
  return generateTrace(spec);
}

ReplayConfig contendedCluster() {
  ReplayConfig c;
  c.agents = 50;
  c.agent_resources = *Resources::parse("cpus:8;mem:32768");
  c.sample_interval_us = 60LL * 1000000;
  c.horizon_us = 3600LL * 1000000;
  c.decline_fraction = 0.05;
  return c;
}

TEST(ReplayTest, SameSeedGivesTheSameJsonBitForBit) {
  auto first = runReplay(contended(7), contendedCluster());
  auto second = runReplay(contended(7), contendedCluster());
  ASSERT_TRUE(first && second);
  EXPECT_GT(first->tasks_launched, 5000);
  EXPECT_EQ(first->json(), second->json());
  ReplayConfig other = contendedCluster();
  other.seed = 8;
  auto third = runReplay(contended(7), other);
  ASSERT_TRUE(third);
  EXPECT_NE(first->json(), third->json());  // the replay's own draws (declines) follow the seed
}

TEST(ReplayTest, HeavierWeightGetsTheLargerShareAndShorterWaits) {
  const std::vector<TraceJob> jobs = contended(3);
  auto equal = runReplay(jobs, contendedCluster());
  ReplayConfig weighted = contendedCluster();
  weighted.weights = {{"heavy", 3.0}, {"light", 1.0}};
  auto three = runReplay(jobs, weighted);
  ASSERT_TRUE(equal && three);
  const double equal_ratio = role(*equal, "heavy").mean_share / role(*equal, "light").mean_share;
  const double weighted_ratio = role(*three, "heavy").mean_share / role(*three, "light").mean_share;
  EXPECT_NEAR(equal_ratio, 1.0, 0.2);
  // 3:1 would give heavy 300 cpus, more than it wants: it gets what it wants, light the rest.
  EXPECT_GT(weighted_ratio, 1.8);
  EXPECT_LT(role(*three, "heavy").delay.p50, role(*three, "light").delay.p50);
  EXPECT_LT(role(*three, "heavy").delay.p50, role(*equal, "heavy").delay.p50);
}

}  // namespace
}  // namespace plateau::sim::replay
