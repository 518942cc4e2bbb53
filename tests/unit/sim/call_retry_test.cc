#include "sim/call_retry.h"

#include <gtest/gtest.h>

namespace plateau::sim {
namespace {

using std::chrono::milliseconds;

TEST(CallRetry, OnlyRefusalsThatRanNothingAreSentAgain) {
  EXPECT_TRUE(isRetryable(429));
  EXPECT_TRUE(isRetryable(503));
  for (int status : {200, 202, 400, 401, 403, 404, 409, 500, 502, 504}) {
    EXPECT_FALSE(isRetryable(status)) << status;
    EXPECT_FALSE(retryDelay(status, "1", 1, 0).has_value()) << status;
  }
}

TEST(CallRetry, HonoursRetryAfterAndNeverWaitsLessThanTheBackoff) {
  EXPECT_EQ(retryDelay(429, "2", 1, 0), milliseconds(2000));
  EXPECT_EQ(retryDelay(503, "0", 1, 0), kFirstBackoff);
  // Past the header's wait, the back-off so far: 100 ms doubled five times.
  EXPECT_EQ(retryDelay(429, "1", 6, 0), milliseconds(3200));
  // Neither an HTTP date nor garbage is read as seconds.
  EXPECT_EQ(retryDelay(429, "Wed, 21 Oct 2026 07:28:00 GMT", 1, 0), kFirstBackoff);
  EXPECT_EQ(retryDelay(429, "-3", 1, 0), kFirstBackoff);
  EXPECT_EQ(retryDelay(429, "", 2, 0), 2 * kFirstBackoff);
}

TEST(CallRetry, BackoffDoublesUpToItsCapThenGivesUp) {
  milliseconds last{0};
  for (int attempt = 1; attempt < kMaxAttempts; ++attempt) {
    auto wait = retryDelay(429, "", attempt, 0);
    ASSERT_TRUE(wait.has_value()) << attempt;
    EXPECT_GE(*wait, last);
    EXPECT_LE(*wait, kMaxBackoff);
    last = *wait;
  }
  EXPECT_EQ(last, kMaxBackoff);
  EXPECT_FALSE(retryDelay(429, "", kMaxAttempts, 0).has_value());
}

TEST(CallRetry, SpreadsByAtMostAQuarter) {
  bool spread = false;
  for (uint64_t random = 0; random < 1000; random += 7) {
    auto wait = retryDelay(429, "4", 1, random * 0x9e3779b97f4a7c15ULL);
    ASSERT_TRUE(wait.has_value());
    EXPECT_GE(*wait, milliseconds(4000));
    EXPECT_LE(*wait, milliseconds(5000));
    spread = spread || *wait != milliseconds(4000);
  }
  EXPECT_TRUE(spread);
}

}  // namespace
}  // namespace plateau::sim
