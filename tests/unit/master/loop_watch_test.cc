#include "master/loop_watch.h"

#include <chrono>
#include <vector>

#include <gtest/gtest.h>

#include "fakes/virtual_time.h"

namespace plateau::master {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class LoopWatchTest : public ::testing::Test {
 protected:
  testing::VirtualTime time_;
  std::chrono::nanoseconds cpu_{0};
  std::vector<double> stalls_;
  std::vector<double> busy_;
  LoopWatch watch_{time_, time_, milliseconds(10), [this] { return cpu_; },
                   [this](double stall_s, double busy_s) {
                     stalls_.push_back(stall_s);
                     busy_.push_back(busy_s);
                   }};
};

TEST_F(LoopWatchTest, TicksOnTimeAreNoStall) {
  watch_.start();
  time_.advance(seconds(1));
  EXPECT_GE(stalls_.size(), 98u);
  for (double s : stalls_) {
    EXPECT_EQ(s, 0.0);
  }
  EXPECT_EQ(watch_.stallMs(), 0.0);
  EXPECT_EQ(watch_.busyMs(), 0.0);
}

TEST_F(LoopWatchTest, ALateTickIsAStallAndItsCpuIsBusy) {
  const auto t0 = time_.now();
  watch_.tick(t0, milliseconds(0));
  // 130 ms between ticks, 100 ms of it on the loop's CPU: stalled 120 ms beyond the 10 ms
  // period, busy 90 ms beyond it.
  watch_.tick(t0 + milliseconds(130), milliseconds(100));
  EXPECT_DOUBLE_EQ(watch_.stallMs(), 120.0);
  EXPECT_DOUBLE_EQ(watch_.busyMs(), 90.0);
  EXPECT_DOUBLE_EQ(watch_.maxStallMs(), 120.0);
  ASSERT_EQ(stalls_.size(), 1u);
  EXPECT_DOUBLE_EQ(stalls_[0], 0.120);
  EXPECT_DOUBLE_EQ(busy_[0], 0.090);
}

TEST_F(LoopWatchTest, AStallWithoutLoopCpuIsNotBusy) {
  const auto t0 = time_.now();
  watch_.tick(t0, milliseconds(5));
  watch_.tick(t0 + milliseconds(300), milliseconds(6));  // preempted by other processes
  EXPECT_DOUBLE_EQ(watch_.stallMs(), 290.0);
  EXPECT_DOUBLE_EQ(watch_.busyMs(), 0.0);
}

TEST_F(LoopWatchTest, TheRecentFiguresForgetAStallAfterTheWindow) {
  const auto t0 = time_.now();
  watch_.tick(t0, milliseconds(0));
  watch_.tick(t0 + milliseconds(200), milliseconds(190));
  auto t = t0 + milliseconds(200);
  auto cpu = milliseconds(190);
  for (int i = 0; i < 100 * (LoopWatch::kWindowSeconds - 1); ++i) {
    t += milliseconds(10);
    watch_.tick(t, cpu);
  }
  EXPECT_DOUBLE_EQ(watch_.stallMs(), 190.0);  // still within the window
  for (int i = 0; i < 200; ++i) {
    t += milliseconds(10);
    watch_.tick(t, cpu);
  }
  EXPECT_EQ(watch_.stallMs(), 0.0);
  EXPECT_EQ(watch_.busyMs(), 0.0);
  EXPECT_DOUBLE_EQ(watch_.maxStallMs(), 190.0);  // since start
}

}  // namespace
}  // namespace plateau::master
