// A standby master's copy of the registry (StandbyCopy), in virtual time against a store that
// answers a given delay later: kept only when read whole at one version, handed over only for
// exactly that version, reread at a paced rate after changes, and never reread once taken.

#include "master/registry/standby_copy.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>

#include "fakes/virtual_time.h"

namespace plateau::master::registry {
namespace {

using namespace std::chrono_literals;
using testing::VirtualTime;

// A store whose reads answer `read_time` later (a whole read takes `read_all_time`), with a
// version every write advances and one version watch, as ZooKeeper's.
class FakeStore final : public VersionedStore {
 public:
  explicit FakeStore(VirtualTime& time) : time_(time) {}

  void readVersion(std::function<void(Result<std::optional<int>>)> done) override {
    time_.after(read_time, [this, done] {
      if (fail_reads) {
        return done(std::unexpected(Status(StatusCode::kUnavailable, "connection loss")));
      }
      done(version);
    });
  }
  void watchVersion(std::function<void()> changed, std::function<void(Status)> done) override {
    time_.after(read_time, [this, changed, done] {
      watch = changed;
      done(Status());
    });
  }
  void readAll(std::function<void(Result<Snapshot>)> done) override {
    whole_reads++;
    time_.after(read_all_time, [this, done] {
      if (during_read_all) {
        during_read_all();
        during_read_all = nullptr;
      }
      done(Snapshot{state, keys});
    });
  }

  // A leader's write: the state changes and the version advances (or is created).
  void write(const std::string& agent_id) {
    state.agents[agent_id].set_hostname(agent_id);
    keys.insert("/agent/" + agent_id);
    version = version ? *version + 1 : 0;
    if (auto fire = std::exchange(watch, nullptr)) {
      fire();
    }
  }

  std::chrono::milliseconds read_time = 1ms;
  std::chrono::milliseconds read_all_time = 100ms;
  std::optional<int> version;  // none until the first write creates it (version 0)
  State state;
  std::set<std::string> keys;
  bool fail_reads = false;
  int whole_reads = 0;
  std::function<void()> watch;
  std::function<void()> during_read_all;

 private:
  VirtualTime& time_;
};

class StandbyCopyTest : public ::testing::Test {
 protected:
  VirtualTime time_;
  FakeStore store_{time_};
};

TEST_F(StandbyCopyTest, ReadsTheRegistryWhileStandingByAndHandsItOverAtThatVersion) {
  store_.write("a1");
  store_.write("a2");  // version 1
  StandbyCopy copy(time_, time_, store_);
  copy.start();
  time_.advance(1s);
  ASSERT_EQ(copy.version(), 1);
  EXPECT_EQ(store_.whole_reads, 1);

  auto taken = copy.take(1);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->state.agents.size(), 2u);
  EXPECT_EQ(taken->keys, (std::set<std::string>{"/agent/a1", "/agent/a2"}));
  EXPECT_FALSE(copy.version().has_value());  // handed over once
}

TEST_F(StandbyCopyTest, ACopyOfAnotherVersionIsNeverHandedOver) {
  store_.write("a1");
  StandbyCopy copy(time_, time_, store_);
  copy.start();
  time_.advance(1s);
  ASSERT_EQ(copy.version(), 0);
  store_.write("a2");  // the leader wrote after the copy; elected before the copy caught up
  EXPECT_FALSE(copy.take(1).has_value());
  EXPECT_FALSE(copy.take(0).has_value());  // and nothing is left to hand over after
}

TEST_F(StandbyCopyTest, ARegistryWithoutAVersionGivesNoCopyUntilOneIsWritten) {
  StandbyCopy copy(time_, time_, store_);
  copy.start();
  time_.advance(10s);
  EXPECT_EQ(store_.whole_reads, 0);
  EXPECT_FALSE(copy.version().has_value());

  store_.write("a1");  // the first leader of this kind creates the version
  time_.advance(StandbyCopy::kMinRefresh + 1s);
  EXPECT_EQ(copy.version(), 0);
  EXPECT_FALSE(copy.take(std::nullopt).has_value());
}

TEST_F(StandbyCopyTest, AReadDuringWhichTheVersionMovedIsDroppedAndReadAgain) {
  store_.write("a1");
  store_.during_read_all = [this] { store_.write("a2"); };
  StandbyCopy copy(time_, time_, store_);
  copy.start();
  time_.advance(500ms);
  EXPECT_EQ(store_.whole_reads, 1);
  EXPECT_FALSE(copy.version().has_value());  // it may mix two versions

  time_.advance(StandbyCopy::kMinRefresh + 1s);
  EXPECT_EQ(store_.whole_reads, 2);
  ASSERT_EQ(copy.version(), 1);
  auto taken = copy.take(1);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->state.agents.size(), 2u);
}

TEST_F(StandbyCopyTest, FollowsChangesNoFasterThanItsPace) {
  store_.read_all_time = 2s;  // a big registry: the pace becomes 4 reads' time, 8 s
  store_.write("a0");
  StandbyCopy copy(time_, time_, store_);
  copy.start();
  time_.advance(3s);
  ASSERT_EQ(copy.version(), 0);

  // A burst of writes, one every 100 ms for 5 s: seen, but not reread for each.
  for (int i = 1; i <= 50; ++i) {
    store_.write("a" + std::to_string(i));
    time_.advance(100ms);
  }
  EXPECT_EQ(store_.whole_reads, 1);
  time_.advance(4s);  // past 8 s after the burst's first write
  EXPECT_EQ(store_.whole_reads, 2);
  time_.advance(3s);
  ASSERT_EQ(copy.version(), 50);
  // Quiet now: no more reads.
  time_.advance(60s);
  EXPECT_EQ(store_.whole_reads, 2);
  EXPECT_EQ(copy.take(50)->state.agents.size(), 51u);
}

TEST_F(StandbyCopyTest, FailedReadsAreRetriedAndNothingRunsOnceTaken) {
  store_.write("a1");
  store_.fail_reads = true;
  StandbyCopy copy(time_, time_, store_);
  copy.start();
  time_.advance(3s);
  EXPECT_FALSE(copy.version().has_value());
  store_.fail_reads = false;
  time_.advance(StandbyCopy::kRetry + 1s);
  ASSERT_EQ(copy.version(), 0);

  EXPECT_TRUE(copy.take(0).has_value());
  const int reads = store_.whole_reads;
  store_.write("a2");
  time_.advance(60s);
  EXPECT_EQ(store_.whole_reads, reads);
  EXPECT_EQ(time_.pending(), 0u);
}

}  // namespace
}  // namespace plateau::master::registry
