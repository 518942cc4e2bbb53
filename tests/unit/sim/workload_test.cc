#include "sim/workload.h"

#include <gtest/gtest.h>

namespace plateau::sim {
namespace {

constexpr const char* kSmall = R"({
  "seed": 7,
  "duration_seconds": 10,
  "drain_seconds": 5,
  "master_flags": ["--allocation_interval=100ms"],
  "agents": [{"count": 50, "cpus": 4, "mem": 8192, "attributes": {"rack": "r1"}}],
  "frameworks": [
    {"count": 3, "name": "batch", "role": "analytics",
     "task": {"cpus": 0.5, "mem": 64},
     "duration_seconds": {"min": 0.5, "max": 2},
     "arrival_rate": 20, "max_tasks": 100, "decline_fraction": 0.1,
     "refuse_seconds": 1, "suppress_when_idle": false}
  ]
})";

TEST(WorkloadTest, ParsesEveryField) {
  auto w = parseWorkload(kSmall);
  ASSERT_TRUE(w.has_value()) << w.error().message();
  EXPECT_EQ(w->seed, 7u);
  EXPECT_EQ(w->duration_s, 10);
  EXPECT_EQ(w->drain_s, 5);
  ASSERT_EQ(w->master_flags.size(), 1u);
  EXPECT_EQ(w->totalAgents(), 50);
  EXPECT_EQ(w->agents[0].cpus, 4);
  EXPECT_EQ(w->agents[0].attributes.at("rack"), "r1");
  ASSERT_EQ(w->frameworks.size(), 1u);
  const FrameworkGroup& f = w->frameworks[0];
  EXPECT_EQ(w->totalFrameworks(), 3);
  EXPECT_EQ(f.role, "analytics");
  EXPECT_EQ(f.task_cpus, 0.5);
  EXPECT_EQ(f.task_mem, 64);
  EXPECT_EQ(f.duration_min_s, 0.5);
  EXPECT_EQ(f.duration_max_s, 2);
  EXPECT_EQ(f.max_tasks, 100);
  EXPECT_EQ(f.decline_fraction, 0.1);
  EXPECT_FALSE(f.suppress_when_idle);
}

TEST(WorkloadTest, AFixedDurationIsANumber) {
  auto w = parseWorkload(R"({"agents": [{"count": 1}],
    "frameworks": [{"count": 1, "duration_seconds": 3}]})");
  ASSERT_TRUE(w.has_value()) << w.error().message();
  EXPECT_EQ(w->frameworks[0].duration_min_s, 3);
  EXPECT_EQ(w->frameworks[0].duration_max_s, 3);
}

TEST(WorkloadTest, TheSteadyPhaseIsOptional) {
  auto none = parseWorkload(R"({"agents": [{"count": 1}], "frameworks": []})");
  ASSERT_TRUE(none.has_value()) << none.error().message();
  EXPECT_EQ(none->steady_after_running, 0);
  EXPECT_EQ(none->steady_s, 0);
  auto w = parseWorkload(R"({"agents": [{"count": 1}], "frameworks": [],
    "steady_after_running": 1500, "steady_seconds": 60})");
  ASSERT_TRUE(w.has_value()) << w.error().message();
  EXPECT_EQ(w->steady_after_running, 1500);
  EXPECT_EQ(w->steady_s, 60);
  auto bad = parseWorkload(R"({"agents": [{"count": 1}], "frameworks": [],
    "steady_after_running": -1})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("steady_after_running"), std::string::npos);
}

TEST(WorkloadTest, TheShippedWorkloadsParse) {
  for (const char* name : {"small", "steady-1k", "steady-10k", "scale-10k", "k8s-5k"}) {
    auto w = loadWorkload(std::string(PLATEAU_SOURCE_DIR) + "/src/sim/workloads/" + name + ".json");
    EXPECT_TRUE(w.has_value()) << name << ": " << w.error().message();
  }
}

TEST(WorkloadTest, ASyntaxErrorNamesTheLine) {
  auto w = parseWorkload("{\n  \"agents\": [\n    {\"count\": 1,}\n  ]\n}");
  ASSERT_FALSE(w.has_value());
  EXPECT_NE(w.error().message().find("line 3"), std::string::npos) << w.error().message();
}

TEST(WorkloadTest, AnUnknownKeyIsNamedWithItsPlace) {
  auto w = parseWorkload(R"({"agents": [{"count": 1}],
    "frameworks": [{"count": 1, "arival_rate": 5}]})");
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().message(), "unknown key 'arival_rate' in frameworks[0]");
}

TEST(WorkloadTest, BadValuesNameTheirPath) {
  auto negative = parseWorkload(R"({"agents": [{"count": 1}],
    "frameworks": [{"count": 1, "task": {"cpus": -1}}]})");
  ASSERT_FALSE(negative.has_value());
  EXPECT_NE(negative.error().message().find("frameworks[0].task.cpus must be in"),
            std::string::npos)
      << negative.error().message();

  auto reversed = parseWorkload(R"({"agents": [{"count": 1}],
    "frameworks": [{"count": 1, "duration_seconds": {"min": 5, "max": 1}}]})");
  ASSERT_FALSE(reversed.has_value());
  EXPECT_NE(reversed.error().message().find("duration_seconds.max (1) is below min (5)"),
            std::string::npos)
      << reversed.error().message();

  auto fractional = parseWorkload(R"({"agents": [{"count": 1.5}], "frameworks": []})");
  ASSERT_FALSE(fractional.has_value());
  EXPECT_EQ(fractional.error().message(), "agents[0].count must be an integer");

  auto missing = parseWorkload(R"({"agents": [{"cpus": 2}], "frameworks": []})");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(), "agents[0].count is missing");

  auto no_agents = parseWorkload(R"({"frameworks": []})");
  ASSERT_FALSE(no_agents.has_value());
  EXPECT_NE(no_agents.error().message().find("agents must be"), std::string::npos);
}

}  // namespace
}  // namespace plateau::sim
