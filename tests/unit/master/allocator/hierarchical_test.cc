// Roles, weights, quota, reservations, multi-role frameworks, offer filters and explanations of
// the allocator, each with the exact allocation it must produce.

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/roles.h"
#include "master/allocator/allocator.h"

namespace plateau::master::allocator {
namespace {

using std::chrono::hours;
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

FrameworkSpec in(std::set<std::string> roles) { return FrameworkSpec{.roles = std::move(roles)}; }

class HierarchicalTest : public testing::Test {
 protected:
  std::vector<Offer> allocate() { return allocator_.allocate(now_); }
  void addAgents(int count, std::string_view resources, std::string_view prefix = "a") {
    for (int i = 0; i < count; ++i) {
      ASSERT_OK(allocator_.addAgent(fmt::format("{}{:03}", prefix, i), res(resources), {}));
    }
  }
  // Offers per framework (or per "framework/role" when by_role).
  static std::map<std::string, int> count(const std::vector<Offer>& offers, bool by_role = false) {
    std::map<std::string, int> counts;
    for (const Offer& offer : offers) {
      ++counts[by_role ? offer.framework_id + "@" + offer.role : offer.framework_id];
    }
    return counts;
  }
  static Resources sum(const std::vector<Offer>& offers, std::string_view framework) {
    Resources total;
    for (const Offer& offer : offers) {
      if (offer.framework_id == framework) total += offer.resources;
    }
    return total;
  }
  std::string explain(const std::string& framework) {
    auto explained = allocator_.explainFramework(framework);
    EXPECT_TRUE(explained.has_value());
    if (!explained || explained->empty()) return "";
    return explained->front().code;
  }

  Allocator allocator_;
  TimePoint now_ = TimePoint{} + hours(1);
};

TEST(RolesTest, ValidatesNamesAsMesos) {
  for (const char* good : {"*", "eng", "eng/ml", "a.b", "x-y", "a/b/c", "ROLE_1"}) {
    EXPECT_TRUE(roles::validate(good).isOk()) << good;
  }
  for (const char* bad : {"", ".", "..", "-eng", "/eng", "eng/", "eng//ml", "eng/./ml", "eng/..",
                          "eng/*", "*/eng", "e ng", "eng\tml", "eng/-ml", "a\nb"}) {
    EXPECT_EQ(roles::validate(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(roles::isSubroleOrSame("eng/ml", "eng"));
  EXPECT_TRUE(roles::isSubroleOrSame("eng", "eng"));
  EXPECT_FALSE(roles::isSubroleOrSame("engine", "eng"));
  EXPECT_FALSE(roles::isSubroleOrSame("eng", "eng/ml"));
  EXPECT_FALSE(roles::isSubroleOrSame("eng", "*"));
  EXPECT_EQ(roles::ancestors("a/b/c"), (std::vector<std::string>{"a/b", "a"}));
}

TEST_F(HierarchicalTest, InvalidRolesAreRefused) {
  EXPECT_EQ(allocator_.addFramework("f", in({"eng/"})).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(allocator_.addFramework("f", FrameworkSpec{}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(allocator_.setQuota("..", Quota{res("cpus:1"), {}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(allocator_.setQuota("q", Quota{res("ports:[1-2]"), {}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(allocator_.setQuota("q", Quota{res("cpus:2"), res("cpus:1")}).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(HierarchicalTest, WeightsTwoToOneSplitTwoToOne) {
  ASSERT_OK(allocator_.setWeight("a", 2));
  ASSERT_OK(allocator_.addFramework("fa", in({"a"})));
  ASSERT_OK(allocator_.addFramework("fb", in({"b"})));
  addAgents(30, "cpus:1;mem:64");
  EXPECT_EQ(count(allocate()), (std::map<std::string, int>{{"fa", 20}, {"fb", 10}}));
}

TEST_F(HierarchicalTest, SharesOfAParentIncludeItsSubroles) {
  // Flat DRF would give 4 agents each; hierarchically "eng" (ml + web) and "ops" split evenly.
  ASSERT_OK(allocator_.addFramework("ml", in({"eng/ml"})));
  ASSERT_OK(allocator_.addFramework("web", in({"eng/web"})));
  ASSERT_OK(allocator_.addFramework("ops", in({"ops"})));
  addAgents(12, "cpus:1;mem:64");
  EXPECT_EQ(count(allocate()), (std::map<std::string, int>{{"ml", 3}, {"web", 3}, {"ops", 6}}));
  EXPECT_DOUBLE_EQ(allocator_.roleShare("eng").value(), 0.5);
  EXPECT_DOUBLE_EQ(allocator_.roleShare("eng/ml").value(), 0.25);
}

TEST_F(HierarchicalTest, WeightOfASubroleAppliesAmongItsSiblings) {
  ASSERT_OK(allocator_.setWeight("eng/ml", 3));
  ASSERT_OK(allocator_.addFramework("ml", in({"eng/ml"})));
  ASSERT_OK(allocator_.addFramework("web", in({"eng/web"})));
  addAgents(8, "cpus:1;mem:64");
  EXPECT_EQ(count(allocate()), (std::map<std::string, int>{{"ml", 6}, {"web", 2}}));
}

TEST_F(HierarchicalTest, GuaranteesAreMetBeforeFairSharing) {
  ASSERT_OK(allocator_.setQuota("q", Quota{res("cpus:6"), {}}));
  ASSERT_OK(allocator_.addFramework("fa", in({"a"})));
  ASSERT_OK(allocator_.addFramework("fb", in({"b"})));
  ASSERT_OK(allocator_.addFramework("fq", in({"q"})));
  addAgents(10, "cpus:1;mem:16");
  const auto offers = allocate();
  EXPECT_EQ(count(offers), (std::map<std::string, int>{{"fa", 2}, {"fb", 2}, {"fq", 6}}));
  EXPECT_EQ(sum(offers, "fq"), res("cpus:6;mem:96"));
}

TEST_F(HierarchicalTest, GuaranteeOfAParentIsMetThroughItsSubroles) {
  ASSERT_OK(allocator_.setQuota("eng", Quota{res("cpus:5"), {}}));
  ASSERT_OK(allocator_.addFramework("ml", in({"eng/ml"})));
  ASSERT_OK(allocator_.addFramework("ops", in({"ops"})));
  addAgents(8, "cpus:1;mem:16");
  EXPECT_EQ(count(allocate()), (std::map<std::string, int>{{"ml", 5}, {"ops", 3}}));
}

TEST_F(HierarchicalTest, LimitsCapARoleOnAnIdleCluster) {
  ASSERT_OK(allocator_.setQuota("lim", Quota{{}, res("cpus:3")}));
  ASSERT_OK(allocator_.addFramework("f", in({"lim"})));
  addAgents(10, "cpus:1;mem:16");
  const auto offers = allocate();
  EXPECT_EQ(sum(offers, "f"), res("cpus:3;mem:48"));
  EXPECT_EQ(offers.size(), 3u);
  EXPECT_EQ(explain("f"), "RECEIVING");  // it got offers in the last round
  EXPECT_TRUE(allocate().empty());
  EXPECT_EQ(explain("f"), "QUOTA_LIMIT");
  // Once one comes back, exactly that much is offered again.
  ASSERT_OK(allocator_.recoverResources("f", "lim", offers[0].agent_id, res("cpus:1;mem:16"),
                                        std::nullopt, now_));
  EXPECT_EQ(sum(allocate(), "f"), res("cpus:1;mem:16"));
}

TEST_F(HierarchicalTest, ZeroLimitsKeepARoleOffTheseResources) {
  // cpus and mem limited to 0: nothing the role could use is ever offered to it.
  ASSERT_OK(allocator_.setQuota("blocked", Quota{{}, {}, {"cpus", "mem"}}));
  ASSERT_OK(allocator_.addFramework("f", in({"blocked"})));
  ASSERT_OK(allocator_.addFramework("g", in({"open"})));
  addAgents(4, "cpus:1;mem:16");
  const auto offers = allocate();
  EXPECT_EQ(count(offers), (std::map<std::string, int>{{"g", 4}}));
  EXPECT_EQ(explain("f"), "QUOTA_LIMIT");
  // Removing the quota lifts the limit: what g gives back goes to f.
  ASSERT_OK(allocator_.setQuota("blocked", Quota{}));
  ASSERT_OK(allocator_.recoverResources("g", "open", offers[0].agent_id, res("cpus:1;mem:16"),
                                        std::nullopt, now_));
  EXPECT_EQ(count(allocate()), (std::map<std::string, int>{{"f", 1}}));
}

TEST_F(HierarchicalTest, LimitsOfAParentCapItsSubroles) {
  ASSERT_OK(allocator_.setQuota("eng", Quota{{}, res("cpus:4")}));
  ASSERT_OK(allocator_.addFramework("ml", in({"eng/ml"})));
  ASSERT_OK(allocator_.addFramework("web", in({"eng/web"})));
  addAgents(10, "cpus:1;mem:16");
  EXPECT_EQ(count(allocate()), (std::map<std::string, int>{{"ml", 2}, {"web", 2}}));
}

TEST_F(HierarchicalTest, UnallocatedReservationsCountTowardsTheLimit) {
  ASSERT_OK(allocator_.setQuota("r", Quota{{}, res("cpus:4")}));
  ASSERT_OK(allocator_.addAgent("reserved", res("cpus(r):3;mem(r):64"), {}));
  ASSERT_OK(allocator_.addAgent("shared", res("cpus:4;mem:64"), {}));
  ASSERT_OK(allocator_.addFramework("f", in({"r"})));
  std::map<std::string, Resources> by_agent;
  for (const Offer& offer : allocate()) by_agent[offer.agent_id] += offer.resources;
  EXPECT_EQ(by_agent["reserved"], res("cpus(r):3;mem(r):64"));
  EXPECT_EQ(by_agent["shared"], res("cpus:1;mem:64"));
}

TEST_F(HierarchicalTest, HeadroomIsHeldBackForUnsatisfiedGuarantees) {
  ASSERT_OK(allocator_.setQuota("q", Quota{res("cpus:4"), {}}));
  ASSERT_OK(allocator_.addFramework("fq", in({"q"}), false));
  ASSERT_OK(allocator_.addFramework("other", in({"other"})));
  addAgents(10, "cpus:1;mem:16");
  auto offers = allocate();
  EXPECT_EQ(sum(offers, "other"), res("cpus:6;mem:96"));
  EXPECT_TRUE(allocate().empty());
  EXPECT_EQ(explain("other"), "HEADROOM");
  EXPECT_EQ(allocator_.explainFramework("other").value()[0].agents, 4u);
  ASSERT_OK(allocator_.activateFramework("fq"));
  offers = allocate();
  EXPECT_EQ(sum(offers, "fq"), res("cpus:4;mem:64"));
  EXPECT_EQ(sum(offers, "other"), Resources());
}

TEST_F(HierarchicalTest, ReservedResourcesGoOnlyToTheRoleAndItsSubroles) {
  ASSERT_OK(allocator_.addFramework("ops", in({"ops"})));
  ASSERT_OK(allocator_.addFramework("engine", in({"engine"})));
  ASSERT_OK(allocator_.addFramework("ml", in({"eng/ml"})));
  ASSERT_OK(allocator_.addAgent("a", res("cpus(eng):4;mem(eng):64"), {}));
  const auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "ml");
  EXPECT_EQ(offers[0].role, "eng/ml");
  EXPECT_EQ(offers[0].resources, res("cpus(eng):4;mem(eng):64"));
}

TEST_F(HierarchicalTest, RefinedReservationsGoOnlyToTheInnermostRole) {
  // Reserved for "eng", then refined to "eng/ml": Resource::role is the innermost role.
  ASSERT_OK(allocator_.addFramework("eng", in({"eng"})));
  ASSERT_OK(allocator_.addFramework("web", in({"eng/web"})));
  ASSERT_OK(allocator_.addFramework("ml", in({"eng/ml"})));
  ASSERT_OK(allocator_.addAgent("a", res("cpus(eng/ml):2;mem(eng/ml):64;cpus:1;mem:32"), {}));
  std::map<std::string, Resources> by_framework;
  for (const Offer& offer : allocate()) by_framework[offer.framework_id] += offer.resources;
  // "eng" is first in order (lowest name at equal shares) and takes the unreserved part only.
  EXPECT_EQ(by_framework["eng"], res("cpus:1;mem:32"));
  EXPECT_EQ(by_framework["ml"], res("cpus(eng/ml):2;mem(eng/ml):64"));
  EXPECT_EQ(by_framework.count("web"), 0u);
}

TEST_F(HierarchicalTest, RefinedReservationsSkipFrameworksWithoutRefinementCapability) {
  // cpus and mem reserved for "eng" and refined (dynamically) to "eng/ml".
  Resources refined;
  for (Resource r : res("cpus(eng):2;mem(eng):64")) {
    r.pushReservation({.type = Reservation::Type::kDynamic, .role = "eng/ml", .principal = "p"});
    refined += r;
  }
  ASSERT_EQ(refined.begin()->reservations.size(), 2u);
  FrameworkSpec legacy = in({"eng/ml"});
  legacy.no_refinements = true;
  ASSERT_OK(allocator_.addFramework("legacy", legacy));
  ASSERT_OK(allocator_.addAgent("a", refined + res("cpus:1;mem:32"), {}));
  auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "legacy");
  EXPECT_EQ(offers[0].resources, res("cpus:1;mem:32"));
  // A framework that can read the stack gets the refined reservation.
  ASSERT_OK(allocator_.addFramework("modern", in({"eng/ml"})));
  offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "modern");
  EXPECT_EQ(offers[0].resources, refined);
}

TEST_F(HierarchicalTest, OfferConstraintsKeepARoleToTheAgentsTheyAdmit) {
  auto rack = [](std::string value) {
    AgentLabels labels;
    labels.hostname = "h";
    labels.attributes = {{"rack", std::move(value)}};
    return labels;
  };
  ASSERT_OK(allocator_.addAgent("a1", res("cpus:1;mem:32"), {}, rack("r1")));
  ASSERT_OK(allocator_.addAgent("a2", res("cpus:1;mem:32"), {}, rack("r2")));
  auto on_r2 = AttributeConstraint::make(AttributeConstraint::Selector::kAttribute, "rack",
                                         AttributeConstraint::Predicate::kTextEquals, "r2");
  ASSERT_TRUE(on_r2.has_value());
  FrameworkSpec picky = in({"eng"});
  picky.offer_constraints["eng"] = {{*on_r2}};
  ASSERT_OK(allocator_.addFramework("picky", picky));
  auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id, "a2");
  // a1 is free and fits, but the constraints exclude it.
  EXPECT_EQ(explain("picky"), "RECEIVING");
  EXPECT_TRUE(allocate().empty());
  EXPECT_EQ(explain("picky"), "OFFER_CONSTRAINTS");
  // Dropping the constraints (UPDATE_FRAMEWORK) opens a1.
  ASSERT_OK(allocator_.updateFramework("picky", in({"eng"})));
  offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id, "a1");
}

// An agent that re-registers with another attribute (additive reconfiguration): constraints are
// evaluated against what it has now, at the next allocation, with nothing else changing.
TEST_F(HierarchicalTest, OfferConstraintsFollowAnAgentsNewLabels) {
  AgentLabels before;
  before.hostname = "h";
  before.attributes = {{"rack", "r1"}};
  ASSERT_OK(allocator_.addAgent("a1", res("cpus:1;mem:32"), {}, before));
  auto in_z1 = AttributeConstraint::make(AttributeConstraint::Selector::kAttribute, "zone",
                                         AttributeConstraint::Predicate::kTextEquals, "z1");
  ASSERT_TRUE(in_z1.has_value());
  FrameworkSpec picky = in({"eng"});
  picky.offer_constraints["eng"] = {{*in_z1}};
  ASSERT_OK(allocator_.addFramework("picky", picky));
  EXPECT_TRUE(allocate().empty());
  EXPECT_TRUE(allocate().empty());
  EXPECT_EQ(explain("picky"), "OFFER_CONSTRAINTS");

  AgentLabels after = before;
  after.attributes.emplace_back("zone", "z1");
  ASSERT_OK(allocator_.updateAgentLabels("a1", after));
  auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "picky");
  EXPECT_EQ(offers[0].agent_id, "a1");

  // And the other way: labels that no longer admit the role keep its next offers away.
  ASSERT_OK(
      allocator_.recoverResources("picky", "eng", "a1", offers[0].resources, std::nullopt, now_));
  ASSERT_OK(allocator_.updateAgentLabels("a1", before));
  EXPECT_TRUE(allocate().empty());
  EXPECT_EQ(allocator_.updateAgentLabels("nobody", before).code(), StatusCode::kNotFound);
}

TEST(HierarchicalRegions, RemoteAgentsGoOnlyToRegionAwareFrameworks) {
  Allocator allocator(Options{.master_region = "east"});
  auto in_region = [](std::optional<std::string> region) {
    AgentLabels labels;
    labels.hostname = "h";
    labels.region = std::move(region);
    return labels;
  };
  ASSERT_OK(allocator.addAgent("local", res("cpus:1;mem:32"), {}, in_region("east")));
  ASSERT_OK(allocator.addAgent("remote", res("cpus:1;mem:32"), {}, in_region("west")));
  ASSERT_OK(allocator.addAgent("unknown", res("cpus:1;mem:32"), {}, in_region(std::nullopt)));
  FrameworkSpec plain;
  plain.roles = {"eng"};
  ASSERT_OK(allocator.addFramework("plain", plain));
  std::set<std::string> agents;
  for (const Offer& offer : allocator.allocate(TimePoint{})) {
    agents.insert(offer.agent_id);
  }
  // An agent without a domain counts as local, as in Mesos.
  EXPECT_EQ(agents, (std::set<std::string>{"local", "unknown"}));
  FrameworkSpec aware = plain;
  aware.region_aware = true;
  ASSERT_OK(allocator.addFramework("aware", aware));
  auto offers = allocator.allocate(TimePoint{});
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "aware");
  EXPECT_EQ(offers[0].agent_id, "remote");
}

TEST_F(HierarchicalTest, OperationsMoveAllocationsAndTotals) {
  ASSERT_OK(allocator_.addFramework("eng", in({"eng"})));
  ASSERT_OK(allocator_.addAgent("a", res("cpus:2;mem:64"), {}));
  auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  // RESERVE inside ACCEPT, then the framework declines what it reserved.
  ASSERT_OK(allocator_.updateAllocation("eng", "eng", "a", res("cpus:2;mem:64"),
                                        res("cpus(eng):2;mem(eng):64")));
  ASSERT_OK(allocator_.addFramework("ops", in({"ops"})));
  ASSERT_OK(allocator_.recoverResources("eng", "eng", "a", res("cpus(eng):2;mem(eng):64"),
                                        seconds(1), now_));
  EXPECT_TRUE(allocate().empty());  // "eng" filtered, "ops" may not take eng's reservation
  // The operator unreserves the free resources: now "ops" may take them.
  ASSERT_OK(allocator_.suppress("eng"));
  ASSERT_OK(allocator_.updateAgentTotal("a", res("cpus:2;mem:64")));
  offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "ops");
  EXPECT_EQ(allocator_.updateAgentTotal("a", res("cpus:1")).code(), StatusCode::kInvalidArgument);
}

TEST_F(HierarchicalTest, MultiRoleFrameworksGetOffersPerRole) {
  ASSERT_OK(allocator_.addFramework("m", in({"a", "b"})));
  addAgents(2, "cpus:1;mem:64");
  auto offers = allocate();
  ASSERT_EQ(offers.size(), 2u);
  EXPECT_EQ(count(offers, true), (std::map<std::string, int>{{"m@a", 1}, {"m@b", 1}}));
  // A decline in role "a" filters role "a" only: the agent goes to the same framework in "b".
  const Offer in_a = offers[0].role == "a" ? offers[0] : offers[1];
  ASSERT_OK(allocator_.recoverResources("m", "a", in_a.agent_id, in_a.resources, hours(1), now_));
  EXPECT_EQ(allocator_.recoverResources("m", "b", in_a.agent_id, in_a.resources, std::nullopt, now_)
                .code(),
            StatusCode::kFailedPrecondition);
  offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].role, "b");
  EXPECT_EQ(offers[0].agent_id, in_a.agent_id);
  EXPECT_EQ(allocator_.allocation("m").value(), res("cpus:2;mem:128"));
}

TEST_F(HierarchicalTest, SuppressionIsPerRole) {
  ASSERT_OK(allocator_.addFramework("m", in({"a", "b"})));
  ASSERT_OK(allocator_.suppress("m", {"a"}));
  addAgents(3, "cpus:1;mem:64");
  EXPECT_EQ(count(allocate(), true), (std::map<std::string, int>{{"m@b", 3}}));
  auto explained = allocator_.explainFramework("m").value();
  ASSERT_EQ(explained.size(), 2u);
  EXPECT_EQ(explained[0].code, "SUPPRESSED");
  EXPECT_EQ(explained[1].code, "RECEIVING");
  ASSERT_OK(allocator_.addAgent("late", res("cpus:1;mem:64"), {}));
  ASSERT_OK(allocator_.revive("m", {"a"}));
  ASSERT_OK(allocator_.suppress("m", {"b"}));
  EXPECT_EQ(count(allocate(), true), (std::map<std::string, int>{{"m@a", 1}}));
}

TEST_F(HierarchicalTest, UpdateFrameworkChangesRolesAndKeepsOldAllocations) {
  ASSERT_OK(allocator_.addFramework("m", in({"a"})));
  addAgents(1, "cpus:1;mem:64");
  ASSERT_EQ(allocate().size(), 1u);
  ASSERT_OK(allocator_.updateFramework("m", in({"b"})));
  EXPECT_DOUBLE_EQ(allocator_.roleShare("a").value(), 1.0);  // still held in "a"
  ASSERT_OK(
      allocator_.recoverResources("m", "a", "a000", res("cpus:1;mem:64"), std::nullopt, now_));
  const auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].role, "b");
  EXPECT_FALSE(allocator_.roleShare("a").has_value());  // nothing refers to "a" any more
}

TEST_F(HierarchicalTest, MinAllocatableResources) {
  ASSERT_OK(allocator_.addFramework("f", in({"r"})));
  ASSERT_OK(allocator_.addAgent("tiny", res("cpus:0.005;mem:16"), {}));
  ASSERT_OK(allocator_.addAgent("memonly", res("mem:40"), {}));
  auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id, "memonly");
  EXPECT_TRUE(allocate().empty());
  EXPECT_EQ(explain("f"), "NO_FIT");

  // A framework's own minimum for the role replaces the default.
  FrameworkSpec picky = in({"p"});
  picky.min_allocatable["p"] = {res("cpus:2;mem:10"), res("gpus:1")};
  ASSERT_OK(allocator_.addFramework("picky", picky));
  ASSERT_OK(allocator_.addAgent("small", res("cpus:1;mem:100"), {}));
  ASSERT_OK(allocator_.addAgent("big", res("cpus:4;mem:100"), {}));
  ASSERT_OK(allocator_.suppress("f"));
  offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id, "big");
  EXPECT_TRUE(allocate().empty());
  EXPECT_EQ(explain("picky"), "NO_FIT");
}

TEST_F(HierarchicalTest, AgentsWithGpusGoOnlyToGpuCapableFrameworks) {
  ASSERT_OK(allocator_.addFramework("a-plain", in({"r"})));
  ASSERT_OK(allocator_.addAgent("gpu", res("cpus:4;mem:64;gpus:1"), {}));
  EXPECT_TRUE(allocate().empty());
  EXPECT_EQ(explain("a-plain"), "FILTERED");
  FrameworkSpec capable = in({"r"});
  capable.gpu_capable = true;
  ASSERT_OK(allocator_.addFramework("b-gpu", capable));
  const auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "b-gpu");
  EXPECT_EQ(offers[0].resources, res("cpus:4;mem:64;gpus:1"));
}

TEST_F(HierarchicalTest, ExplainsEachCase) {
  ASSERT_OK(allocator_.addAgent("busy", res("cpus:2;mem:64"), {{"b", "r", res("cpus:2;mem:64")}}));
  ASSERT_OK(allocator_.addAgent("free", res("cpus:1;mem:64"), {}));
  ASSERT_OK(allocator_.addFramework("a", in({"r"})));
  ASSERT_OK(allocator_.addFramework("b", in({"r"})));
  ASSERT_OK(allocator_.addFramework("c", in({"r"})));
  ASSERT_OK(allocator_.addFramework("idle", in({"r"}), false));
  ASSERT_OK(allocator_.addFramework("quiet", in({"r"})));
  ASSERT_OK(allocator_.suppress("quiet"));
  const auto offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  ASSERT_EQ(offers[0].framework_id, "a");  // share 0 like "c"; ties go by id
  EXPECT_EQ(explain("a"), "RECEIVING");
  // Nothing is free: "b" (share 2/3) waits behind "a" (1/3) and "c" (0); "c" is first in line.
  EXPECT_EQ(explain("b"), "FAIR_SHARE");
  EXPECT_EQ(allocator_.explainFramework("b").value()[0].ahead, 2u);
  EXPECT_EQ(explain("c"), "NO_RESOURCES");
  EXPECT_EQ(explain("idle"), "INACTIVE");
  EXPECT_EQ(explain("quiet"), "SUPPRESSED");
  ASSERT_OK(allocator_.recoverResources("a", "r", "free", offers[0].resources, hours(1), now_));
  ASSERT_OK(allocator_.suppress("b"));
  ASSERT_OK(allocator_.suppress("c"));
  EXPECT_TRUE(allocate().empty());
  EXPECT_EQ(explain("a"), "FILTERED");
  EXPECT_EQ(allocator_.explainFramework("a").value()[0].agents, 1u);
  EXPECT_EQ(allocator_.explainRole("r").value().code, "FILTERED");
  ASSERT_OK(allocator_.setQuota("empty", Quota{res("cpus:1"), {}}));
  EXPECT_EQ(allocator_.explainRole("empty").value().code, "NO_FRAMEWORKS");
  EXPECT_EQ(allocator_.explainRole("nobody").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(allocator_.explainFramework("nobody").error().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace plateau::master::allocator

namespace plateau::master::allocator {
namespace {

// Random roles, weights, quotas, reservations and multi-role frameworks: every offer fits what is
// free, names a role of its framework, holds reserved resources only of that role or its
// ancestors, and never takes a role with a limit past it.
TEST(HierarchicalInvariantTest, OffersRespectReservationsAndLimits) {
  const uint32_t base = static_cast<uint32_t>(testing::UnitTest::GetInstance()->random_seed());
  const std::vector<std::string> role_names = {"a", "a/x", "a/y", "b", "b/z", "c"};
  for (uint32_t run = 0; run < 10; ++run) {
    const uint32_t seed = base * 1000 + run + 1;
    SCOPED_TRACE(fmt::format("seed={}", seed));
    std::mt19937 random(seed);
    auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(random); };
    Allocator allocator;
    TimePoint now = TimePoint{} + hours(1);
    std::map<std::string, Resources> free;  // agent -> free
    std::map<std::string, std::set<std::string>> framework_roles;
    std::map<std::string, Resources> reserved_total;  // role -> statically reserved
    std::map<std::string, Resources> allocated;       // role -> what its seats hold
    std::map<std::string, int64_t> cpu_limit;         // role -> limit in milli
    for (const std::string& role : role_names) {
      if (pick(3) == 0) {
        ASSERT_OK(allocator.setWeight(role, 1 + static_cast<double>(pick(3))));
      }
      if (pick(3) == 0) {
        const int limit = 2 + static_cast<int>(pick(10));
        const int guarantee = static_cast<int>(pick(static_cast<size_t>(limit)));
        Quota quota{guarantee > 0 ? res(fmt::format("cpus:{}", guarantee)) : Resources(),
                    res(fmt::format("cpus:{}", limit))};
        ASSERT_OK(allocator.setQuota(role, quota));
        cpu_limit[role] = limit * 1000;
      }
    }
    for (int i = 0; i < 4; ++i) {
      std::set<std::string> roles;
      for (size_t n = 1 + pick(2); roles.size() < n;)
        roles.insert(role_names[pick(role_names.size())]);
      const std::string id = fmt::format("fw{}", i);
      ASSERT_OK(allocator.addFramework(id, FrameworkSpec{.roles = roles}));
      framework_roles[id] = roles;
    }
    for (int i = 0; i < 12; ++i) {
      Resources total = res(fmt::format("cpus:{};mem:{}", 1 + pick(4), 64 * (1 + pick(4))));
      if (pick(3) == 0) {
        const std::string role = role_names[pick(role_names.size())];
        const Resources reserved = res(fmt::format("cpus({0}):1;mem({0}):32", role));
        total += reserved;
        reserved_total[role] += reserved;
      }
      const std::string id = fmt::format("agent{}", i);
      ASSERT_OK(allocator.addAgent(id, total, {}));
      free[id] = total;
    }
    auto subtreeCpus = [&](const std::string& role, const std::map<std::string, Resources>& by) {
      int64_t sum = 0;
      for (const auto& [r, resources] : by) {
        if (roles::isSubroleOrSame(r, role)) sum += resources.scalarMilli("cpus");
      }
      return sum;
    };
    for (int round = 0; round < 8; ++round) {
      for (const Offer& offer : allocator.allocate(now)) {
        ASSERT_TRUE(framework_roles.at(offer.framework_id).contains(offer.role)) << offer.role;
        ASSERT_TRUE(free.at(offer.agent_id).contains(offer.resources));
        for (const Resource& r : offer.resources) {
          ASSERT_TRUE(r.role == "*" || roles::isSubroleOrSame(offer.role, r.role))
              << r.toString() << " offered to " << offer.role;
        }
        free[offer.agent_id] -= offer.resources;
        allocated[offer.role] += offer.resources;
        // Decline half of the offers back for later rounds, without a filter.
        if (pick(2) == 0) {
          ASSERT_OK(allocator.recoverResources(offer.framework_id, offer.role, offer.agent_id,
                                               offer.resources, std::nullopt, now));
          free[offer.agent_id] += offer.resources;
          allocated[offer.role] -= offer.resources;
        }
      }
      // Consumption (allocated unreserved + all reservations of the subtree) within each limit,
      // unless the reservations alone exceed it.
      for (const auto& [role, limit] : cpu_limit) {
        int64_t unreserved = 0;
        for (const auto& [r, resources] : allocated) {
          if (!roles::isSubroleOrSame(r, role)) continue;
          for (const Resource& e : resources) {
            if (e.role == "*" && e.name == "cpus") unreserved += e.scalar_milli;
          }
        }
        const int64_t reservations = subtreeCpus(role, reserved_total);
        ASSERT_LE(unreserved, std::max<int64_t>(0, limit - reservations)) << role;
      }
      now += seconds(1);
    }
  }
}

}  // namespace
}  // namespace plateau::master::allocator
