#include "apps/plan.h"

#include <gtest/gtest.h>

namespace plateau::apps {
namespace {

App appOf(int instances, double min_health = 1, double over = 1) {
  App app;
  app.instances = instances;
  app.minimum_health_capacity = min_health;
  app.maximum_over_capacity = over;
  return app;
}

std::vector<InstanceView> some(int n, bool current, bool ready, uint64_t first_order = 1) {
  std::vector<InstanceView> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({.task_id = (current ? "new" : "old") + std::to_string(first_order + i),
                   .current = current,
                   .ready = ready,
                   .killing = false,
                   .launch_order = first_order + i});
  }
  return out;
}

TEST(PlanTest, ScalesUpAndDownByKillSelection) {
  EXPECT_EQ(planApp(appOf(3), some(1, true, true)).launch, 2);
  App app = appOf(1);
  Plan down = planApp(app, some(3, true, true));
  EXPECT_EQ(down.kill, (std::vector<std::string>{"new3", "new2"}));  // youngest first
  app.kill_selection = "OLDEST_FIRST";
  EXPECT_EQ(planApp(app, some(3, true, true)).kill, (std::vector<std::string>{"new1", "new2"}));
  EXPECT_TRUE(planApp(appOf(2), some(2, true, true)).settled);
  EXPECT_FALSE(planApp(appOf(2), some(2, true, false)).settled);
}

TEST(PlanTest, AKilledInstanceIsReplacedOnlyOnceItHasEnded) {
  auto instances = some(2, true, true);
  instances.push_back(
      {.task_id = "dying", .current = true, .ready = true, .killing = true, .launch_order = 0});
  Plan plan = planApp(appOf(3), instances);
  EXPECT_EQ(plan.launch, 0);  // three still run until the kill ends
  EXPECT_FALSE(plan.settled);
  instances.pop_back();  // it ended
  EXPECT_EQ(planApp(appOf(3), instances).launch, 1);
}

TEST(PlanTest, KillsUnreadyInstancesBeforeReadyOnes) {
  auto instances = some(2, true, true);
  instances.push_back({.task_id = "sick", .current = true, .ready = false, .launch_order = 0});
  EXPECT_EQ(planApp(appOf(2), instances).kill, (std::vector<std::string>{"sick"}));
}

// Simulates a rolling restart step by step: every planned launch starts and becomes ready in
// the next round; the planner must keep enough ready instances and stay under the maximum.
void rollOut(const App& app, int* lowest_ready, int* most_total) {
  auto instances = some(app.instances, false, true, 100);
  uint64_t order = 1000;
  for (int round = 0; round < 100; ++round) {
    Plan plan = planApp(app, instances);
    for (const auto& id : plan.kill) {
      std::erase_if(instances, [&](const InstanceView& i) { return i.task_id == id; });
    }
    int ready = 0;
    for (const auto& i : instances) {
      ready += i.ready ? 1 : 0;
    }
    *lowest_ready = std::min(*lowest_ready, ready);
    for (auto& i : instances) {
      i.ready = true;  // what launched last round is up now
    }
    for (int k = 0; k < plan.launch; ++k) {
      instances.push_back({.task_id = "n" + std::to_string(order),
                           .current = true,
                           .ready = false,
                           .launch_order = order++});
    }
    *most_total = std::max(*most_total, static_cast<int>(instances.size()));
    if (plan.settled) {
      return;
    }
  }
  FAIL() << "the rollout did not finish";
}

TEST(PlanTest, RollingRestartStaysWithinTheUpgradeStrategy) {
  struct Case {
    int instances;
    double min_health, over;
  };
  for (auto c : {Case{4, 1, 1}, Case{4, 0.5, 0}, Case{5, 0.6, 0.2}, Case{3, 1, 0},
                 Case{10, 0.9, 0.1}, Case{2, 0, 0}}) {
    App app = appOf(c.instances, c.min_health, c.over);
    int lowest = c.instances, most = 0;
    rollOut(app, &lowest, &most);
    EXPECT_GE(lowest, minimumHealthy(app)) << c.instances << " " << c.min_health << " " << c.over;
    EXPECT_LE(most, maximumTotal(app)) << c.instances << " " << c.min_health << " " << c.over;
  }
}

TEST(PlanTest, NoRoomEitherWayStillProgressesByOneExtra) {
  App app = appOf(3, 1, 0);
  EXPECT_EQ(maximumTotal(app), 4);
  EXPECT_EQ(planApp(app, some(3, false, true)).launch, 1);
}

}  // namespace
}  // namespace plateau::apps
