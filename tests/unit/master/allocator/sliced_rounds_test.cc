// Allocation rounds in slices (Allocator::allocate with a bound on the agents examined): the
// slices together offer what one whole round would, and events between slices are honoured.

#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "master/allocator/allocator.h"
#include "unit/master/allocator/allocator_test_util.h"

namespace plateau::master::allocator {
namespace {

using std::chrono::hours;

using testing::res;

const TimePoint kNow = TimePoint{} + hours(1);

using Pairs = std::set<std::pair<std::string, std::string>>;  // (framework, agent)

Pairs pairsOf(const std::vector<Offer>& offers) {
  Pairs pairs;
  for (const Offer& offer : offers) {
    pairs.emplace(offer.framework_id, offer.agent_id);
  }
  return pairs;
}

void addAgents(Allocator& allocator, int count) {
  for (int i = 0; i < count; ++i) {
    PLATEAU_ASSERT_OK(allocator.addAgent(fmt::format("a{}", i), res("cpus:4;mem:1024"), {}));
  }
}

// Runs slices until nothing is pending; returns every offer and counts the slices.
std::vector<Offer> drain(Allocator& allocator, size_t max_agents, int& slices) {
  std::vector<Offer> all;
  slices = 0;
  do {
    std::vector<Offer> offers = allocator.allocate(kNow, max_agents);
    EXPECT_LE(offers.size(), max_agents);
    EXPECT_LE(allocator.lastRound().agents_examined, max_agents);
    all.insert(all.end(), offers.begin(), offers.end());
    ++slices;
  } while (allocator.pending() && slices < 100);
  return all;
}

TEST(SlicedRoundsTest, SlicesOfferWhatOneWholeRoundOffers) {
  Allocator whole, sliced;
  addAgents(whole, 7);
  addAgents(sliced, 7);
  for (Allocator* a : {&whole, &sliced}) {
    PLATEAU_ASSERT_OK(a->addFramework("f1", {.roles = {"*"}}));
    PLATEAU_ASSERT_OK(a->addFramework("f2", {.roles = {"*"}}));
  }
  const std::vector<Offer> expected = whole.allocate(kNow);
  EXPECT_FALSE(whole.pending());
  int slices = 0;
  const std::vector<Offer> got = drain(sliced, 3, slices);
  EXPECT_EQ(slices, 3);  // 3 + 3 + 1 agents
  ASSERT_EQ(got.size(), 7u);
  EXPECT_EQ(pairsOf(got), pairsOf(expected));
  EXPECT_FALSE(sliced.pending());
  EXPECT_TRUE(sliced.allocate(kNow, 3).empty());
}

TEST(SlicedRoundsTest, ARevivedFrameworkIsOfferedEverySettledAgentAcrossSlices) {
  Allocator allocator;
  addAgents(allocator, 5);
  PLATEAU_ASSERT_OK(allocator.addFramework("f1", {.roles = {"*"}, .suppressed_roles = {"*"}}));
  EXPECT_TRUE(allocator.allocate(kNow, 2).empty());
  int slices = 0;
  drain(allocator, 2, slices);  // the agents added are examined (and settled) in slices
  PLATEAU_ASSERT_OK(allocator.revive("f1"));
  const std::vector<Offer> got = drain(allocator, 2, slices);
  EXPECT_EQ(slices, 3);
  EXPECT_EQ(got.size(), 5u);
  EXPECT_EQ(pairsOf(got).size(), 5u);
  EXPECT_FALSE(allocator.pending());
}

TEST(SlicedRoundsTest, ASeatSuppressedBetweenSlicesGetsNoMoreOffers) {
  Allocator allocator;
  addAgents(allocator, 6);
  PLATEAU_ASSERT_OK(allocator.addFramework("f1", {.roles = {"*"}, .suppressed_roles = {"*"}}));
  int slices = 0;
  drain(allocator, 10, slices);
  PLATEAU_ASSERT_OK(allocator.revive("f1"));
  EXPECT_EQ(allocator.allocate(kNow, 2).size(), 2u);
  EXPECT_TRUE(allocator.pending());
  PLATEAU_ASSERT_OK(allocator.suppress("f1"));
  EXPECT_TRUE(drain(allocator, 2, slices).empty());
  EXPECT_FALSE(allocator.pending());
  // Revived again, it gets the four agents it was not offered.
  PLATEAU_ASSERT_OK(allocator.revive("f1"));
  EXPECT_EQ(drain(allocator, 2, slices).size(), 4u);
}

TEST(SlicedRoundsTest, AnAgentRemovedBetweenSlicesIsSkipped) {
  Allocator allocator;
  addAgents(allocator, 4);
  PLATEAU_ASSERT_OK(allocator.addFramework("f1", {.roles = {"*"}}));
  const std::vector<Offer> first = allocator.allocate(kNow, 1);
  ASSERT_EQ(first.size(), 1u);
  PLATEAU_ASSERT_OK(allocator.removeAgent("a3"));
  int slices = 0;
  const std::vector<Offer> rest = drain(allocator, 1, slices);
  Pairs all = pairsOf(first);
  all.merge(pairsOf(rest));
  EXPECT_EQ(all, (Pairs{{"f1", "a0"}, {"f1", "a1"}, {"f1", "a2"}}));
}

TEST(SlicedRoundsTest, NewcomersDuringAnUnfinishedSweepAreServedByAFullWalk) {
  Allocator allocator;
  addAgents(allocator, 6);
  PLATEAU_ASSERT_OK(allocator.addFramework("f1", {.roles = {"*"}, .suppressed_roles = {"*"}}));
  PLATEAU_ASSERT_OK(allocator.addFramework("f2", {.roles = {"*"}, .suppressed_roles = {"*"}}));
  int slices = 0;
  drain(allocator, 10, slices);
  PLATEAU_ASSERT_OK(allocator.revive("f1"));
  const std::vector<Offer> first = allocator.allocate(kNow, 2);
  ASSERT_EQ(first.size(), 2u);
  PLATEAU_ASSERT_OK(allocator.revive("f2"));
  const std::vector<Offer> rest = drain(allocator, 2, slices);
  // The four agents left go to the two frameworks by DRF: two each.
  ASSERT_EQ(rest.size(), 4u);
  int to_f2 = 0;
  for (const Offer& offer : rest) {
    to_f2 += offer.framework_id == "f2" ? 1 : 0;
  }
  EXPECT_GE(to_f2, 2);
  Pairs all = pairsOf(first);
  all.merge(pairsOf(rest));
  EXPECT_EQ(all.size(), 6u);
}

}  // namespace
}  // namespace plateau::master::allocator
