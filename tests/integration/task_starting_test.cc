// TASK_STARTING from the built-in executors, as Mesos's send it since 1.5: every task's updates
// reach the scheduler as STARTING, RUNNING, then the end, in that order, however many tasks
// start at once; health checks begin only once the task is RUNNING. These tests read every
// update (Scheduler::nextUpdate passes TASK_STARTING over).

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "common/task_state.h"
#include "harness.h"

namespace plateau::testing {
namespace {

using States = std::vector<std::string>;

v1::TaskInfo sleeper(const v1::Offer& offer, const std::string& id, const std::string& seconds) {
  v1::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  *task.mutable_agent_id() = offer.agent_id();
  *task.mutable_resources() = resources("cpus:0.1;mem:16");
  task.mutable_command()->set_value("sleep " + seconds);
  return task;
}

// Every update, acknowledged, by task, until `count` tasks ended (or the timeout passed).
std::map<std::string, std::vector<v1::TaskStatus>> updatesUntilEnded(Scheduler& s, size_t count) {
  std::map<std::string, std::vector<v1::TaskStatus>> by_task;
  size_t ended = 0;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (ended < count && std::chrono::steady_clock::now() < deadline) {
    auto event = s.next(scheduler::Event::UPDATE, 5s);
    if (!event) {
      continue;
    }
    const v1::TaskStatus& status = event->update().status();
    if (status.has_uuid()) {
      s.acknowledge(status);
    }
    by_task[status.task_id().value()].push_back(status);
    ended += isTerminal(status.state()) ? 1 : 0;
  }
  return by_task;
}

States statesOf(const std::vector<v1::TaskStatus>& updates) {
  States states;
  for (const auto& u : updates) {
    states.push_back(v1::TaskState_Name(u.state()));
  }
  return states;
}

const States kStartRunFinish = {"TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"};

// A cluster of one agent and a scheduler subscribed to it.
class TaskStarting : public ::testing::Test {
 protected:
  // Starts the agent, subscribes as `name` and returns the first offer (nullopt on failure).
  std::optional<v1::Offer> start(const std::string& agent_resources, const std::string& name,
                                 http::ContentType content = http::ContentType::kJson) {
    cluster_.addAgent(agent_resources);
    s_ = std::make_unique<Scheduler>(cluster_.master(), content);
    v1::FrameworkInfo info;
    info.set_user("root");
    info.set_name(name);
    if (!s_->subscribe(info)) {
      return std::nullopt;
    }
    auto offers = s_->next(scheduler::Event::OFFERS);
    if (!offers || offers->offers().offers_size() == 0) {
      return std::nullopt;
    }
    return offers->offers().offers(0);
  }

  Cluster cluster_;
  std::unique_ptr<Scheduler> s_;
};

void accept(Scheduler& s, const v1::Offer& offer, v1::Offer::Operation operation) {
  scheduler::Call call;
  call.set_type(scheduler::Call::ACCEPT);
  *call.mutable_accept()->add_offer_ids() = offer.id();
  *call.mutable_accept()->add_operations() = std::move(operation);
  ASSERT_EQ(s.call(call), 202) << s.lastResponse().body;
}

// Many command executors starting at once: each sends its two updates back to back, which the
// agent once took on parallel connections and could forward crossed (RUNNING before STARTING).
TEST_F(TaskStarting, CommandTasksReportStartingThenRunningInOrder) {
  auto offer = start("cpus:8;mem:2048", "starting-burst", http::ContentType::kProtobuf);
  ASSERT_TRUE(offer);
  Scheduler& s = *s_;
  constexpr size_t kTasks = 12;
  v1::Offer::Operation launch;
  launch.set_type(v1::Offer::Operation::LAUNCH);
  for (size_t i = 0; i < kTasks; ++i) {
    *launch.mutable_launch()->add_task_infos() = sleeper(*offer, fmt::format("burst-{}", i), "0.5");
  }
  accept(s, *offer, launch);
  auto by_task = updatesUntilEnded(s, kTasks);
  ASSERT_EQ(by_task.size(), kTasks);
  for (const auto& [id, updates] : by_task) {
    EXPECT_EQ(statesOf(updates), kStartRunFinish) << id;
    EXPECT_EQ(updates.front().source(), v1::TaskStatus::SOURCE_EXECUTOR) << id;
    EXPECT_FALSE(updates.front().has_healthy()) << id;
  }

  // The master keeps the history in that order too (Task.statuses in /master/state).
  auto state = json::parse(cluster_.get("/master/state"));
  ASSERT_TRUE(state);
  const auto& completed = (*state)["frameworks"][0]["completed_tasks"].asArray();
  ASSERT_EQ(completed.size(), kTasks);
  for (const auto& task : completed) {
    States history;
    for (const auto& status : task["statuses"].asArray()) {
      history.push_back(status["state"].asString());
    }
    EXPECT_EQ(history, kStartRunFinish) << task["id"].asString();
  }
}

TEST_F(TaskStarting, DefaultExecutorGroupTasksReportStartingThenRunning) {
  auto offer = start("cpus:4;mem:1024", "starting-group");
  ASSERT_TRUE(offer);
  Scheduler& s = *s_;
  v1::Offer::Operation launch;
  launch.set_type(v1::Offer::Operation::LAUNCH_GROUP);
  auto* executor = launch.mutable_launch_group()->mutable_executor();
  executor->set_type(v1::ExecutorInfo::DEFAULT);
  executor->mutable_executor_id()->set_value("starting-group-executor");
  *executor->mutable_resources() = resources("cpus:0.1;mem:32");
  auto* group = launch.mutable_launch_group()->mutable_task_group();
  *group->add_tasks() = sleeper(*offer, "first", "0.3");
  *group->add_tasks() = sleeper(*offer, "second", "0.6");
  accept(s, *offer, launch);
  auto by_task = updatesUntilEnded(s, 2);
  ASSERT_EQ(by_task.size(), 2u);
  EXPECT_EQ(statesOf(by_task["first"]), kStartRunFinish);
  EXPECT_EQ(statesOf(by_task["second"]), kStartRunFinish);
}

// Health is reported only from TASK_RUNNING on: STARTING and the first RUNNING carry none.
TEST_F(TaskStarting, HealthChecksBeginOnlyOnceTheTaskRuns) {
  auto offer = start("cpus:2;mem:512", "starting-health");
  ASSERT_TRUE(offer);
  Scheduler& s = *s_;
  v1::TaskInfo task = sleeper(*offer, "checked", "1.5");
  auto* hc = task.mutable_health_check();
  hc->set_type(v1::HealthCheck::COMMAND);
  hc->mutable_command()->set_value("true");
  hc->set_delay_seconds(0);
  hc->set_interval_seconds(0.1);
  hc->set_grace_period_seconds(10);
  v1::Offer::Operation launch;
  launch.set_type(v1::Offer::Operation::LAUNCH);
  *launch.mutable_launch()->add_task_infos() = task;
  accept(s, *offer, launch);
  auto updates = updatesUntilEnded(s, 1)["checked"];
  ASSERT_GE(updates.size(), 4u) << fmt::format("{}", fmt::join(statesOf(updates), ", "));
  EXPECT_EQ(updates[0].state(), v1::TASK_STARTING);
  EXPECT_FALSE(updates[0].has_healthy());
  EXPECT_EQ(updates[1].state(), v1::TASK_RUNNING);
  EXPECT_FALSE(updates[1].has_healthy());
  // Then the health check's report, healthy, while it still runs.
  EXPECT_EQ(updates[2].state(), v1::TASK_RUNNING);
  EXPECT_EQ(updates[2].reason(), v1::TaskStatus::REASON_TASK_HEALTH_CHECK_STATUS_UPDATED);
  EXPECT_TRUE(updates[2].has_healthy() && updates[2].healthy());
  EXPECT_EQ(updates.back().state(), v1::TASK_FINISHED);
}

}  // namespace
}  // namespace plateau::testing
