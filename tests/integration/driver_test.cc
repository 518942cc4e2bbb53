// The classic driver API (MesosSchedulerDriver + MesosExecutorDriver) against real
// processes: launch, kill, decline filters, framework messages both ways, reconciliation,
// executor loss, explicit acknowledgements and master failover.

#include <mutex>
#include <optional>
#include <vector>

#include <gtest/gtest.h>
#include <plateau/scheduler.h>

#include "ha_cluster.h"
#include "harness.h"

namespace plateau::testing {
namespace {

// Records every callback; the test thread polls what it needs.
class RecordingScheduler : public mesos::Scheduler {
 public:
  void registered(mesos::SchedulerDriver*, const mesos::FrameworkID& id,
                  const mesos::MasterInfo&) override {
    std::lock_guard lock(mutex_);
    framework_id_ = id.value();
    ++registered_;
  }
  void reregistered(mesos::SchedulerDriver*, const mesos::MasterInfo&) override {
    std::lock_guard lock(mutex_);
    ++reregistered_;
  }
  void disconnected(mesos::SchedulerDriver*) override {
    std::lock_guard lock(mutex_);
    ++disconnected_;
  }
  void resourceOffers(mesos::SchedulerDriver*, const std::vector<mesos::Offer>& offers) override {
    std::lock_guard lock(mutex_);
    offers_.insert(offers_.end(), offers.begin(), offers.end());
  }
  void offerRescinded(mesos::SchedulerDriver*, const mesos::OfferID&) override {}
  void statusUpdate(mesos::SchedulerDriver*, const mesos::TaskStatus& status) override {
    std::lock_guard lock(mutex_);
    updates_.push_back(status);
  }
  void frameworkMessage(mesos::SchedulerDriver*, const mesos::ExecutorID& executor_id,
                        const mesos::SlaveID&, const std::string& data) override {
    std::lock_guard lock(mutex_);
    messages_.push_back(executor_id.value() + ":" + data);
  }
  void slaveLost(mesos::SchedulerDriver*, const mesos::SlaveID&) override {}
  void executorLost(mesos::SchedulerDriver*, const mesos::ExecutorID& executor_id,
                    const mesos::SlaveID&, int status) override {
    std::lock_guard lock(mutex_);
    executors_lost_.push_back({executor_id.value(), status});
  }
  void error(mesos::SchedulerDriver*, const std::string& message) override {
    std::lock_guard lock(mutex_);
    errors_.push_back(message);
  }

  // Takes the oldest offer received, waiting for one up to `timeout`.
  std::optional<mesos::Offer> takeOffer(std::chrono::milliseconds timeout = 20s) {
    std::optional<mesos::Offer> offer;
    eventually(
        [&] {
          std::lock_guard lock(mutex_);
          if (offers_.empty()) {
            return false;
          }
          offer = offers_.front();
          offers_.erase(offers_.begin());
          return true;
        },
        timeout);
    return offer;
  }

  // Waits for an update of `task` in `state` (and with `reason`, if given).
  std::optional<mesos::TaskStatus> waitUpdate(
      const std::string& task, mesos::TaskState state,
      std::optional<mesos::TaskStatus::Reason> reason = std::nullopt,
      std::chrono::milliseconds timeout = 20s) {
    std::optional<mesos::TaskStatus> found;
    eventually(
        [&] {
          std::lock_guard lock(mutex_);
          for (const auto& u : updates_) {
            if (u.task_id().value() == task && u.state() == state &&
                (!reason || (u.has_reason() && u.reason() == *reason))) {
              found = u;
              return true;
            }
          }
          return false;
        },
        timeout);
    return found;
  }

  template <class F>
  auto with(F f) {
    std::lock_guard lock(mutex_);
    return f(*this);
  }

  std::mutex mutex_;
  std::string framework_id_;
  int registered_ = 0;
  int reregistered_ = 0;
  int disconnected_ = 0;
  std::vector<mesos::Offer> offers_;
  std::vector<mesos::TaskStatus> updates_;
  std::vector<std::string> messages_;
  std::vector<std::pair<std::string, int>> executors_lost_;
  std::vector<std::string> errors_;
};

mesos::FrameworkInfo frameworkInfo() {
  mesos::FrameworkInfo info;
  info.set_user("");
  info.set_name("driver-test");
  info.set_failover_timeout(60);
  return info;
}

mesos::ExecutorInfo exampleExecutor() {
  mesos::ExecutorInfo executor;
  executor.mutable_executor_id()->set_value("example");
  executor.mutable_command()->set_value(std::string(PLATEAU_BIN_DIR) + "/plateau-example-executor");
  return executor;
}

mesos::TaskInfo exampleTask(const mesos::Offer& offer, const std::string& id,
                            const std::string& data = "") {
  mesos::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  *task.mutable_slave_id() = offer.slave_id();
  *task.mutable_executor() = exampleExecutor();
  for (auto [name, value] : {std::pair{"cpus", 0.1}, std::pair{"mem", 32.0}}) {
    auto* r = task.add_resources();
    r->set_name(name);
    r->set_type(mesos::Value::SCALAR);
    r->mutable_scalar()->set_value(value);
  }
  task.set_data(data);
  return task;
}

std::string masterUrl(const Cluster& cluster) { return cluster.master().toString(); }

TEST(Driver, LaunchesAndKillsATaskOnACustomExecutor) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:1024");
  RecordingScheduler scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, frameworkInfo(), masterUrl(cluster));
  ASSERT_EQ(driver.start(), mesos::DRIVER_RUNNING);
  auto offer = scheduler.takeOffer();
  ASSERT_TRUE(offer);
  EXPECT_FALSE(scheduler.with([](auto& s) { return s.framework_id_; }).empty());
  EXPECT_EQ(driver.launchTasks(offer->id(), {exampleTask(*offer, "t1")}), mesos::DRIVER_RUNNING);
  ASSERT_TRUE(scheduler.waitUpdate("t1", mesos::TASK_RUNNING));
  mesos::TaskID id;
  id.set_value("t1");
  EXPECT_EQ(driver.killTask(id), mesos::DRIVER_RUNNING);
  EXPECT_TRUE(scheduler.waitUpdate("t1", mesos::TASK_KILLED));
  EXPECT_EQ(driver.stop(), mesos::DRIVER_STOPPED);
  EXPECT_EQ(driver.join(), mesos::DRIVER_STOPPED);
}

TEST(Driver, DeclineFiltersHoldOffersUntilRevive) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:1024");
  RecordingScheduler scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, frameworkInfo(), masterUrl(cluster));
  ASSERT_EQ(driver.start(), mesos::DRIVER_RUNNING);
  auto offer = scheduler.takeOffer();
  ASSERT_TRUE(offer);
  mesos::Filters filters;
  filters.set_refuse_seconds(3600);
  EXPECT_EQ(driver.declineOffer(offer->id(), filters), mesos::DRIVER_RUNNING);
  // Twenty allocation rounds pass without the declined agent coming back.
  EXPECT_FALSE(scheduler.takeOffer(2s));
  EXPECT_EQ(driver.reviveOffers(), mesos::DRIVER_RUNNING);
  EXPECT_TRUE(scheduler.takeOffer());
  driver.stop();
}

TEST(Driver, FrameworkMessagesGoBothWays) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:1024");
  RecordingScheduler scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, frameworkInfo(), masterUrl(cluster));
  ASSERT_EQ(driver.start(), mesos::DRIVER_RUNNING);
  auto offer = scheduler.takeOffer();
  ASSERT_TRUE(offer);
  driver.launchTasks(offer->id(), {exampleTask(*offer, "t1")});
  ASSERT_TRUE(scheduler.waitUpdate("t1", mesos::TASK_RUNNING));
  mesos::ExecutorID executor_id;
  executor_id.set_value("example");
  EXPECT_EQ(driver.sendFrameworkMessage(executor_id, offer->slave_id(), "ping"),
            mesos::DRIVER_RUNNING);
  EXPECT_TRUE(eventually([&] {
    return scheduler.with([](auto& s) {
      return std::find(s.messages_.begin(), s.messages_.end(), "example:pong") != s.messages_.end();
    });
  }));
  driver.stop();
}

TEST(Driver, ReconcilesExplicitlyAndImplicitly) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:1024");
  RecordingScheduler scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, frameworkInfo(), masterUrl(cluster));
  ASSERT_EQ(driver.start(), mesos::DRIVER_RUNNING);
  auto offer = scheduler.takeOffer();
  ASSERT_TRUE(offer);
  driver.launchTasks(offer->id(), {exampleTask(*offer, "t1")});
  ASSERT_TRUE(scheduler.waitUpdate("t1", mesos::TASK_RUNNING));

  mesos::TaskStatus known;
  known.mutable_task_id()->set_value("t1");
  known.set_state(mesos::TASK_STAGING);
  *known.mutable_slave_id() = offer->slave_id();
  mesos::TaskStatus unknown;
  unknown.mutable_task_id()->set_value("nope");
  unknown.set_state(mesos::TASK_STAGING);
  EXPECT_EQ(driver.reconcileTasks({known, unknown}), mesos::DRIVER_RUNNING);
  EXPECT_TRUE(
      scheduler.waitUpdate("t1", mesos::TASK_RUNNING, mesos::TaskStatus::REASON_RECONCILIATION));
  auto lost = scheduler.waitUpdate("nope", mesos::TASK_LOST);
  EXPECT_TRUE(lost || scheduler.waitUpdate("nope", mesos::TASK_UNKNOWN, std::nullopt, 1s));

  scheduler.with([](auto& s) { return s.updates_.clear(), 0; });
  EXPECT_EQ(driver.reconcileTasks({}), mesos::DRIVER_RUNNING);
  EXPECT_TRUE(
      scheduler.waitUpdate("t1", mesos::TASK_RUNNING, mesos::TaskStatus::REASON_RECONCILIATION));
  driver.stop();
}

TEST(Driver, ExecutorExitIsReportedAsExecutorLost) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:1024");
  RecordingScheduler scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, frameworkInfo(), masterUrl(cluster));
  ASSERT_EQ(driver.start(), mesos::DRIVER_RUNNING);
  auto offer = scheduler.takeOffer();
  ASSERT_TRUE(offer);
  driver.launchTasks(offer->id(), {exampleTask(*offer, "t1")});
  ASSERT_TRUE(scheduler.waitUpdate("t1", mesos::TASK_RUNNING));
  mesos::ExecutorID executor_id;
  executor_id.set_value("example");
  driver.sendFrameworkMessage(executor_id, offer->slave_id(), "exit");
  EXPECT_TRUE(eventually(
      [&] { return scheduler.with([](auto& s) { return !s.executors_lost_.empty(); }); }));
  auto lost = scheduler.with([](auto& s) { return s.executors_lost_; });
  ASSERT_FALSE(lost.empty());
  EXPECT_EQ(lost[0].first, "example");
  EXPECT_TRUE(WIFEXITED(lost[0].second) && WEXITSTATUS(lost[0].second) == 3) << lost[0].second;
  EXPECT_TRUE(scheduler.waitUpdate("t1", mesos::TASK_FAILED) ||
              scheduler.waitUpdate("t1", mesos::TASK_LOST, std::nullopt, 1s));
  driver.stop();
}

TEST(Driver, ExplicitAcknowledgementsGateTheNextUpdate) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:1024");
  RecordingScheduler scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, frameworkInfo(), masterUrl(cluster), false);
  ASSERT_EQ(driver.start(), mesos::DRIVER_RUNNING);
  auto offer = scheduler.takeOffer();
  ASSERT_TRUE(offer);
  driver.launchTasks(offer->id(), {exampleTask(*offer, "t1", "finish")});
  auto running = scheduler.waitUpdate("t1", mesos::TASK_RUNNING);
  ASSERT_TRUE(running);
  ASSERT_TRUE(running->has_uuid());
  // The agent holds TASK_FINISHED back until TASK_RUNNING is acknowledged.
  EXPECT_FALSE(scheduler.waitUpdate("t1", mesos::TASK_FINISHED, std::nullopt, 1s));
  EXPECT_EQ(driver.acknowledgeStatusUpdate(*running), mesos::DRIVER_RUNNING);
  auto finished = scheduler.waitUpdate("t1", mesos::TASK_FINISHED);
  ASSERT_TRUE(finished);
  EXPECT_EQ(driver.acknowledgeStatusUpdate(*finished), mesos::DRIVER_RUNNING);
  driver.stop();
}

TEST(Driver, ResubscribesWithItsIdAfterTheMasterRestarts) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:1024");
  RecordingScheduler scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, frameworkInfo(), masterUrl(cluster));
  ASSERT_EQ(driver.start(), mesos::DRIVER_RUNNING);
  ASSERT_TRUE(eventually([&] { return scheduler.with([](auto& s) { return s.registered_; }); }));
  std::string id = scheduler.with([](auto& s) { return s.framework_id_; });

  cluster.restartMaster();
  EXPECT_TRUE(eventually([&] { return scheduler.with([](auto& s) { return s.disconnected_; }); }));
  EXPECT_TRUE(eventually([&] { return scheduler.with([](auto& s) { return s.reregistered_; }); }));
  EXPECT_EQ(scheduler.with([](auto& s) { return s.registered_; }), 1);
  EXPECT_NE(cluster.get("/master/state").find(id), std::string::npos);
  // The framework is usable again: offers flow once the agent is back.
  EXPECT_TRUE(scheduler.takeOffer(30s));
  driver.stop();
}

// With masters elected through ZooKeeper the driver follows the leader: the framework keeps
// its id and its running task across the leader's death.
TEST(Driver, FollowsTheLeaderThroughZooKeeperAndKeepsItsTasks) {
  HaCluster cluster(2);
  int leader = -1;
  ASSERT_TRUE(eventually([&] { return (leader = cluster.leader()) >= 0; }, 30s));
  cluster.addAgent("cpus:2;mem:1024");
  ASSERT_TRUE(eventually([&] { return cluster.activeAgents(leader) == 1; }, 30s));
  RecordingScheduler scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, frameworkInfo(), cluster.zkUrl());
  ASSERT_EQ(driver.start(), mesos::DRIVER_RUNNING);
  auto offer = scheduler.takeOffer(30s);
  ASSERT_TRUE(offer);
  std::string id = scheduler.with([](auto& s) { return s.framework_id_; });
  EXPECT_EQ(driver.launchTasks(offer->id(), {exampleTask(*offer, "survivor")}),
            mesos::DRIVER_RUNNING);
  ASSERT_TRUE(scheduler.waitUpdate("survivor", mesos::TASK_RUNNING));

  cluster.master(leader).kill(SIGKILL);
  cluster.master(leader).wait();
  EXPECT_TRUE(
      eventually([&] { return scheduler.with([](auto& s) { return s.reregistered_; }); }, 30s));
  EXPECT_EQ(scheduler.with([](auto& s) { return s.framework_id_; }), id);
  // Implicit reconciliation answers for the tasks the new leader knows: wait until the agent,
  // and with it the task, is back (as a framework would retry until it is).
  int next = -1;
  ASSERT_TRUE(eventually(
      [&] {
        return (next = cluster.leader()) >= 0 && next != leader && cluster.activeAgents(next) == 1;
      },
      30s));
  scheduler.with([](auto& s) {
    s.updates_.clear();
    return 0;
  });
  EXPECT_EQ(driver.reconcileTasks({}), mesos::DRIVER_RUNNING);
  auto latest = scheduler.waitUpdate("survivor", mesos::TASK_RUNNING,
                                     mesos::TaskStatus::REASON_RECONCILIATION, 30s);
  EXPECT_TRUE(latest.has_value());
  driver.stop();
}

}  // namespace
}  // namespace plateau::testing
