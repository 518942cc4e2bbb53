#include "master/allocator/offer_constraints.h"

#include <gtest/gtest.h>

namespace plateau::master::allocator {
namespace {

using Selector = AttributeConstraint::Selector;
using Predicate = AttributeConstraint::Predicate;

AttributeConstraint make(Selector selector, std::string attribute, Predicate predicate,
                         std::string text = "") {
  auto c = AttributeConstraint::make(selector, std::move(attribute), predicate, std::move(text));
  EXPECT_TRUE(c.has_value()) << c.error().message();
  return *c;
}

AgentLabels rack(std::string hostname) {
  AgentLabels labels;
  labels.hostname = std::move(hostname);
  labels.region = "eu";
  labels.zone = "eu-1";
  labels.attributes = {{"rack", "r12"}, {"cores", std::nullopt}};
  return labels;
}

TEST(OfferConstraintTest, TextAttributesAsMesosEvaluatesThem) {
  const AgentLabels agent = rack("node-7.example");
  EXPECT_TRUE(make(Selector::kAttribute, "rack", Predicate::kExists).holds(agent));
  EXPECT_FALSE(make(Selector::kAttribute, "rack", Predicate::kNotExists).holds(agent));
  EXPECT_TRUE(make(Selector::kAttribute, "rack", Predicate::kTextEquals, "r12").holds(agent));
  EXPECT_FALSE(make(Selector::kAttribute, "rack", Predicate::kTextEquals, "r1").holds(agent));
  EXPECT_TRUE(make(Selector::kAttribute, "rack", Predicate::kTextNotEquals, "r1").holds(agent));
  EXPECT_FALSE(make(Selector::kAttribute, "rack", Predicate::kTextNotEquals, "r12").holds(agent));
  // A regex matches the whole value, never a part of it.
  EXPECT_TRUE(make(Selector::kAttribute, "rack", Predicate::kTextMatches, "r1[0-9]").holds(agent));
  EXPECT_FALSE(make(Selector::kAttribute, "rack", Predicate::kTextMatches, "r1").holds(agent));
  EXPECT_TRUE(make(Selector::kAttribute, "rack", Predicate::kTextNotMatches, "r1").holds(agent));
  EXPECT_FALSE(make(Selector::kAttribute, "rack", Predicate::kTextNotMatches, "r.*").holds(agent));
}

TEST(OfferConstraintTest, MissingAndNonTextAttributes) {
  const AgentLabels agent = rack("node-7");
  // Missing: only the negative predicates hold.
  EXPECT_FALSE(make(Selector::kAttribute, "gpu", Predicate::kExists).holds(agent));
  EXPECT_TRUE(make(Selector::kAttribute, "gpu", Predicate::kNotExists).holds(agent));
  EXPECT_FALSE(make(Selector::kAttribute, "gpu", Predicate::kTextEquals, "x").holds(agent));
  EXPECT_TRUE(make(Selector::kAttribute, "gpu", Predicate::kTextNotEquals, "x").holds(agent));
  EXPECT_FALSE(make(Selector::kAttribute, "gpu", Predicate::kTextMatches, ".*").holds(agent));
  EXPECT_TRUE(make(Selector::kAttribute, "gpu", Predicate::kTextNotMatches, ".*").holds(agent));
  // Present but a scalar: it exists, and text predicates do not apply (they hold).
  EXPECT_TRUE(make(Selector::kAttribute, "cores", Predicate::kExists).holds(agent));
  EXPECT_FALSE(make(Selector::kAttribute, "cores", Predicate::kNotExists).holds(agent));
  EXPECT_TRUE(make(Selector::kAttribute, "cores", Predicate::kTextEquals, "8").holds(agent));
  EXPECT_TRUE(make(Selector::kAttribute, "cores", Predicate::kTextNotMatches, ".*").holds(agent));
}

TEST(OfferConstraintTest, PseudoattributesAndGroups) {
  AgentLabels agent = rack("node-7");
  EXPECT_TRUE(make(Selector::kHostname, "", Predicate::kTextMatches, "node-[0-9]+").holds(agent));
  EXPECT_TRUE(make(Selector::kRegion, "", Predicate::kTextEquals, "eu").holds(agent));
  EXPECT_TRUE(make(Selector::kZone, "", Predicate::kTextNotEquals, "eu-2").holds(agent));
  AgentLabels no_domain = agent;
  no_domain.region.reset();
  no_domain.zone.reset();
  EXPECT_FALSE(make(Selector::kRegion, "", Predicate::kExists).holds(no_domain));
  EXPECT_TRUE(make(Selector::kZone, "", Predicate::kNotExists).holds(no_domain));

  // (zone eu-2 AND rack exists) OR (hostname node-7): the second group admits.
  ConstraintGroups groups = {
      {make(Selector::kZone, "", Predicate::kTextEquals, "eu-2"),
       make(Selector::kAttribute, "rack", Predicate::kExists)},
      {make(Selector::kHostname, "", Predicate::kTextEquals, "node-7")},
  };
  EXPECT_TRUE(admits(groups, agent));
  agent.hostname = "node-8";
  EXPECT_FALSE(admits(groups, agent));
  agent.zone = "eu-2";
  EXPECT_TRUE(admits(groups, agent));
}

TEST(OfferConstraintTest, BadOrTooComplexRegexesAreRefusedWithAMessage) {
  auto bad = AttributeConstraint::make(Selector::kHostname, "", Predicate::kTextMatches, "(");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("'('"), std::string::npos) << bad.error().message();
  // Mesos's default bounds: 4 KB of memory, a program of 100 instructions.
  auto complex = AttributeConstraint::make(Selector::kHostname, "", Predicate::kTextNotMatches,
                                           "[a-z]{1,60}x");
  ASSERT_FALSE(complex.has_value());
  EXPECT_NE(complex.error().message().find("program size"), std::string::npos)
      << complex.error().message();
  auto big = AttributeConstraint::make(Selector::kHostname, "", Predicate::kTextMatches,
                                       "(abc|def){1,30}");
  ASSERT_FALSE(big.has_value());
  EXPECT_NE(big.error().message().find("too large"), std::string::npos) << big.error().message();
  // Within wider bounds (--offer_constraints_re2_*), the same pattern is fine.
  auto allowed =
      AttributeConstraint::make(Selector::kHostname, "", Predicate::kTextNotMatches, "[a-z]{1,60}x",
                                RegexLimits{.max_mem = 1 << 20, .max_program_size = 1000});
  ASSERT_TRUE(allowed.has_value()) << allowed.error().message();
  AgentLabels agent;
  agent.hostname = "abcx";
  EXPECT_FALSE(allowed->holds(agent));
  agent.hostname = "abc-x";
  EXPECT_TRUE(allowed->holds(agent));
}

TEST(OfferConstraintTest, RegexesRunInLinearTimeOnLongValues) {
  // Patterns that make a backtracking engine take exponential time or overflow its stack
  // (std::regex crashes on the second) are matched by RE2 in one pass.
  AgentLabels agent;
  agent.hostname = std::string(64, 'a');
  agent.attributes = {{"blob", std::string(200000, 'a') + "b"}};
  auto nested = make(Selector::kHostname, "", Predicate::kTextMatches, "(a|aa)*c");
  EXPECT_FALSE(nested.holds(agent));
  auto star = make(Selector::kAttribute, "blob", Predicate::kTextMatches, "(a|b)*");
  EXPECT_TRUE(star.holds(agent));
}

}  // namespace
}  // namespace plateau::master::allocator
