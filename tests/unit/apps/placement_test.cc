#include "apps/placement.h"

#include "apps/offer_stats.h"

#include <gtest/gtest.h>

namespace plateau::apps {
namespace {

Place host(const std::string& name, std::map<std::string, std::string> attributes = {}) {
  return {name, std::move(attributes)};
}

TEST(ConstraintTest, UniqueAllowsOnePerValue) {
  Constraint c{"hostname", "UNIQUE", std::nullopt};
  EXPECT_TRUE(constraintMet(c, host("a"), {}));
  EXPECT_FALSE(constraintMet(c, host("a"), {host("a")}));
  EXPECT_TRUE(constraintMet(c, host("b"), {host("a")}));
}

TEST(ConstraintTest, ClusterLikeUnlikeAndIs) {
  Place rack1 = host("a", {{"rack", "r1"}});
  EXPECT_TRUE(constraintMet({"rack", "CLUSTER", "r1"}, rack1, {}));
  EXPECT_FALSE(constraintMet({"rack", "CLUSTER", "r2"}, rack1, {}));
  EXPECT_TRUE(constraintMet({"rack", "LIKE", "r[0-9]"}, rack1, {}));
  EXPECT_FALSE(constraintMet({"rack", "LIKE", "r"}, rack1, {}));  // a full match only
  EXPECT_FALSE(constraintMet({"rack", "UNLIKE", "r1"}, rack1, {}));
  EXPECT_TRUE(constraintMet({"zone", "UNLIKE", "z1"}, rack1, {}));  // no such attribute
  EXPECT_FALSE(constraintMet({"zone", "LIKE", ".*"}, rack1, {}));
  EXPECT_TRUE(constraintMet({"rack", "IS", "r1"}, rack1, {}));
}

TEST(ConstraintTest, LikeReadsJavaRegexSyntaxAndMatchesTheWholeValue) {
  EXPECT_TRUE(likeMatches(R"(rack-\d+)", "rack-12"));
  EXPECT_FALSE(likeMatches(R"(rack-\d+)", "rack-12a"));
  EXPECT_TRUE(likeMatches(R"(\w+\.example\.com)", "web_1.example.com"));
  EXPECT_TRUE(likeMatches("(?i)RACK-[a-c]", "rack-B"));
  EXPECT_TRUE(likeMatches("us-(east|west)-[12]", "us-west-2"));
  EXPECT_FALSE(likeMatches("us-(east|west)-[12]", "us-west-3"));
  EXPECT_TRUE(likeMatches("a{2,3}", "aaa"));
  EXPECT_FALSE(likeMatches("a{2,3}", "aaaa"));
  EXPECT_TRUE(likeMatches(".*prod.*", "eu-prod-1"));
  // What Java has and RE2 lacks is refused when the app is validated, and never matches.
  EXPECT_FALSE(likePatternValid(R"((a)\1)"));
  EXPECT_FALSE(likePatternValid("a(?=b)"));
  EXPECT_FALSE(likeMatches(R"((a)\1)", "aa"));
  EXPECT_TRUE(likePatternValid("r[0-9]"));
}

TEST(ConstraintTest, LikeOnALongValueTakesLinearTimeAndNoStack) {
  // A backtracking matcher recurses per character here and overflows the stack.
  const std::string value(1 << 20, 'a');
  EXPECT_TRUE(likeMatches("(a|aa)*", value));
  EXPECT_FALSE(likeMatches("(a|aa)*b", value));
  Place place = host("h", {{"rack", value}});
  EXPECT_TRUE(constraintMet({"rack", "LIKE", "(a+)+"}, place, {}));
}

TEST(ConstraintTest, MaxPerAndGroupBy) {
  Place r1 = host("a", {{"rack", "r1"}});
  Place r2 = host("b", {{"rack", "r2"}});
  EXPECT_TRUE(constraintMet({"rack", "MAX_PER", "2"}, r1, {r1}));
  EXPECT_FALSE(constraintMet({"rack", "MAX_PER", "2"}, r1, {r1, r1}));
  // GROUP_BY spreads evenly: r1 already has one more than r2.
  EXPECT_FALSE(constraintMet({"rack", "GROUP_BY", std::nullopt}, r1, {r1, r1, r2}));
  EXPECT_TRUE(constraintMet({"rack", "GROUP_BY", std::nullopt}, r2, {r1, r1, r2}));
  // With 3 groups expected, a value seen while a group is still empty waits.
  EXPECT_FALSE(constraintMet({"rack", "GROUP_BY", "3"}, r1, {r1, r2}));
}

TEST(FitTest, TakesResourcesAndPortsOrSaysWhyNot) {
  App app;
  app.cpus = 1;
  app.mem = 100;
  app.port_definitions = {PortDefinition{}, PortDefinition{}};
  OfferView offer{.id = "o",
                  .agent_id = "s",
                  .place = host("a"),
                  .cpus = 2.5,
                  .mem = 250,
                  .disk = 0,
                  .gpus = 0,
                  .port_ranges = {{31000, 31002}}};
  Fit first = fitTask(app, offer, {});
  ASSERT_TRUE(first.ok);
  EXPECT_EQ(first.host_ports, (std::vector<uint32_t>{31000, 31001}));
  EXPECT_DOUBLE_EQ(offer.cpus, 1.5);
  Fit second = fitTask(app, offer, {});
  EXPECT_FALSE(second.ok);
  EXPECT_EQ(second.reason, "InsufficientPorts");
  app.cpus = 5;
  Fit both = fitTask(app, offer, {});
  EXPECT_EQ(both.reason, "InsufficientCpus");  // first in Marathon's funnel; every one is listed
  EXPECT_EQ(both.reasons, (std::vector<std::string>{"InsufficientCpus", "InsufficientPorts"}));
  app.cpus = 0.1;
  app.port_definitions = {PortDefinition{.port = 31002}};
  app.require_ports = true;
  Fit required = fitTask(app, offer, {});
  ASSERT_TRUE(required.ok);
  EXPECT_EQ(required.host_ports, (std::vector<uint32_t>{31002}));
  app.mem = 1;
  app.constraints = {{"hostname", "UNIQUE", std::nullopt}};
  EXPECT_EQ(fitTask(app, offer, {host("a")}).reason, "UnfulfilledConstraint");
}

}  // namespace
}  // namespace plateau::apps

namespace plateau::apps {
namespace {

// Marathon's funnel: each reason's step starts from the offers the previous reasons left.
TEST(OfferStatsTest, DeclinedOfferStepsFollowMarathonsFunnel) {
  auto steps = declinedOfferSteps(10, {{"InsufficientCpus", 6}, {"UnfulfilledConstraint", 3}});
  ASSERT_EQ(steps.size(), std::size(kRejectReasons));
  EXPECT_EQ(steps[0].reason, "UnfulfilledRole");
  EXPECT_EQ(steps[1].reason, "UnfulfilledConstraint");
  EXPECT_EQ(steps[1].declined, 3);
  EXPECT_EQ(steps[1].processed, 10);
  EXPECT_EQ(steps[3].reason, "InsufficientCpus");
  EXPECT_EQ(steps[3].declined, 6);
  EXPECT_EQ(steps[3].processed, 7);
  EXPECT_EQ(steps[4].processed, 1);
}

// The last unused offer counts once per agent; the launch attempt counts every offer.
TEST(OfferStatsTest, KeepsTheLastUnusedOfferOfEachAgent) {
  OfferStats stats("2026-01-01T00:00:00.000Z");
  OfferView offer{.id = "o1", .agent_id = "a1", .place = {"h1", {}}};
  stats.unused(offer, {"InsufficientCpus", "InsufficientPorts"}, "t1");
  offer.id = "o2";
  stats.unused(offer, {"InsufficientMemory"}, "t2");
  stats.used("t3");
  EXPECT_EQ(stats.processed(), 3);
  EXPECT_EQ(stats.unusedCount(), 2);
  ASSERT_EQ(stats.lastUnused().size(), 1u);
  EXPECT_EQ(stats.lastUnused().at("a1").offer.id, "o2");
  std::string out;
  json::Writer w(&out);
  stats.writeSummary(w);
  auto v = json::parse(out);
  ASSERT_TRUE(v.has_value()) << out;
  EXPECT_EQ((*v)["lastUsedOfferAt"].asString(), "t3");
  EXPECT_EQ((*v)["lastUnusedOfferAt"].asString(), "t2");
  EXPECT_EQ((*v)["rejectSummaryLastOffers"][size_t{4}]["reason"].asString(), "InsufficientMemory");
  EXPECT_EQ((*v)["rejectSummaryLastOffers"][size_t{4}]["declined"].asDouble(), 1);
  EXPECT_EQ((*v)["rejectSummaryLaunchAttempt"][size_t{3}]["declined"].asDouble(), 1);
  EXPECT_EQ((*v)["rejectSummaryLaunchAttempt"][size_t{3}]["processed"].asDouble(), 3);
}

}  // namespace
}  // namespace plateau::apps
