// Mesos's limits on removing agents on their own: the flags' forms, the recovery share, and the
// rate limiter in virtual time.

#include "master/removal_limits.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fakes/virtual_time.h"

namespace plateau::master {
namespace {

using namespace std::chrono_literals;

TEST(RemovalLimits, ParsesMesossForms) {
  auto rate = parseRemovalRate("2/20mins");
  ASSERT_TRUE(rate && *rate);
  EXPECT_EQ((*rate)->permits, 2);
  EXPECT_EQ((*rate)->duration, 20min);
  auto none = parseRemovalRate("");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  for (const char* bad : {"20mins", "0/1mins", "-1/1mins", "x/1mins", "1/", "1/soon", "1/0secs"}) {
    auto refused = parseRemovalRate(bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_NE(refused.error().message().find("--agent_removal_rate_limit"), std::string::npos);
  }
  EXPECT_DOUBLE_EQ(*parseRemovalLimit("100%"), 1.0);
  EXPECT_DOUBLE_EQ(*parseRemovalLimit("12.5%"), 0.125);
  for (const char* bad : {"50", "101%", "-1%", "%", "half%"}) {
    EXPECT_FALSE(parseRemovalLimit(bad)) << bad;
  }
}

TEST(RemovalLimits, TheRecoveryShareIsAnUpperBound) {
  EXPECT_TRUE(withinRemovalLimit(5, 10, 0.5));
  EXPECT_FALSE(withinRemovalLimit(6, 10, 0.5));
  EXPECT_TRUE(withinRemovalLimit(10, 10, 1.0));
  EXPECT_FALSE(withinRemovalLimit(1, 10, 0.0));
  EXPECT_TRUE(withinRemovalLimit(0, 0, 0.0));
}

class RemovalLimiterTest : public ::testing::Test {
 protected:
  bool queue(RemovalLimiter& limiter, const std::string& id, bool due = true) {
    return limiter.acquire(
        id, [due] { return due; }, [this, id] { removed_.push_back(id); });
  }
  testing::VirtualTime time_;
  std::vector<std::string> removed_;
};

TEST_F(RemovalLimiterTest, WithoutARateRemovesAtOnce) {
  RemovalLimiter limiter(time_, time_, std::nullopt);
  queue(limiter, "a1");
  queue(limiter, "a2");
  EXPECT_EQ(removed_, (std::vector<std::string>{"a1", "a2"}));
}

TEST_F(RemovalLimiterTest, SpacesRemovalsByTheRateAndQueuesEachAgentOnce) {
  RemovalLimiter limiter(time_, time_, RemovalRate{.permits = 2, .duration = 20min});
  EXPECT_FALSE(queue(limiter, "a1"));  // at once
  EXPECT_TRUE(queue(limiter, "a2"));
  EXPECT_FALSE(queue(limiter, "a2"));  // reported silent again while waiting
  EXPECT_TRUE(queue(limiter, "a3"));
  EXPECT_EQ(removed_, std::vector<std::string>{"a1"});
  EXPECT_EQ(limiter.waiting(), 2u);
  time_.advance(9min);
  EXPECT_EQ(removed_.size(), 1u);
  time_.advance(1min);
  EXPECT_EQ(removed_, (std::vector<std::string>{"a1", "a2"}));
  time_.advance(10min);
  EXPECT_EQ(removed_, (std::vector<std::string>{"a1", "a2", "a3"}));
  EXPECT_EQ(limiter.waiting(), 0u);
}

TEST_F(RemovalLimiterTest, AnAgentNoLongerDueIsSkippedWithoutUsingAPermit) {
  RemovalLimiter limiter(time_, time_, RemovalRate{.permits = 1, .duration = 10min});
  queue(limiter, "a1");
  queue(limiter, "back", /*due=*/false);
  queue(limiter, "a3");
  time_.advance(10min);
  EXPECT_EQ(removed_, (std::vector<std::string>{"a1", "a3"}));
}

}  // namespace
}  // namespace plateau::master
