// The operator feed's SUBSCRIBED snapshot rendered elsewhere (as the master forks it): the
// snapshot is of the books when the subscriber came, the changes reported meanwhile are held and
// follow it in order, none lost and none told twice, whatever happens to the render.

#include "master/operator_feed.h"

#include <set>

#include <gtest/gtest.h>
#include <mesos/v1/master/master.pb.h>
#include <spdlog/sinks/null_sink.h>

#include "fakes/fake_http.h"
#include "fakes/virtual_time.h"

namespace plateau::master {
namespace {

using namespace std::chrono_literals;
using testing::FakeExchange;
using testing::VirtualTime;
namespace v1 = mesos::v1;
namespace operator_api = mesos::v1::master;
using Event = operator_api::Event;

// The books of one framework, an offload that renders at once and hands the bytes back when
// the test says (or refuses, or fails), and the feed over them.
struct Fixture {
  VirtualTime time;
  FrameworkBook frameworks{time, 15s, 10, {}};
  AgentBook agents{time, time, 15s, 5, {}};
  TaskBook tasks{100};
  OfferBook offers{time, 0s, [](const std::string&) {}};
  RoleBook roles;
  DrainBook drains;
  bool offload = true;
  std::vector<std::pair<std::string, std::function<void(std::optional<std::string>)>>> away;
  OperatorFeed feed{
      time,
      std::make_shared<spdlog::logger>("feed", std::make_shared<spdlog::sinks::null_sink_mt>()),
      Books{frameworks, agents, tasks, offers, roles, drains},
      [this](const std::function<std::string()>& render,
             std::function<void(std::optional<std::string>)> done) {
        if (!offload) {
          return false;
        }
        away.emplace_back(render(), std::move(done));
        return true;
      }};

  Fixture() {
    Framework& fw = frameworks.add("f1").first;
    fw.info.set_user("tester");
    fw.info.set_name("feed");
    fw.info.mutable_id()->set_value("f1");
  }

  const v1::Task& addTask(const std::string& id) {
    Task task;
    task.info.set_name(id);
    task.info.mutable_task_id()->set_value(id);
    task.info.mutable_framework_id()->set_value("f1");
    task.info.mutable_agent_id()->set_value("a1");
    task.info.set_state(v1::TASK_STAGING);
    const Task& added = tasks.add("f1", std::move(task));
    feed.taskAdded(added);
    return added.info;
  }
  void run(const std::string& id) {
    Task* task = tasks.find("f1", id);
    v1::TaskStatus status;
    *status.mutable_task_id() = task->info.task_id();
    status.set_state(v1::TASK_RUNNING);
    tasks.update(*task, status, v1::TASK_RUNNING);
    feed.taskUpdated(task->info, status);
  }
  std::shared_ptr<FakeExchange> subscribe() {
    auto exchange = std::make_shared<FakeExchange>();
    feed.subscribe(http::ContentType::kProtobuf, http::Responder(exchange));
    return exchange;
  }
  // Hands back the oldest render still away, or its failure.
  void release(bool failed = false) {
    auto [bytes, done] = std::move(away.front());
    away.erase(away.begin());
    done(failed ? std::nullopt : std::optional<std::string>(std::move(bytes)));
  }
};

// The events as "SUBSCRIBED:t1,t2" / "TASK_ADDED:t3" / "TASK_UPDATED:t1".
std::vector<std::string> describe(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    std::string line = Event::Type_Name(e.type()) + ":";
    if (e.type() == Event::SUBSCRIBED) {
      std::set<std::string> tasks;  // in task id order, whatever the books' order
      for (const auto& t : e.subscribed().get_state().get_tasks().tasks()) {
        tasks.insert(t.task_id().value() + (t.state() == v1::TASK_RUNNING ? "(running)," : ","));
      }
      for (const auto& t : tasks) {
        line += t;
      }
    } else if (e.type() == Event::TASK_ADDED) {
      line += e.task_added().task().task_id().value();
    } else if (e.type() == Event::TASK_UPDATED) {
      line += e.task_updated().status().task_id().value();
    }
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> eventsOf(const std::shared_ptr<FakeExchange>& exchange) {
  auto events = exchange->stream()->take<Event>();
  EXPECT_TRUE(events.has_value());
  return describe(events.value_or(std::vector<Event>{}));
}

TEST(OperatorFeed, ChangesDuringTheRenderFollowTheSnapshotInOrder) {
  Fixture f;
  f.addTask("t1");
  auto exchange = f.subscribe();
  ASSERT_EQ(exchange->response()->status, 200);  // the stream opens at once
  f.addTask("t2");
  f.run("t1");
  EXPECT_TRUE(eventsOf(exchange).empty());  // held until the snapshot is back
  f.release();
  EXPECT_EQ(eventsOf(exchange),
            (std::vector<std::string>{"SUBSCRIBED:t1,", "TASK_ADDED:t2", "TASK_UPDATED:t1"}));
  f.run("t2");
  EXPECT_EQ(eventsOf(exchange), (std::vector<std::string>{"TASK_UPDATED:t2"}));
}

TEST(OperatorFeed, AFailedRenderClosesTheSubscriberInsteadOfRenderingOnTheLoop) {
  Fixture f;
  f.addTask("t1");
  auto failed = f.subscribe();
  auto other = f.subscribe();
  f.addTask("t2");
  f.run("t1");
  ASSERT_EQ(f.feed.subscribers(), 2u);
  f.release(/*failed=*/true);
  EXPECT_TRUE(failed->stream()->closed());
  EXPECT_TRUE(eventsOf(failed).empty());  // no snapshot, no held change
  EXPECT_EQ(f.feed.subscribers(), 1u);
  f.release();  // the other subscriber's render is unaffected
  EXPECT_FALSE(other->stream()->closed());
  EXPECT_EQ(eventsOf(other),
            (std::vector<std::string>{"SUBSCRIBED:t1,", "TASK_ADDED:t2", "TASK_UPDATED:t1"}));
  f.run("t2");
  EXPECT_TRUE(eventsOf(failed).empty());
  EXPECT_EQ(eventsOf(other), (std::vector<std::string>{"TASK_UPDATED:t2"}));
}

TEST(OperatorFeed, SubscribersWaitingAndLiveEachGetEveryChangeOnce) {
  Fixture f;
  f.offload = false;
  auto live = f.subscribe();  // rendered at once
  EXPECT_EQ(eventsOf(live), (std::vector<std::string>{"SUBSCRIBED:"}));
  f.offload = true;
  f.addTask("t1");
  auto waiting = f.subscribe();
  auto closed = f.subscribe();
  f.addTask("t2");
  closed->stream()->end();  // the subscriber went away while its snapshot rendered
  f.release();
  f.release();
  EXPECT_EQ(eventsOf(live), (std::vector<std::string>{"TASK_ADDED:t1", "TASK_ADDED:t2"}));
  EXPECT_EQ(eventsOf(waiting), (std::vector<std::string>{"SUBSCRIBED:t1,", "TASK_ADDED:t2"}));
  EXPECT_EQ(f.feed.subscribers(), 2u);
}

}  // namespace
}  // namespace plateau::master
