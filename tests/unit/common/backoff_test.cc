#include "common/backoff.h"

#include <gtest/gtest.h>

namespace plateau {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesWithinItsBounds) {
  EXPECT_EQ(nextBackoff(milliseconds(0), milliseconds(100), milliseconds(2000)), milliseconds(100));
  EXPECT_EQ(nextBackoff(milliseconds(300), milliseconds(100), milliseconds(2000)),
            milliseconds(600));
  EXPECT_EQ(nextBackoff(milliseconds(1500), milliseconds(100), milliseconds(2000)),
            milliseconds(2000));
}

TEST(Backoff, AMaximumBelowTheMinimumYieldsTheMinimum) {
  // --registration_backoff_factor=10ms against a 100 ms floor: defined, and the floor wins.
  EXPECT_EQ(nextBackoff(milliseconds(100), milliseconds(100), milliseconds(10)), milliseconds(100));
  EXPECT_EQ(nextBackoff(milliseconds(0), milliseconds(100), milliseconds(0)), milliseconds(100));
}

}  // namespace
}  // namespace plateau
