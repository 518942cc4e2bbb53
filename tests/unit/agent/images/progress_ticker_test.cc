#include <gtest/gtest.h>

#include "agent/images/registry_client.h"

namespace plateau::agent::images {
namespace {

using namespace std::chrono_literals;

TEST(ProgressTickerTest, TicksEveryStepOfBytesOrIntervalWithNewBytes) {
  auto t0 = ProgressTicker::Clock::now();
  ProgressTicker ticker(100, 5s, t0);
  EXPECT_FALSE(ticker.due(10, t0 + 1s));    // neither enough bytes nor time
  EXPECT_TRUE(ticker.due(100, t0 + 1s));    // a step of bytes
  EXPECT_FALSE(ticker.due(150, t0 + 2s));   // half a step since
  EXPECT_TRUE(ticker.due(160, t0 + 7s));    // the interval passed with bytes more
  EXPECT_FALSE(ticker.due(160, t0 + 20s));  // time alone, no new bytes: no line
  EXPECT_TRUE(ticker.due(260, t0 + 20s));
}

}  // namespace
}  // namespace plateau::agent::images
