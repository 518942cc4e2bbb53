#include "agent/sandbox_gc.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fakes/virtual_time.h"

namespace plateau::agent {
namespace {

using namespace std::chrono_literals;

class SandboxGcTest : public ::testing::Test {
 protected:
  SandboxGc make(std::chrono::nanoseconds delay, double headroom = 0.1) {
    return SandboxGc(time_, time_, {.gc_delay = delay, .disk_headroom = headroom},
                     [this](const std::string& path) { removed_.push_back(path); });
  }
  testing::VirtualTime time_;
  std::vector<std::string> removed_;
};

TEST(SandboxGcMaxAge, ScalesTheDelayByTheDiskLeftAboveTheHeadroom) {
  EXPECT_EQ(SandboxGc::maxAge(100s, 0.1, 0.0), 90s);
  EXPECT_EQ(SandboxGc::maxAge(100s, 0.1, 0.4), 50s);
  EXPECT_EQ(SandboxGc::maxAge(100s, 0.1, 0.9), 0s);
  EXPECT_EQ(SandboxGc::maxAge(100s, 0.1, 0.95), 0s);  // never negative
  EXPECT_EQ(SandboxGc::maxAge(100s, 0.0, 0.0), 100s);
}

TEST_F(SandboxGcTest, RemovesAPathGcDelayAfterItChangedAndNotBefore) {
  SandboxGc gc = make(1h);
  gc.schedule("/a", time_.now());
  time_.advance(59min);
  EXPECT_TRUE(removed_.empty());
  EXPECT_TRUE(gc.scheduled("/a"));
  time_.advance(1min);
  EXPECT_EQ(removed_, std::vector<std::string>{"/a"});
  EXPECT_EQ(gc.size(), 0u);
}

TEST_F(SandboxGcTest, APathChangedLongAgoGoesAtOnce) {
  SandboxGc gc = make(1h);
  time_.advance(3h);
  gc.schedule("/old", time_.now() - 2h);
  time_.advance(0s);
  EXPECT_EQ(removed_, std::vector<std::string>{"/old"});
}

TEST_F(SandboxGcTest, RemovesInTheOrderPathsChanged) {
  SandboxGc gc = make(10min);
  gc.schedule("/b", time_.now() + 0s);
  time_.advance(2min);
  gc.schedule("/c", time_.now());
  gc.schedule("/a", time_.now() - 1min);
  time_.advance(20min);
  EXPECT_EQ(removed_, (std::vector<std::string>{"/b", "/a", "/c"}));
}

TEST_F(SandboxGcTest, UnscheduledPathsStay) {
  SandboxGc gc = make(1h);
  gc.schedule("/a", time_.now());
  gc.schedule("/b", time_.now());
  EXPECT_TRUE(gc.unschedule("/a"));
  EXPECT_FALSE(gc.unschedule("/a"));
  time_.advance(2h);
  EXPECT_EQ(removed_, std::vector<std::string>{"/b"});
}

TEST_F(SandboxGcTest, SchedulingAgainKeepsTheLatestTime) {
  SandboxGc gc = make(1h);
  gc.schedule("/a", time_.now());
  time_.advance(30min);
  gc.schedule("/a", time_.now());
  time_.advance(45min);
  EXPECT_TRUE(removed_.empty());
  time_.advance(15min);
  EXPECT_EQ(removed_, std::vector<std::string>{"/a"});
}

TEST_F(SandboxGcTest, AFullerDiskRemovesOlderPathsEarly) {
  SandboxGc gc = make(100min, 0.1);
  gc.schedule("/old", time_.now());
  time_.advance(40min);
  gc.schedule("/new", time_.now());
  time_.advance(10min);              // /old is 50min old, /new 10min
  EXPECT_EQ(gc.diskUsage(0.2), 0u);  // max age 70min: nothing yet
  EXPECT_EQ(gc.diskUsage(0.4), 1u);  // max age 50min: /old goes
  EXPECT_EQ(removed_, std::vector<std::string>{"/old"});
  EXPECT_EQ(gc.diskUsage(0.95), 1u);  // past the headroom: everything goes
  EXPECT_EQ(removed_, (std::vector<std::string>{"/old", "/new"}));
  time_.advance(200min);
  EXPECT_EQ(removed_.size(), 2u);  // each once
}

TEST_F(SandboxGcTest, DestroyingItCancelsItsTimer) {
  {
    SandboxGc gc = make(1h);
    gc.schedule("/a", time_.now());
  }
  time_.advance(2h);
  EXPECT_TRUE(removed_.empty());
}

}  // namespace
}  // namespace plateau::agent
