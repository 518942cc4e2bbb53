// The cgroups a destruction left behind: retried until removed, given up at their deadline
// (--cgroups_destroy_timeout), in virtual time with a fake removal attempt.

#include "agent/containerizer/cgroup_reaper.h"

#include <map>

#include <gtest/gtest.h>

#include "fakes/virtual_time.h"

namespace plateau::agent {
namespace {

using namespace std::chrono_literals;

// Cgroups that empty after so many attempts (-1: never).
class FakeCgroups {
 public:
  void set(const std::string& dir, int attempts_left) { left_[dir] = attempts_left; }
  Status attempt(const std::string& dir) {
    tries_[dir]++;
    int& left = left_[dir];
    if (left == 0) {
      return {};
    }
    if (left > 0) {
      left--;
    }
    return {StatusCode::kUnavailable, "processes 42 are still in " + dir};
  }
  int tries(const std::string& dir) { return tries_[dir]; }

 private:
  std::map<std::string, int> left_;
  std::map<std::string, int> tries_;
};

TEST(CgroupReaperTest, RetriesUntilRemovedAndGivesUpAtTheDeadline) {
  testing::VirtualTime time;
  FakeCgroups cgroups;
  CgroupReaper reaper([&](const std::string& dir) { return cgroups.attempt(dir); });
  cgroups.set("/cg/memory/plateau/a", 2);   // empties at the third try
  cgroups.set("/cg/memory/plateau/b", -1);  // a process the kernel cannot kill
  reaper.add("a", "/cg/memory/plateau/a", time.now() + 60s);
  reaper.add("b", "/cg/memory/plateau/b", time.now() + 60s);
  EXPECT_EQ(reaper.pending(), 2u);

  EXPECT_TRUE(reaper.poll(time.now()).empty());
  time.advance(500ms);
  EXPECT_TRUE(reaper.poll(time.now()).empty());
  time.advance(500ms);
  EXPECT_TRUE(reaper.poll(time.now()).empty());  // a removed now
  EXPECT_EQ(reaper.pending(), 1u);
  EXPECT_EQ(cgroups.tries("/cg/memory/plateau/a"), 3);

  time.advance(58s);
  EXPECT_TRUE(reaper.poll(time.now()).empty());  // b: one second before its deadline
  time.advance(1s);
  auto failed = reaper.poll(time.now());
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].container_id, "b");
  EXPECT_EQ(failed[0].dir, "/cg/memory/plateau/b");
  EXPECT_NE(failed[0].error.find("still in"), std::string::npos) << failed[0].error;
  EXPECT_EQ(reaper.pending(), 0u);
  int tries = cgroups.tries("/cg/memory/plateau/b");
  EXPECT_TRUE(reaper.poll(time.now() + 1s).empty());  // given up: not tried again
  EXPECT_EQ(cgroups.tries("/cg/memory/plateau/b"), tries);
}

TEST(CgroupReaperTest, LastTryAtTheDeadlineCanStillSucceed) {
  testing::VirtualTime time;
  FakeCgroups cgroups;
  CgroupReaper reaper([&](const std::string& dir) { return cgroups.attempt(dir); });
  cgroups.set("/cg/c", 1);
  reaper.add("c", "/cg/c", time.now());  // a zero timeout: due at once
  auto failed = reaper.poll(time.now());
  ASSERT_EQ(failed.size(), 1u);  // the one try failed

  cgroups.set("/cg/d", 0);
  reaper.add("d", "/cg/d", time.now());
  EXPECT_TRUE(reaper.poll(time.now() + 1s).empty());  // removed by the try at its deadline
  EXPECT_EQ(reaper.pending(), 0u);
}

TEST(CgroupReaperTest, SameCgroupKeptOnceWithTheEarlierDeadline) {
  testing::VirtualTime time;
  FakeCgroups cgroups;
  CgroupReaper reaper([&](const std::string& dir) { return cgroups.attempt(dir); });
  cgroups.set("/cg/e", -1);
  reaper.add("e", "/cg/e", time.now() + 60s);
  reaper.add("e", "/cg/e", time.now() + 10s);
  EXPECT_EQ(reaper.pending(), 1u);
  time.advance(10s);
  EXPECT_EQ(reaper.poll(time.now()).size(), 1u);
}

// Mesos's container_destroy_errors counts containers, not cgroups: a container whose memory and
// cpu cgroups are both left counts once; an orphan counts under its cgroup's name.
TEST(CgroupReaperTest, CountsEachContainerGivenUpOnce) {
  testing::VirtualTime time;
  FakeCgroups cgroups;
  CgroupReaper reaper([&](const std::string& dir) { return cgroups.attempt(dir); });
  for (const char* dir : {"/cg/memory/plateau/f", "/cg/cpu/plateau/f", "/cg/memory/plateau/o1",
                          "/cg/cpu/plateau/o1", "/cg/memory/plateau/o2"}) {
    cgroups.set(dir, -1);
  }
  cgroups.set("/cg/memory/plateau/g", 3);  // empties in time: not an error
  reaper.add("f", "/cg/memory/plateau/f", time.now() + 5s);
  reaper.add("f", "/cg/cpu/plateau/f", time.now() + 5s);
  reaper.add("g", "/cg/memory/plateau/g", time.now() + 5s);
  reaper.add("", "/cg/memory/plateau/o1", time.now() + 10s);
  reaper.add("", "/cg/cpu/plateau/o1", time.now() + 10s);
  reaper.add("", "/cg/memory/plateau/o2", time.now() + 10s);
  EXPECT_EQ(reaper.failedContainers(), 0u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(reaper.poll(time.now()).empty());
    time.advance(1s);
  }
  time.advance(1s);
  EXPECT_EQ(reaper.poll(time.now()).size(), 2u);  // f's two cgroups
  EXPECT_EQ(reaper.failedContainers(), 1u);
  time.advance(5s);
  EXPECT_EQ(reaper.poll(time.now()).size(), 3u);  // o1's two, o2's one
  EXPECT_EQ(reaper.failedContainers(), 3u);
  EXPECT_EQ(reaper.pending(), 0u);
}

}  // namespace
}  // namespace plateau::agent
