#include "sim/ledger.h"

#include <gtest/gtest.h>

namespace plateau::sim {
namespace {

using namespace std::chrono_literals;

TEST(LatencySamplesTest, NearestRankPercentiles) {
  LatencySamples s;
  EXPECT_EQ(s.percentile(99), 0);
  for (int i = 100; i >= 1; --i) {
    s.add(i);
  }
  EXPECT_EQ(s.count(), 100u);
  EXPECT_EQ(s.percentile(50), 50);
  EXPECT_EQ(s.percentile(99), 99);
  EXPECT_EQ(s.percentile(100), 100);
  EXPECT_EQ(s.percentile(0), 1);
  EXPECT_DOUBLE_EQ(s.mean(), 50.5);
  s.add(1000);  // added after a sort: sorted again
  EXPECT_EQ(s.max(), 1000);
}

TEST(TaskLedgerTest, MeasuresEachStepOfATask) {
  TaskLedger ledger;
  Clock::TimePoint t0{};
  ledger.submitted("a", t0);
  ledger.launched("a", t0 + 200ms);
  ledger.atAgent("a", t0 + 210ms);
  ledger.running("a", t0 + 250ms);
  ledger.ended("a", TaskLedger::End::kFinished, t0 + 2s);
  EXPECT_EQ(ledger.counts().submitted, 1);
  EXPECT_EQ(ledger.counts().launched, 1);
  EXPECT_EQ(ledger.counts().at_agent, 1);
  EXPECT_EQ(ledger.counts().running, 1);
  EXPECT_EQ(ledger.counts().finished, 1);
  EXPECT_EQ(ledger.live(), 0u);
  EXPECT_DOUBLE_EQ(ledger.waitForOffer().max(), 0.2);
  EXPECT_NEAR(ledger.acceptToAgent().max(), 0.01, 1e-9);
  EXPECT_NEAR(ledger.launchToRunning().max(), 0.05, 1e-9);
}

TEST(TaskLedgerTest, TheSteadyPhaseSamplesOnlyTasksLaunchedInIt) {
  TaskLedger ledger;
  ledger.steadyAfterRunning(2);
  Clock::TimePoint t0{};
  for (const char* id : {"a", "b", "c"}) {
    ledger.submitted(id, t0);
    ledger.launched(id, t0 + 1s);
  }
  ledger.running("a", t0 + 2s);
  EXPECT_FALSE(ledger.steadySince().has_value());
  ledger.running("b", t0 + 3s);  // two running at once: the steady phase begins
  ASSERT_TRUE(ledger.steadySince().has_value());
  EXPECT_EQ(*ledger.steadySince(), t0 + 3s);
  ledger.running("c", t0 + 4s);  // launched before it: not a steady sample
  ledger.ended("a", TaskLedger::End::kFinished, t0 + 5s);
  EXPECT_EQ(ledger.runningNow(), 2);
  ledger.submitted("d", t0 + 5s);
  ledger.launched("d", t0 + 6s);
  ledger.running("d", t0 + 6s + 300ms);
  EXPECT_EQ(ledger.launchToRunning().count(), 4u);
  EXPECT_EQ(ledger.steadyLaunchToRunning().count(), 1u);
  EXPECT_NEAR(ledger.steadyLaunchToRunning().max(), 0.3, 1e-9);
  EXPECT_EQ(ledger.steadyWaitForOffer().count(), 1u);
  EXPECT_EQ(ledger.steadyLaunched(), 1);

  LatencySamples probe;
  probe.add(5);
  probe.markSteady();
  probe.add(7);
  EXPECT_EQ(probe.count(), 2u);
  EXPECT_EQ(probe.steady().count(), 1u);
  EXPECT_EQ(probe.steady().max(), 7);
}

TEST(TaskLedgerTest, DuplicatesAndStrangersCountOnce) {
  TaskLedger ledger;
  Clock::TimePoint t0{};
  ledger.submitted("a", t0);
  ledger.submitted("a", t0 + 1s);
  ledger.launched("a", t0 + 1s);
  ledger.launched("a", t0 + 2s);
  ledger.running("a", t0 + 3s);
  ledger.running("a", t0 + 4s);
  ledger.running("unknown", t0 + 4s);
  ledger.ended("a", TaskLedger::End::kKilled, t0 + 5s);
  ledger.ended("a", TaskLedger::End::kFinished, t0 + 6s);
  ledger.ended("unknown", TaskLedger::End::kFailed, t0 + 6s);
  EXPECT_EQ(ledger.counts().submitted, 1);
  EXPECT_EQ(ledger.counts().launched, 1);
  EXPECT_EQ(ledger.counts().running, 1);
  EXPECT_EQ(ledger.counts().killed, 1);
  EXPECT_EQ(ledger.counts().finished, 0);
  EXPECT_EQ(ledger.counts().failed, 0);
  EXPECT_EQ(ledger.waitForOffer().count(), 1u);
  EXPECT_DOUBLE_EQ(ledger.launchToRunning().max(), 2.0);
}

TEST(TaskLedgerTest, RunningBeforeLaunchIsIgnored) {
  TaskLedger ledger;
  ledger.submitted("a", Clock::TimePoint{});
  ledger.running("a", Clock::TimePoint{} + 1s);
  EXPECT_EQ(ledger.counts().running, 0);
  EXPECT_EQ(ledger.live(), 1u);
}

}  // namespace
}  // namespace plateau::sim
