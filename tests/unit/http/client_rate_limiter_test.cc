// The per-client token buckets: a burst, then the rate, each client on its own, a bounded
// number of clients kept; and the client part of a peer address.

#include "http/client_rate_limiter.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

namespace plateau::http {
namespace {

using namespace std::chrono_literals;
using TimePoint = ClientRateLimiter::TimePoint;

const TimePoint kStart = TimePoint{} + 1h;

// How many of `n` requests at `now` were admitted.
int admitted(ClientRateLimiter& limiter, const std::string& client, int n, TimePoint now) {
  int in = 0;
  for (int i = 0; i < n; i++) {
    in += limiter.admit(client, now) ? 0 : 1;
  }
  return in;
}

TEST(ClientRateLimiterTest, BurstThenRatePerClient) {
  ClientRateLimiter limiter({.qps = 10, .capacity = 5});
  EXPECT_EQ(admitted(limiter, "a", 8, kStart), 5);
  // The refusal says when the next request is admitted: one token takes 100 ms.
  auto wait = limiter.admit("a", kStart);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 100ms);
  // Another client has its own burst.
  EXPECT_EQ(admitted(limiter, "b", 5, kStart), 5);
  // 250 ms later: two whole tokens (and a half).
  EXPECT_EQ(admitted(limiter, "a", 5, kStart + 250ms), 2);
  auto rest = limiter.admit("a", kStart + 250ms);
  ASSERT_TRUE(rest);
  EXPECT_EQ(*rest, 50ms);
  // Never more than the capacity, however long the client was quiet.
  EXPECT_EQ(admitted(limiter, "a", 20, kStart + 1h), 5);
}

TEST(ClientRateLimiterTest, SteadyRateBelowTheLimitIsNeverRefused) {
  ClientRateLimiter limiter({.qps = 100, .capacity = 10});
  TimePoint now = kStart;
  for (int i = 0; i < 10000; i++) {
    ASSERT_FALSE(limiter.admit("agent a1", now)) << "request " << i;
    now += 11ms;  // 91 a second
  }
}

TEST(ClientRateLimiterTest, ZeroQpsLimitsNothing) {
  ClientRateLimiter limiter({.qps = 0, .capacity = 1});
  EXPECT_EQ(admitted(limiter, "a", 1000, kStart), 1000);
  EXPECT_EQ(limiter.clients(), 0u);
}

TEST(ClientRateLimiterTest, ClientsKeptAreBounded) {
  ClientRateLimiter limiter({.qps = 1, .capacity = 2, .max_clients = 100});
  for (int i = 0; i < 1000; i++) {
    limiter.admit(fmt::format("client {}", i), kStart);
  }
  EXPECT_EQ(limiter.clients(), 100u);
  // Clients past the bound share one bucket: a flood of new names is still limited.
  EXPECT_EQ(admitted(limiter, "client 5000", 10, kStart), 0);
  // Those kept are limited on their own.
  EXPECT_EQ(admitted(limiter, "client 0", 10, kStart), 1);
  // Once buckets have refilled they are dropped to make room for new clients.
  EXPECT_EQ(admitted(limiter, "newcomer", 10, kStart + 10s), 2);
  EXPECT_EQ(limiter.clients(), 1u);
}

TEST(ClientRateLimiterTest, ClientAddressIgnoresThePort) {
  EXPECT_EQ(clientAddress("10.1.2.3:51234"), "10.1.2.3");
  EXPECT_EQ(clientAddress("::ffff:10.1.2.3:51234"), "10.1.2.3");
  // IPv6: the /64 a host holds is one client.
  EXPECT_EQ(clientAddress("2001:db8:1:2:aaaa::1:443"), "2001:0db8:0001:0002::/64");
  EXPECT_EQ(clientAddress("2001:db8:1:2:bbbb::9:80"), "2001:0db8:0001:0002::/64");
  EXPECT_EQ(clientAddress("[::1]:5050"), "0000:0000:0000:0000::/64");
  EXPECT_EQ(clientAddress(""), "");
}

}  // namespace
}  // namespace plateau::http
