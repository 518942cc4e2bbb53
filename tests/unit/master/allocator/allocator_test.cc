#include "master/allocator/allocator.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace plateau::master::allocator {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

Resources res(std::string_view text) {
  auto parsed = Resources::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(Resources());
}

#define ASSERT_OK(expr)                                                \
  do {                                                                 \
    const ::plateau::Status status_ = (expr);                          \
    ASSERT_TRUE(status_.isOk()) << #expr << ": " << status_.message(); \
  } while (0)

const TimePoint kStart = TimePoint{} + hours(1);

class AllocatorTest : public testing::Test {
 protected:
  std::vector<Offer> allocate() { return allocator_.allocate(now_); }
  void decline(const Offer& offer, std::optional<nanoseconds> refuse) {
    ASSERT_OK(allocator_.recoverResources(offer.framework_id, offer.role, offer.agent_id,
                                          offer.resources, refuse, now_));
  }

  Allocator allocator_;
  TimePoint now_ = kStart;
};

TEST_F(AllocatorTest, OffersAllFreeResourcesOfAnAgentToOneFramework) {
  ASSERT_OK(allocator_.addAgent("agent1", res("cpus:4;mem:1024;ports:[31000-32000]"), {}));
  ASSERT_OK(allocator_.addFramework("fw1", {.roles = {"*"}}));
  const auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "fw1");
  EXPECT_EQ(offers[0].agent_id, "agent1");
  EXPECT_EQ(offers[0].resources, res("cpus:4;mem:1024;ports:[31000-32000]"));
  EXPECT_TRUE(allocator_.available("agent1")->empty());
  EXPECT_EQ(*allocator_.allocation("fw1"), offers[0].resources);
  EXPECT_TRUE(allocate().empty());
}

TEST_F(AllocatorTest, EachAgentGoesToTheFrameworkWithTheLowestDominantShare) {
  ASSERT_OK(allocator_.addAgent("a1", res("cpus:10;mem:100"), {{"busy", "*", res("cpus:5")}}));
  ASSERT_OK(allocator_.addAgent("a2", res("cpus:10;mem:100"), {}));
  ASSERT_OK(allocator_.addFramework("busy", {.roles = {"*"}}));
  ASSERT_OK(allocator_.addFramework("idle", {.roles = {"*"}}));
  EXPECT_DOUBLE_EQ(*allocator_.frameworkShare("busy"), 0.25);
  const auto offers = allocate();
  ASSERT_EQ(offers.size(), 2u);
  // a1 goes to idle (share 0 < 0.25); idle then holds half of the memory, so a2 goes to busy.
  EXPECT_EQ(offers[0].agent_id, "a1");
  EXPECT_EQ(offers[0].framework_id, "idle");
  EXPECT_EQ(offers[1].agent_id, "a2");
  EXPECT_EQ(offers[1].framework_id, "busy");
}

TEST_F(AllocatorTest, RejectsBadCalls) {
  EXPECT_EQ(allocator_.addAgent("a1", res("cpus:1"), {{"fw", "*", res("cpus:2")}}).code(),
            StatusCode::kInvalidArgument);
  ASSERT_OK(allocator_.addAgent("a1", res("cpus:1"), {}));
  EXPECT_EQ(allocator_.addAgent("a1", res("cpus:1"), {}).code(), StatusCode::kAlreadyExists);
  ASSERT_OK(allocator_.addFramework("fw", {.roles = {"*"}}));
  EXPECT_EQ(allocator_.addFramework("fw", {.roles = {"*"}}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(allocator_.addFramework("", {.roles = {"*"}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(allocator_.removeFramework("nope").code(), StatusCode::kNotFound);
  EXPECT_EQ(allocator_.removeAgent("nope").code(), StatusCode::kNotFound);
  EXPECT_EQ(allocator_.suppress("nope").code(), StatusCode::kNotFound);
  EXPECT_EQ(allocator_.setWeight("r", 0).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      allocator_.recoverResources("nope", "*", "a1", res("cpus:1"), std::nullopt, now_).code(),
      StatusCode::kNotFound);
  EXPECT_EQ(
      allocator_.recoverResources("fw", "*", "nope", res("cpus:1"), std::nullopt, now_).code(),
      StatusCode::kNotFound);
  EXPECT_EQ(allocator_.recoverResources("fw", "*", "a1", res("cpus:1"), std::nullopt, now_).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_EQ(allocate().size(), 1u);
  EXPECT_EQ(allocator_.recoverResources("fw", "*", "a1", res("cpus:2"), std::nullopt, now_).code(),
            StatusCode::kFailedPrecondition);
}

// Progressive filling with whole tasks, as docs/drf.md describes it end to end: every framework
// launches one task per offer when it fits and declines the rest with a short filter.
std::map<std::string, int> fillWithTasks(Allocator& allocator,
                                         const std::map<std::string, Resources>& task_of,
                                         TimePoint& now) {
  // The filter outlives one round (as Mesos makes a filter last at least until the next
  // allocation) and is gone by the one after.
  std::map<std::string, int> tasks;
  int quiet_rounds = 0;
  for (int round = 0; round < 1000 && quiet_rounds < 10; ++round) {
    bool launched = false;
    for (const Offer& offer : allocator.allocate(now)) {
      Resources rest = offer.resources;
      const Resources& task = task_of.at(offer.framework_id);
      if (offer.resources.contains(task)) {
        ++tasks[offer.framework_id];
        rest -= task;
        launched = true;
      }
      if (!rest.empty()) {
        const Status status = allocator.recoverResources(
            offer.framework_id, offer.role, offer.agent_id, rest, milliseconds(1500), now);
        EXPECT_TRUE(status.isOk()) << status.message();
      }
    }
    quiet_rounds = launched ? 0 : quiet_rounds + 1;
    now += seconds(1);
  }
  return tasks;
}

TEST_F(AllocatorTest, ReproducesTheDrfPaperExample) {
  ASSERT_OK(allocator_.addAgent("agent", res("cpus:9;mem:18"), {}));
  ASSERT_OK(allocator_.addFramework("A", {.roles = {"*"}}));
  ASSERT_OK(allocator_.addFramework("B", {.roles = {"*"}}));
  const auto tasks =
      fillWithTasks(allocator_, {{"A", res("cpus:1;mem:4")}, {"B", res("cpus:3;mem:1")}}, now_);
  EXPECT_EQ(tasks.at("A"), 3);
  EXPECT_EQ(tasks.at("B"), 2);
  EXPECT_EQ(*allocator_.allocation("A"), res("cpus:3;mem:12"));
  EXPECT_EQ(*allocator_.allocation("B"), res("cpus:6;mem:2"));
  EXPECT_DOUBLE_EQ(*allocator_.frameworkShare("A"), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*allocator_.frameworkShare("B"), 2.0 / 3.0);
}

TEST_F(AllocatorTest, ReproducesTheCorrectedSeedExampleWithWholeTasks) {
  ASSERT_OK(allocator_.addAgent("agent", res("cpus:10;mem:10"), {}));
  ASSERT_OK(allocator_.addFramework("fw1", {.roles = {"*"}}));
  ASSERT_OK(allocator_.addFramework("fw2", {.roles = {"*"}}));
  const auto tasks =
      fillWithTasks(allocator_, {{"fw1", res("cpus:1;mem:4")}, {"fw2", res("cpus:3;mem:1")}}, now_);
  EXPECT_EQ(tasks.at("fw1"), 2);
  EXPECT_EQ(tasks.at("fw2"), 2);
  EXPECT_EQ(*allocator_.allocation("fw1"), res("cpus:2;mem:8"));
  EXPECT_EQ(*allocator_.allocation("fw2"), res("cpus:6;mem:2"));
  EXPECT_DOUBLE_EQ(*allocator_.frameworkShare("fw1"), 0.8);
  EXPECT_DOUBLE_EQ(*allocator_.frameworkShare("fw2"), 0.6);
  EXPECT_EQ(*allocator_.available("agent"), res("cpus:2"));
}

TEST_F(AllocatorTest, ARoleOfWeightTwoSettlesAtTwiceTheShare) {
  // One task fills an agent, so no filter steers the filling: shares alone decide.
  ASSERT_OK(allocator_.setWeight("gold", 2.0));
  for (int i = 0; i < 30; ++i) {
    ASSERT_OK(allocator_.addAgent(fmt::format("agent{:02}", i), res("cpus:1;mem:1"), {}));
  }
  ASSERT_OK(allocator_.addFramework("g", {.roles = {"gold"}}));
  ASSERT_OK(allocator_.addFramework("s", {.roles = {"silver"}}));
  const auto tasks =
      fillWithTasks(allocator_, {{"g", res("cpus:1;mem:1")}, {"s", res("cpus:1;mem:1")}}, now_);
  EXPECT_EQ(tasks.at("g"), 20);
  EXPECT_EQ(tasks.at("s"), 10);
  EXPECT_DOUBLE_EQ(*allocator_.roleShare("gold"), 2 * *allocator_.roleShare("silver"));
}

TEST_F(AllocatorTest, ChangingAWeightReordersRoles) {
  ASSERT_OK(allocator_.addAgent("a1", res("cpus:10"),
                                {{"g", "gold", res("cpus:3")}, {"s", "silver", res("cpus:2")}}));
  ASSERT_OK(allocator_.addAgent("a2", res("cpus:10"), {}));
  ASSERT_OK(allocator_.addFramework("g", {.roles = {"gold"}}));
  ASSERT_OK(allocator_.addFramework("s", {.roles = {"silver"}}));
  ASSERT_OK(allocator_.setWeight("gold", 2.0));  // 0.15 / 2 < 0.1
  const auto offers = allocate();
  ASSERT_FALSE(offers.empty());
  EXPECT_EQ(offers[0].framework_id, "g");
}

TEST_F(AllocatorTest, ADeclineFilterBlocksTheAgentUntilItExpires) {
  ASSERT_OK(allocator_.addAgent("agent", res("cpus:4;mem:64"), {}));
  ASSERT_OK(allocator_.addFramework("fw", {.roles = {"*"}}));
  auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  decline(offers[0], seconds(10));
  now_ += seconds(9);
  EXPECT_TRUE(allocate().empty());
  now_ += seconds(1);
  offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(allocator_.lastRound().agents_with_expired_filters, 1u);
}

TEST_F(AllocatorTest, AFilteredAgentGoesToTheNextFramework) {
  ASSERT_OK(allocator_.addAgent("agent", res("cpus:4;mem:64"), {}));
  ASSERT_OK(allocator_.addFramework("a", {.roles = {"*"}}));
  ASSERT_OK(allocator_.addFramework("b", {.roles = {"*"}}));
  auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "a");
  decline(offers[0], hours(1));
  offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "b");
}

TEST_F(AllocatorTest, AFilterCoversOnlyTheRefusedResources) {
  ASSERT_OK(
      allocator_.addAgent("agent", res("cpus:4;mem:64"), {{"fw", "*", res("cpus:2;mem:32")}}));
  ASSERT_OK(allocator_.addFramework("fw", {.roles = {"*"}}));
  auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources, res("cpus:2;mem:32"));
  decline(offers[0], hours(1));
  EXPECT_TRUE(allocate().empty());
  // A task ends: the agent now has more free than the framework refused.
  ASSERT_OK(allocator_.recoverResources("fw", "*", "agent", res("cpus:1"), std::nullopt, now_));
  offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources, res("cpus:3;mem:32"));
}

TEST_F(AllocatorTest, ReviveClearsFilters) {
  ASSERT_OK(allocator_.addAgent("agent", res("cpus:4"), {}));
  ASSERT_OK(allocator_.addFramework("fw", {.roles = {"*"}}));
  decline(allocate().at(0), hours(24));
  EXPECT_TRUE(allocate().empty());
  ASSERT_OK(allocator_.revive("fw"));
  EXPECT_EQ(allocate().size(), 1u);
}

TEST_F(AllocatorTest, HugeRefuseDurationsDoNotOverflow) {
  ASSERT_OK(allocator_.addAgent("a1", res("cpus:4"), {}));
  ASSERT_OK(allocator_.addAgent("a2", res("cpus:4"), {}));
  ASSERT_OK(allocator_.addFramework("fw", {.roles = {"*"}}));
  const auto offers = allocate();
  ASSERT_EQ(offers.size(), 2u);
  decline(offers[0], std::chrono::duration_cast<nanoseconds>(std::chrono::duration<double>(1e9)));
  decline(offers[1], nanoseconds::max());
  now_ += hours(24 * 365 * 30);
  EXPECT_TRUE(allocate().empty());
  now_ += hours(24 * 365 * 2);  // past 1e9 seconds
  const auto later = allocate();
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].agent_id, offers[0].agent_id);
}

TEST_F(AllocatorTest, ZeroRefuseInstallsNoFilterAndNegativeUsesTheDefault) {
  Allocator allocator(Options{.default_refuse = milliseconds(3000)});
  ASSERT_OK(allocator.addAgent("agent", res("cpus:4"), {}));
  ASSERT_OK(allocator.addFramework("fw", {.roles = {"*"}}));
  Offer offer = allocator.allocate(now_).at(0);
  ASSERT_OK(allocator.recoverResources("fw", "*", "agent", offer.resources, nanoseconds(0), now_));
  offer = allocator.allocate(now_).at(0);
  ASSERT_OK(allocator.recoverResources("fw", "*", "agent", offer.resources, seconds(-1), now_));
  EXPECT_TRUE(allocator.allocate(now_ + milliseconds(2999)).empty());
  EXPECT_EQ(allocator.allocate(now_ + milliseconds(3000)).size(), 1u);
}

TEST_F(AllocatorTest, ASuppressedFrameworkGetsNoOffersUntilRevived) {
  ASSERT_OK(allocator_.addAgent("agent", res("cpus:4"), {}));
  ASSERT_OK(allocator_.addFramework("a", {.roles = {"*"}}));
  ASSERT_OK(allocator_.addFramework("b", {.roles = {"*"}}));
  ASSERT_OK(allocator_.suppress("a"));
  auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "b");
  decline(offers[0], hours(1));
  EXPECT_TRUE(allocate().empty());
  ASSERT_OK(allocator_.revive("a"));
  offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "a");
}

TEST_F(AllocatorTest, InactiveFrameworksGetNoOffersAndDeactivationDropsFilters) {
  ASSERT_OK(allocator_.addAgent("agent", res("cpus:4"), {}));
  ASSERT_OK(allocator_.addFramework("fw", {.roles = {"*"}}, false));
  EXPECT_TRUE(allocate().empty());
  ASSERT_OK(allocator_.activateFramework("fw"));
  decline(allocate().at(0), hours(1));
  EXPECT_TRUE(allocate().empty());
  ASSERT_OK(allocator_.deactivateFramework("fw"));
  EXPECT_TRUE(allocate().empty());
  ASSERT_OK(allocator_.activateFramework("fw"));
  EXPECT_EQ(allocate().size(), 1u);
}

TEST_F(AllocatorTest, PausedFrameworksGetNoOffersAndKeepTheirFilters) {
  ASSERT_OK(allocator_.addAgent("a1", res("cpus:4"), {}));
  ASSERT_OK(allocator_.addAgent("a2", res("cpus:4"), {}));
  ASSERT_OK(allocator_.addFramework("fw", {.roles = {"*"}}));
  ASSERT_OK(allocator_.addFramework("other", {.roles = {"*"}}));
  ASSERT_OK(allocator_.pauseOffers("fw", true));
  ASSERT_OK(allocator_.pauseOffers("fw", true));  // idempotent
  auto offers = allocate();
  ASSERT_EQ(offers.size(), 2u);
  for (const auto& offer : offers) {
    EXPECT_EQ(offer.framework_id, "other");
    decline(offer, hours(1));
  }
  ASSERT_OK(allocator_.pauseOffers("fw", false));
  offers = allocate();
  ASSERT_EQ(offers.size(), 2u);
  decline(offers[0], hours(1));  // fw refuses one agent for an hour
  EXPECT_EQ(offers[0].framework_id, "fw");
  const std::string kept = offers[1].agent_id;
  ASSERT_OK(allocator_.recoverResources("fw", "*", kept, offers[1].resources, std::nullopt, now_));
  ASSERT_OK(allocator_.pauseOffers("fw", true));
  ASSERT_OK(allocator_.pauseOffers("fw", false));
  // Unlike deactivation, the pause kept fw's filter: only the other agent comes back.
  offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "fw");
  EXPECT_EQ(offers[0].agent_id, kept);
  EXPECT_EQ(allocator_.pauseOffers("nope", true).code(), StatusCode::kNotFound);
}

TEST_F(AllocatorTest, RemovingAFrameworkReturnsItsAllocation) {
  ASSERT_OK(allocator_.addAgent("agent", res("cpus:4"), {{"a", "*", res("cpus:1")}}));
  ASSERT_OK(allocator_.addFramework("a", {.roles = {"*"}}));
  ASSERT_OK(allocator_.addFramework("b", {.roles = {"*"}}));
  auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "b");
  ASSERT_OK(allocator_.removeFramework("a"));
  EXPECT_EQ(*allocator_.available("agent"), res("cpus:1"));
  offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "b");
  EXPECT_EQ(*allocator_.allocation("b"), res("cpus:4"));
  EXPECT_EQ(allocator_.frameworkCount(), 1u);
  EXPECT_EQ(allocator_.roleShare("*").value(), 1.0);
}

TEST_F(AllocatorTest, RemovingAnAgentDropsItsAllocationsAndShrinksTheTotal) {
  ASSERT_OK(allocator_.addAgent("a1", res("cpus:4"), {}));
  ASSERT_OK(allocator_.addAgent("a2", res("cpus:4"), {}));
  ASSERT_OK(allocator_.addFramework("fw", {.roles = {"*"}}));
  ASSERT_EQ(allocate().size(), 2u);
  ASSERT_OK(allocator_.removeAgent("a1"));
  EXPECT_EQ(*allocator_.allocation("fw"), res("cpus:4"));
  EXPECT_DOUBLE_EQ(*allocator_.frameworkShare("fw"), 1.0);
  EXPECT_EQ(allocator_.recoverResources("fw", "*", "a1", res("cpus:4"), std::nullopt, now_).code(),
            StatusCode::kNotFound);
  ASSERT_OK(allocator_.addAgent("a1", res("cpus:8"), {}));
  const auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources, res("cpus:8"));
}

TEST_F(AllocatorTest, UsedResourcesOfALaterFrameworkCountOnceItIsAdded) {
  ASSERT_OK(allocator_.addAgent("a1", res("cpus:10;mem:10"), {{"late", "*", res("cpus:6")}}));
  ASSERT_OK(allocator_.addAgent("a2", res("cpus:10;mem:10"), {}));
  ASSERT_OK(allocator_.addFramework("early", {.roles = {"*"}}));
  ASSERT_OK(allocator_.addFramework("late", {.roles = {"*"}}));
  EXPECT_DOUBLE_EQ(*allocator_.frameworkShare("late"), 0.3);
  const auto offers = allocate();
  ASSERT_EQ(offers.size(), 2u);
  EXPECT_EQ(offers[0].framework_id, "early");  // a1: 0 < 0.3, then early holds 0.5
  EXPECT_EQ(offers[1].framework_id, "late");
}

TEST_F(AllocatorTest, ReservedResourcesGoOnlyToTheirRole) {
  ASSERT_OK(allocator_.addAgent("agent", res("cpus:4;cpus(eng):2;mem(ops):64"), {}));
  ASSERT_OK(allocator_.addFramework("web", {.roles = {"web"}}));
  ASSERT_OK(allocator_.addFramework("eng", {.roles = {"eng"}}));
  auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "eng");  // ties by role name: "eng" < "web"
  EXPECT_EQ(offers[0].resources, res("cpus:4;cpus(eng):2"));
  EXPECT_EQ(*allocator_.available("agent"), res("mem(ops):64"));
  decline(offers[0], hours(1));
  offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "web");
  EXPECT_EQ(offers[0].resources, res("cpus:4"));
  EXPECT_TRUE(allocate().empty());
}

TEST_F(AllocatorTest, AnAgentEveryFrameworkFilteredCostsNothingPerRound) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK(allocator_.addAgent(fmt::format("agent{}", i), res("cpus:4;mem:64"), {}));
  }
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(allocator_.addFramework(fmt::format("fw{}", i), {.roles = {"*"}}));
  }
  int rounds = 0;
  for (auto offers = allocate(); !offers.empty(); offers = allocate()) {
    EXPECT_EQ(offers.size(), 20u);
    for (const Offer& offer : offers) {
      decline(offer, hours(1000));
    }
    ++rounds;
  }
  EXPECT_EQ(rounds, 5);
  EXPECT_EQ(allocator_.lastRound().agents_examined, 20u);
  EXPECT_TRUE(allocate().empty());
  EXPECT_EQ(allocator_.lastRound().agents_examined, 0u);
  // A weight change reorders roles but cannot make a filtered agent offerable.
  ASSERT_OK(allocator_.setWeight("*", 3.0));
  EXPECT_TRUE(allocate().empty());
  EXPECT_EQ(allocator_.lastRound().agents_examined, 0u);
  // Reviving one framework re-examines only the agents it had filtered.
  ASSERT_OK(allocator_.revive("fw3"));
  EXPECT_EQ(allocate().size(), 20u);
  EXPECT_EQ(allocator_.lastRound().agents_examined, 20u);
}

// A reference model of what the allocator may offer, checked against it under random events.
class InvariantModel {
 public:
  struct FrameworkState {
    std::string role;
    bool active = true;
    bool suppressed = false;
  };
  struct Filter {
    std::string framework;
    std::string agent;
    Resources refused;
    TimePoint expiry;
  };

  std::map<std::string, Resources> agents;  // id -> total
  std::map<std::string, FrameworkState> frameworks;
  std::map<std::pair<std::string, std::string>, Resources> held;  // (framework, agent)
  std::vector<Filter> filters;

  Resources freeOn(const std::string& agent) const {
    Resources free = agents.at(agent);
    for (const auto& [key, resources] : held) {
      if (key.second == agent) {
        free -= resources;
      }
    }
    return free;
  }

  Resources heldBy(const std::string& framework) const {
    Resources total;
    for (const auto& [key, resources] : held) {
      if (key.first == framework) {
        total += resources;
      }
    }
    return total;
  }

  // Frameworks only named by an agent's used resources hold them in role "*".
  std::string roleOf(const std::string& framework) const {
    const auto it = frameworks.find(framework);
    return it == frameworks.end() ? "*" : it->second.role;
  }

  bool eligible(const std::string& framework) const {
    const auto it = frameworks.find(framework);
    return it != frameworks.end() && it->second.active && !it->second.suppressed;
  }

  bool blocked(const std::string& framework, const std::string& agent, const Resources& offer,
               TimePoint now) const {
    return std::any_of(filters.begin(), filters.end(), [&](const Filter& filter) {
      return filter.framework == framework && filter.agent == agent && filter.expiry > now &&
             filter.refused.contains(offer);
    });
  }

  void dropFilters(const std::string& framework) {
    std::erase_if(filters, [&](const Filter& f) { return f.framework == framework; });
  }

  void give(const std::string& framework, const std::string& agent, const Resources& resources) {
    held[{framework, agent}] += resources;
  }

  void take(const std::string& framework, const std::string& agent, const Resources& resources,
            std::optional<nanoseconds> refuse, TimePoint now) {
    Resources& holding = held[{framework, agent}];
    holding -= resources;
    if (holding.empty()) {
      held.erase({framework, agent});
    }
    if (!refuse || resources.empty() || !frameworks.contains(framework)) {
      return;
    }
    const nanoseconds duration = *refuse < nanoseconds::zero() ? seconds(5) : *refuse;
    if (duration > nanoseconds::zero()) {
      const bool forever = duration >= TimePoint::max() - now;
      filters.push_back({framework, agent, resources, forever ? TimePoint::max() : now + duration});
    }
  }
};

TEST(AllocatorInvariantTest, NeverOffersMoreThanIsFreeAndNeverLeavesOfferableResources) {
  const uint32_t base = static_cast<uint32_t>(testing::UnitTest::GetInstance()->random_seed());
  for (uint32_t run = 0; run < 12; ++run) {
    const uint32_t seed = base * 1000 + run + 1;
    SCOPED_TRACE(fmt::format("seed={} (rerun with --gtest_random_seed={})", seed, base));
    std::cout << "AllocatorInvariantTest seed=" << seed << "\n";
    std::mt19937 random(seed);
    auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(random); };
    auto chance = [&](int percent) { return static_cast<int>(pick(100)) < percent; };
    const std::vector<std::string> roles = {"*", "r1", "r2"};
    const std::vector<std::optional<nanoseconds>> refusals = {
        std::nullopt,
        nanoseconds(0),
        seconds(-1),
        milliseconds(500),
        seconds(2),
        seconds(10),
        std::chrono::duration_cast<nanoseconds>(std::chrono::duration<double>(1e9)),
        nanoseconds::max()};
    // No minimum offer size: the model expects every free resource to be offered.
    Allocator allocator(Options{.min_allocatable = {}});
    InvariantModel model;
    TimePoint now = kStart;
    int next_id = 0;
    auto any = [&](const auto& map) {
      auto it = map.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(pick(map.size())));
      return it->first;
    };

    for (int step = 0; step < 600; ++step) {
      const size_t op = pick(12);
      if (op <= 2 && !model.agents.empty()) {
        // One round: check every offer against the model, then decline, launch or hold it.
        std::map<std::string, Resources> free;
        for (const auto& [agent, total] : model.agents) {
          free[agent] = model.freeOn(agent);
        }
        for (const Offer& offer : allocator.allocate(now)) {
          ASSERT_TRUE(model.eligible(offer.framework_id)) << offer.framework_id;
          ASSERT_TRUE(free.at(offer.agent_id).contains(offer.resources))
              << offer.resources.toString() << " offered but free is "
              << free.at(offer.agent_id).toString();
          ASSERT_EQ(
              offer.resources,
              free.at(offer.agent_id).allocatableTo(model.frameworks.at(offer.framework_id).role));
          ASSERT_FALSE(model.blocked(offer.framework_id, offer.agent_id, offer.resources, now));
          free[offer.agent_id] -= offer.resources;
          model.give(offer.framework_id, offer.agent_id, offer.resources);
          Resources rest = offer.resources;
          const Resources task{Resource::makeScalar("cpus", 0.5)};
          if (chance(40) && offer.resources.contains(task)) {
            rest -= task;
          }
          if (chance(85)) {
            const auto refuse = refusals[pick(refusals.size())];
            ASSERT_OK(allocator.recoverResources(offer.framework_id, offer.role, offer.agent_id,
                                                 rest, refuse, now));
            model.take(offer.framework_id, offer.agent_id, rest, refuse, now);
          }
        }
        // Whatever stays free must be refused by every framework that could take it.
        for (const auto& [agent, remaining] : free) {
          for (const auto& [framework, state] : model.frameworks) {
            const Resources candidate = remaining.allocatableTo(state.role);
            if (model.eligible(framework) && !candidate.empty()) {
              ASSERT_TRUE(model.blocked(framework, agent, candidate, now))
                  << agent << " keeps " << candidate.toString() << " from " << framework;
            }
          }
        }
      } else if (op == 3) {
        now += milliseconds(pick(3000));
      } else if (op == 4 && !model.held.empty()) {
        const auto key = any(model.held);
        Resources part = model.held.at(key);
        const Resources task{Resource::makeScalar("cpus", 0.5)};
        if (chance(50) && part.contains(task)) {
          part = task;
        }
        ASSERT_OK(allocator.recoverResources(key.first, model.roleOf(key.first), key.second, part,
                                             std::nullopt, now));
        model.take(key.first, key.second, part, std::nullopt, now);
      } else if (op == 5 && model.frameworks.size() < 6) {
        const std::string id = fmt::format("fw{}", next_id++);
        const std::string role = roles[pick(roles.size())];
        const bool active = chance(80);
        ASSERT_OK(allocator.addFramework(id, {.roles = {role}}, active));
        model.frameworks[id] = {role, active, false};
      } else if (op == 6 && !model.frameworks.empty()) {
        const std::string id = any(model.frameworks);
        ASSERT_OK(allocator.removeFramework(id));
        model.frameworks.erase(id);
        model.dropFilters(id);
        std::erase_if(model.held, [&](const auto& item) { return item.first.first == id; });
      } else if (op == 7 && !model.frameworks.empty()) {
        const std::string id = any(model.frameworks);
        auto& state = model.frameworks.at(id);
        if (state.active) {
          ASSERT_OK(allocator.deactivateFramework(id));
          model.dropFilters(id);
        } else {
          ASSERT_OK(allocator.activateFramework(id));
        }
        state.active = !state.active;
      } else if (op == 8 && !model.frameworks.empty()) {
        const std::string id = any(model.frameworks);
        auto& state = model.frameworks.at(id);
        if (chance(50)) {
          ASSERT_OK(allocator.suppress(id));
          state.suppressed = true;
        } else {
          ASSERT_OK(allocator.revive(id));
          state.suppressed = false;
          model.dropFilters(id);
        }
      } else if (op == 9 && model.agents.size() < 8) {
        const std::string id = fmt::format("agent{}", next_id++);
        Resources total = res(fmt::format("cpus:{};mem:{};ports:[{}-{}]", 1 + pick(8),
                                          256 * (1 + pick(8)), 31000, 31000 + pick(50)));
        if (chance(30)) {
          total += res(fmt::format("cpus({}):{}", roles[1 + pick(2)], 1 + pick(3)));
        }
        std::vector<Allocation> used;
        if (chance(40)) {
          const std::string user =
              model.frameworks.empty() || chance(30) ? "ghost" : any(model.frameworks);
          used.push_back({user, model.roleOf(user), res("cpus:1;mem:128")});
        }
        ASSERT_OK(allocator.addAgent(id, total, used));
        model.agents[id] = total;
        for (const auto& [user, role, resources] : used) {
          model.give(user, id, resources);
        }
      } else if (op == 10 && !model.agents.empty()) {
        const std::string id = any(model.agents);
        ASSERT_OK(allocator.removeAgent(id));
        model.agents.erase(id);
        std::erase_if(model.held, [&](const auto& item) { return item.first.second == id; });
        std::erase_if(model.filters, [&](const auto& filter) { return filter.agent == id; });
      } else if (op == 11) {
        ASSERT_OK(
            allocator.setWeight(roles[pick(roles.size())], 0.5 + static_cast<double>(pick(4))));
      }
      for (const auto& [agent, total] : model.agents) {
        ASSERT_EQ(*allocator.available(agent), model.freeOn(agent)) << agent << " step " << step;
      }
      for (const auto& [framework, state] : model.frameworks) {
        ASSERT_EQ(*allocator.allocation(framework), model.heldBy(framework)) << framework;
      }
    }
  }
}

TEST_F(AllocatorTest, NewFrameworksShareSettledAgentsInDrfOrder) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK(allocator_.addAgent(fmt::format("agent{:02}", i), res("cpus:4;mem:64"), {}));
  }
  ASSERT_OK(allocator_.addFramework("old", {.roles = {"*"}}));
  for (const Offer& offer : allocate()) {
    decline(offer, nanoseconds::max());
  }
  EXPECT_TRUE(allocate().empty());
  ASSERT_OK(allocator_.addFramework("x", {.roles = {"*"}}));
  ASSERT_OK(allocator_.addFramework("y", {.roles = {"other"}}));
  ASSERT_OK(allocator_.addFramework("z", {.roles = {"other"}}, false));
  std::map<std::string, int> offers_to;
  const auto offers = allocate();
  for (const Offer& offer : offers) {
    ++offers_to[offer.framework_id];
  }
  EXPECT_EQ(offers[0].framework_id, "x");  // tie between roles "*" and "other": by name
  EXPECT_EQ(offers[1].framework_id, "y");
  EXPECT_EQ(offers_to, (std::map<std::string, int>{{"x", 10}, {"y", 10}}));
  EXPECT_EQ(allocator_.lastRound().agents_examined, 20u);
  EXPECT_TRUE(allocate().empty());
  EXPECT_EQ(allocator_.lastRound().agents_examined, 0u);
}

TEST(AllocatorIncludesTest, DependsOnlyOnTheStandardLibraryAndCommon) {
  const auto folder = std::filesystem::path(PLATEAU_SOURCE_DIR) / "src/master/allocator";
  ASSERT_TRUE(std::filesystem::exists(folder)) << folder;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    const std::string extension = entry.path().extension().string();
    if (extension != ".h" && extension != ".cc") {
      continue;
    }
    ++files;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      if (!line.starts_with("#include")) {
        continue;
      }
      const bool local = line.find('"') != std::string::npos;
      const bool allowed = local ? line.find("\"common/") != std::string::npos ||
                                       line.find("\"master/allocator/") != std::string::npos
                                 : line.find("asio") == std::string::npos &&
                                       line.find("boost") == std::string::npos &&
                                       line.find("protobuf") == std::string::npos &&
                                       line.find(".pb.h") == std::string::npos;
      EXPECT_TRUE(allowed) << entry.path().filename() << ": " << line;
    }
  }
  EXPECT_GE(files, 4);
}

}  // namespace
}  // namespace plateau::master::allocator
