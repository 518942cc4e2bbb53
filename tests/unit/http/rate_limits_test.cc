#include "http/rate_limits.h"

#include <gtest/gtest.h>

namespace plateau::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(RateLimitsTest, ParsesMesossShape) {
  auto c = parseRateLimits(R"({"limits":[{"principal":"foo","qps":55.5},
                                        {"principal":"bar"},
                                        {"principal":"baz","qps":1,"capacity":100}],
                              "aggregate_default_qps":33.3,
                              "aggregate_default_capacity":1000})");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_DOUBLE_EQ(*c->principals.at("foo").qps, 55.5);
  EXPECT_FALSE(c->principals.at("foo").capacity.has_value());
  EXPECT_FALSE(c->principals.at("bar").qps.has_value());
  EXPECT_EQ(*c->principals.at("baz").capacity, 100u);
  EXPECT_DOUBLE_EQ(*c->aggregate_default.qps, 33.3);
  EXPECT_EQ(*c->aggregate_default.capacity, 1000u);
}

TEST(RateLimitsTest, BadInputNamesThePlace) {
  for (auto [text, place] : std::vector<std::pair<std::string, std::string>>{
           {"[", "--rate_limits"},
           {R"({"limits":[{"qps":1}]})", "limits[0]"},
           {R"({"limits":[{"principal":"a","qps":0}]})", "limits[0]"},
           {R"({"limits":[{"principal":"a","qps":"x"}]})", "limits[0]"},
           {R"({"limits":[{"principal":"a"},{"principal":"a"}]})", "limits[1]"},
           {R"({"limits":[],"aggregate_default_capacity":1.5})", "aggregate_default"}}) {
    auto c = parseRateLimits(text);
    ASSERT_FALSE(c.has_value()) << text;
    EXPECT_NE(c.error().message().find(place), std::string::npos) << c.error().message();
  }
}

TEST(RateLimitsTest, SpacesCallsAndQueuesUpToCapacity) {
  RateLimiter limiter(*parseRateLimits(R"({"limits":[{"principal":"p","qps":10,"capacity":2}]})"));
  auto t0 = Clock::now();
  EXPECT_EQ(limiter.admit("p", t0).kind, Admission::Kind::kNow);
  auto second = limiter.admit("p", t0);
  EXPECT_EQ(second.kind, Admission::Kind::kDelay);
  EXPECT_EQ(second.wait, 100ms);
  auto third = limiter.admit("p", t0);
  EXPECT_EQ(third.kind, Admission::Kind::kDelay);
  EXPECT_EQ(third.wait, 200ms);
  auto fourth = limiter.admit("p", t0);
  EXPECT_EQ(fourth.kind, Admission::Kind::kReject);
  EXPECT_EQ(fourth.wait, 100ms);
  // Once the queue has drained, calls go through at once again.
  EXPECT_EQ(limiter.admit("p", t0 + 1s).kind, Admission::Kind::kNow);
}

TEST(RateLimitsTest, UnlistedPrincipalsShareTheAggregate) {
  RateLimiter limiter(*parseRateLimits(
      R"({"limits":[{"principal":"free"}],"aggregate_default_qps":1,"aggregate_default_capacity":1})"));
  auto t0 = Clock::now();
  EXPECT_EQ(limiter.admit("a", t0).kind, Admission::Kind::kNow);
  EXPECT_EQ(limiter.admit("b", t0).kind, Admission::Kind::kDelay);
  EXPECT_EQ(limiter.admit("c", t0).kind, Admission::Kind::kReject);
  for (int i = 0; i < 100; i++) {
    EXPECT_EQ(limiter.admit("free", t0).kind, Admission::Kind::kNow);
  }
  // A call without a principal is one of the unlisted ones.
  EXPECT_EQ(limiter.admit("", t0 + 5s).kind, Admission::Kind::kNow);
  EXPECT_EQ(limiter.admit("", t0 + 5s).kind, Admission::Kind::kDelay);
  EXPECT_TRUE(limiter.limits(""));
  EXPECT_FALSE(limiter.limits("free"));
}

TEST(RateLimitsTest, RejectionNamesTheCapacity) {
  RateLimiter limiter(*parseRateLimits(R"({"limits":[{"principal":"p","qps":1,"capacity":0}]})"));
  auto t0 = Clock::now();
  // Capacity 0 leaves no room even for the first call, as in Mesos.
  auto refused = limiter.admit("p", t0);
  EXPECT_EQ(refused.kind, Admission::Kind::kReject);
  EXPECT_EQ(refused.capacity, 0u);
  EXPECT_EQ(refused.wait, 1s);
}

TEST(RateLimitsTest, NothingConfiguredLimitsNobody) {
  RateLimiter limiter(*parseRateLimits(R"({"limits":[]})"));
  EXPECT_FALSE(limiter.limits("anyone"));
  EXPECT_FALSE(limiter.limits(""));
  auto t0 = Clock::now();
  for (int i = 0; i < 10; i++) {
    EXPECT_EQ(limiter.admit("anyone", t0).kind, Admission::Kind::kNow);
  }
}

}  // namespace
}  // namespace plateau::http
