// When a client of an event stream reconnects and when it gives up, in virtual time.

#include "client/reconnect_policy.h"

#include <gtest/gtest.h>

#include "fakes/virtual_time.h"

namespace plateau::client {
namespace {

using namespace std::chrono_literals;
using plateau::testing::VirtualTime;

TEST(ReconnectPolicy, BackoffDoublesFromTheMinimumToTheCapAndRestartsOnSubscription) {
  VirtualTime time;
  ReconnectPolicy policy({.backoff_min = 100ms, .backoff_max = 1s}, time);
  std::vector<std::chrono::nanoseconds> delays;
  for (int i = 0; i < 6; ++i) {
    auto decision = policy.failed();
    ASSERT_FALSE(decision.give_up);
    delays.push_back(decision.delay);
    time.advance(decision.delay);
  }
  std::vector<std::chrono::nanoseconds> expected{100ms, 200ms, 400ms, 800ms, 1s, 1s};
  EXPECT_EQ(delays, expected);

  policy.subscribed();
  EXPECT_EQ(policy.failed().delay, 100ms);
  EXPECT_EQ(policy.failed().delay, 200ms);
}

TEST(ReconnectPolicy, NeverGivesUpWithoutAWindow) {
  VirtualTime time;
  ReconnectPolicy policy({.backoff_min = 100ms, .backoff_max = 2s}, time);
  policy.subscribed();
  for (int i = 0; i < 100; ++i) {
    auto decision = policy.failed();
    ASSERT_FALSE(decision.give_up) << "after " << i << " failures";
    time.advance(1h);
  }
}

TEST(ReconnectPolicy, GivesUpOnceADisconnectionOutlastsTheRecoveryWindow) {
  VirtualTime time;
  ReconnectPolicy policy({.backoff_min = 100ms, .backoff_max = 2s, .recovery_window = 10s}, time);
  policy.subscribed();
  time.advance(1h);  // a long subscription does not count: the window starts at the failure
  EXPECT_FALSE(policy.failed().give_up);
  time.advance(9s);
  EXPECT_FALSE(policy.failed().give_up);
  time.advance(1s);
  EXPECT_TRUE(policy.failed().give_up);
}

TEST(ReconnectPolicy, ASubscriptionRestartsTheRecoveryWindow) {
  VirtualTime time;
  ReconnectPolicy policy({.recovery_window = 10s}, time);
  policy.subscribed();
  EXPECT_FALSE(policy.failed().give_up);
  time.advance(9s);
  policy.subscribed();
  time.advance(5s);
  EXPECT_FALSE(policy.failed().give_up);
  time.advance(9s);
  EXPECT_FALSE(policy.failed().give_up);
  time.advance(1s);
  EXPECT_TRUE(policy.failed().give_up);
}

TEST(ReconnectPolicy, AZeroRecoveryWindowGivesUpAtTheFirstLossButNotBeforeSubscribing) {
  VirtualTime time;
  ReconnectPolicy policy({.recovery_window = 0s, .first_subscription_window = 60s}, time);
  EXPECT_FALSE(policy.failed().give_up);  // the peer may not be ready yet
  time.advance(59s);
  EXPECT_FALSE(policy.failed().give_up);
  EXPECT_FALSE(policy.everSubscribed());
  policy.subscribed();
  EXPECT_TRUE(policy.everSubscribed());
  EXPECT_TRUE(policy.failed().give_up);
}

TEST(ReconnectPolicy, GivesUpWhenTheFirstSubscriptionTakesLongerThanItsWindow) {
  VirtualTime time;
  ReconnectPolicy policy({.first_subscription_window = 60s}, time);
  time.advance(5min);  // the window starts at the first failure, not at construction
  EXPECT_FALSE(policy.failed().give_up);
  time.advance(59s);
  EXPECT_FALSE(policy.failed().give_up);
  time.advance(1s);
  EXPECT_TRUE(policy.failed().give_up);
}

TEST(ReconnectPolicy, AJitterSeedSpreadsEachDelayOverItsUpperHalfAndReplays) {
  auto delays = [](uint64_t seed) {
    VirtualTime time;
    ReconnectPolicy policy({.backoff_min = 100ms, .backoff_max = 1s, .jitter_seed = seed}, time);
    std::vector<std::chrono::nanoseconds> out;
    for (int i = 0; i < 6; i++) {
      out.push_back(policy.failed().delay);
    }
    return out;
  };
  const std::vector<std::chrono::nanoseconds> nominal{100ms, 200ms, 400ms, 800ms, 1s, 1s};
  auto first = delays(42);
  for (size_t i = 0; i < nominal.size(); i++) {
    EXPECT_GE(first[i], nominal[i] / 2) << i;
    EXPECT_LE(first[i], nominal[i]) << i;
  }
  EXPECT_NE(first, nominal);
  EXPECT_EQ(delays(42), first);
}

}  // namespace
}  // namespace plateau::client
