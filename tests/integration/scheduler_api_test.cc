// The v1 scheduler API end to end: real master, real agents, real executors.

#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "common/resources.h"
#include "common/resources_proto.h"
#include "harness.h"

namespace plateau::testing {
namespace {

v1::FrameworkInfo framework(const std::string& name) {
  v1::FrameworkInfo info;
  info.set_user("root");
  info.set_name(name);
  return info;
}

// Runs one command task through subscribe/offer/accept/update/ack and returns its final status.
v1::TaskStatus runTask(Scheduler& s, const std::string& id, const std::string& command) {
  auto offers = s.next(scheduler::Event::OFFERS);
  EXPECT_TRUE(offers.has_value());
  if (!offers) return {};
  s.launch(offers->offers().offers(0), id, command, "cpus:0.1;mem:16");
  while (true) {
    auto update = s.nextUpdate();
    EXPECT_TRUE(update.has_value()) << "no update for " << id;
    if (!update) return {};
    if (update->state() != v1::TASK_RUNNING && update->state() != v1::TASK_STARTING &&
        update->state() != v1::TASK_STAGING) {
      return *update;
    }
  }
}

class SchedulerApi : public ::testing::TestWithParam<http::ContentType> {};

TEST_P(SchedulerApi, RunsTaskToFinished) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512;disk:1024;ports:[31000-31010]");
  Scheduler s(cluster.master(), GetParam());
  ASSERT_TRUE(s.subscribe(framework("runs-to-finished")));
  EXPECT_FALSE(s.frameworkId().empty());
  EXPECT_FALSE(s.streamId().empty());

  auto status = runTask(s, "hello", "echo hello from the task");
  EXPECT_EQ(status.state(), v1::TASK_FINISHED) << status.DebugString();
  EXPECT_EQ(status.source(), v1::TaskStatus::SOURCE_EXECUTOR);
  EXPECT_TRUE(status.has_uuid());

  // The task's output lands in its sandbox.
  EXPECT_TRUE(eventually(
      [&] { return cluster.get("/master/state").find("\"TASK_FINISHED\"") != std::string::npos; }));
}

TEST_P(SchedulerApi, FailingCommandReportsTaskFailed) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), GetParam());
  ASSERT_TRUE(s.subscribe(framework("fails")));
  auto status = runTask(s, "bad", "exit 3");
  EXPECT_EQ(status.state(), v1::TASK_FAILED);
  EXPECT_NE(status.message().find("status 3"), std::string::npos) << status.message();
}

INSTANTIATE_TEST_SUITE_P(Content, SchedulerApi,
                         ::testing::Values(http::ContentType::kJson, http::ContentType::kProtobuf),
                         [](const auto& info) {
                           return info.param == http::ContentType::kJson ? "Json" : "Protobuf";
                         });

TEST(SchedulerApiTest, KillTurnsRunningTaskKilled) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("killer")));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  s.launch(offers->offers().offers(0), "sleeper", "sleep 1000", "cpus:0.5;mem:32");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING);

  scheduler::Call kill;
  kill.set_type(scheduler::Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("sleeper");
  *kill.mutable_kill()->mutable_agent_id() = running->agent_id();
  ASSERT_EQ(s.call(kill), 202);
  auto killed = s.nextUpdate();
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->state(), v1::TASK_KILLED);
}

TEST(SchedulerApiTest, ReconcileAnswersFromTheMaster) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("reconciler")));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  s.launch(offers->offers().offers(0), "long", "sleep 1000", "cpus:0.5;mem:32");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING);

  // Implicit: every known task with its latest state.
  scheduler::Call implicit;
  implicit.set_type(scheduler::Call::RECONCILE);
  implicit.mutable_reconcile();
  ASSERT_EQ(s.call(implicit), 202);
  auto latest = s.nextUpdate();
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->task_id().value(), "long");
  EXPECT_EQ(latest->state(), v1::TASK_RUNNING);
  EXPECT_EQ(latest->reason(), v1::TaskStatus::REASON_RECONCILIATION);
  EXPECT_EQ(latest->source(), v1::TaskStatus::SOURCE_MASTER);
  EXPECT_FALSE(latest->has_uuid());

  // Explicit, with one unknown task: TASK_LOST for a framework that is not partition-aware.
  scheduler::Call explicit_call;
  explicit_call.set_type(scheduler::Call::RECONCILE);
  auto* known = explicit_call.mutable_reconcile()->add_tasks();
  known->mutable_task_id()->set_value("long");
  auto* unknown = explicit_call.mutable_reconcile()->add_tasks();
  unknown->mutable_task_id()->set_value("never-launched");
  ASSERT_EQ(s.call(explicit_call), 202);
  std::map<std::string, v1::TaskState> states;
  for (int i = 0; i < 2; ++i) {
    auto u = s.nextUpdate();
    ASSERT_TRUE(u);
    states[u->task_id().value()] = u->state();
  }
  EXPECT_EQ(states["long"], v1::TASK_RUNNING);
  EXPECT_EQ(states["never-launched"], v1::TASK_LOST);
}

TEST(SchedulerApiTest, TeardownKillsTasksAndCompletesFramework) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kProtobuf);
  ASSERT_TRUE(s.subscribe(framework("torn-down")));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  s.launch(offers->offers().offers(0), "t", "sleep 1000", "cpus:0.5;mem:32");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  std::string id = s.frameworkId();

  scheduler::Call teardown;
  teardown.set_type(scheduler::Call::TEARDOWN);
  ASSERT_EQ(s.call(teardown), 202);
  EXPECT_TRUE(eventually([&] {
    auto state = json::parse(cluster.get("/master/state"));
    if (!state) return false;
    for (const auto& f : (*state)["completed_frameworks"].asArray()) {
      if (f["id"].asString() == id) {
        const auto& done = f["completed_tasks"].asArray();
        return done.size() == 1 && done[0]["state"].asString() == "TASK_KILLED";
      }
    }
    return false;
  }));
  // The agent stops the executor: nothing is left running there.
  EXPECT_TRUE(eventually([&] {
    auto r = http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/state"}, 2s);
    auto state = json::parse(r ? r->body : "");
    return state && (*state)["frameworks"].asArray().empty();
  }));
  // A torn-down framework cannot come back.
  Scheduler again(cluster.master(), http::ContentType::kProtobuf);
  auto info = framework("torn-down");
  info.mutable_id()->set_value(id);
  EXPECT_FALSE(again.subscribe(info));
}

TEST(SchedulerApiTest, TwoHundredTasksOverTwoAgentsAllFinish) {
  Cluster cluster;
  cluster.addAgent("cpus:8;mem:4096");
  cluster.addAgent("cpus:8;mem:4096");
  Scheduler s(cluster.master(), http::ContentType::kProtobuf);
  ASSERT_TRUE(s.subscribe(framework("two-hundred")));
  constexpr int kTasks = 200;
  int launched = 0;
  std::set<std::string> finished;
  std::set<std::string> agents_used;
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (static_cast<int>(finished.size()) < kTasks &&
         std::chrono::steady_clock::now() < deadline) {
    if (launched < kTasks) {
      if (auto offers = s.next(scheduler::Event::OFFERS, 200ms)) {
        for (const auto& offer : offers->offers().offers()) {
          scheduler::Call accept;
          accept.set_type(scheduler::Call::ACCEPT);
          *accept.mutable_accept()->add_offer_ids() = offer.id();
          accept.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
          auto* op = accept.mutable_accept()->add_operations();
          op->set_type(v1::Offer::Operation::LAUNCH);
          auto have = resourcesFromProto(offer.resources());
          ASSERT_TRUE(have.has_value());
          auto each = *Resources::parse("cpus:0.25;mem:16");
          for (; launched < kTasks && have->contains(each); ++launched) {
            *have -= each;
            auto* task = op->mutable_launch()->add_task_infos();
            task->set_name("batch");
            task->mutable_task_id()->set_value(fmt::format("task-{}", launched));
            *task->mutable_agent_id() = offer.agent_id();
            *task->mutable_resources() = resources("cpus:0.25;mem:16");
            task->mutable_command()->set_value("true");
          }
          ASSERT_EQ(s.call(accept), 202);
        }
      }
    }
    while (auto update = s.nextUpdate(std::chrono::milliseconds(launched < kTasks ? 10 : 1000))) {
      ASSERT_NE(update->state(), v1::TASK_FAILED) << update->DebugString();
      ASSERT_NE(update->state(), v1::TASK_ERROR) << update->DebugString();
      ASSERT_NE(update->state(), v1::TASK_LOST) << update->DebugString();
      agents_used.insert(update->agent_id().value());
      if (update->state() == v1::TASK_FINISHED) {
        EXPECT_TRUE(finished.insert(update->task_id().value()).second)
            << "duplicate TASK_FINISHED for " << update->task_id().value();
      }
    }
  }
  EXPECT_EQ(finished.size(), static_cast<size_t>(kTasks));
  EXPECT_EQ(agents_used.size(), 2u);
  // Every update was acknowledged: the master moves each task to completed.
  EXPECT_TRUE(eventually([&] {
    auto state = json::parse(cluster.get("/master/state"));
    if (!state) return false;
    const auto& fw = (*state)["frameworks"][0];
    return fw["tasks"].asArray().empty() && fw["completed_tasks"].asArray().size() == kTasks;
  }));
}

TEST(SchedulerApiTest, AgentThatDisappearsTurnsTasksLost) {
  Cluster cluster({"--agent_ping_timeout=300ms", "--max_agent_ping_timeouts=2"});
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  // Checkpointing: its task outlives the agent's connection, so only the agent's removal
  // (missed pings) loses it. (Agent-restart cases: agent_recovery_test.cc.)
  auto info = framework("loses-agent");
  info.set_checkpoint(true);
  ASSERT_TRUE(s.subscribe(info));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  s.launch(offers->offers().offers(0), "doomed", "sleep 1000", "cpus:0.5;mem:32");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING);

  cluster.agent(0).kill(SIGKILL);
  cluster.agent(0).wait();
  auto lost = s.nextUpdate(10s);
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->task_id().value(), "doomed");
  EXPECT_EQ(lost->state(), v1::TASK_LOST);
  EXPECT_EQ(lost->reason(), v1::TaskStatus::REASON_AGENT_REMOVED);
  EXPECT_FALSE(lost->message().empty());
  auto failure = s.next(scheduler::Event::FAILURE, 5s);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->failure().agent_id().value(), running->agent_id().value());
}

TEST(SchedulerApiTest, FrameworkMessagesAndDeclineFilters) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("decliner")));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  // Declined for an hour: no offer for this framework until it revives.
  s.declineAll(*offers, 3600);
  EXPECT_FALSE(s.next(scheduler::Event::OFFERS, 1500ms).has_value());
  scheduler::Call revive;
  revive.set_type(scheduler::Call::REVIVE);
  ASSERT_EQ(s.call(revive), 202);
  EXPECT_TRUE(s.next(scheduler::Event::OFFERS, 5s).has_value());
}

}  // namespace
}  // namespace plateau::testing

namespace plateau::testing {
namespace {

TEST(SchedulerApiTest, ExecutorThatDiesFailsItsTaskWithAReason) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("executor-dies");
  ASSERT_TRUE(s.subscribe(info));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  s.launch(offers->offers().offers(0), "orphan", "sleep 1000", "cpus:0.5;mem:32");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING);

  // The agent's /state names the executor's pid.
  auto r = http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/state"}, 5s);
  ASSERT_TRUE(r);
  auto state = json::parse(r->body);
  ASSERT_TRUE(state);
  auto pid = (*state)["frameworks"][0]["executors"][0]["pid"].toInt64();
  ASSERT_TRUE(pid.has_value() && *pid > 0) << r->body;
  ASSERT_EQ(::kill(static_cast<pid_t>(*pid), SIGKILL), 0);

  auto failed = s.nextUpdate();
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->task_id().value(), "orphan");
  EXPECT_EQ(failed->state(), v1::TASK_FAILED);
  EXPECT_EQ(failed->reason(), v1::TaskStatus::REASON_EXECUTOR_TERMINATED);
  EXPECT_EQ(failed->source(), v1::TaskStatus::SOURCE_AGENT);
  EXPECT_NE(failed->message().find("signal 9"), std::string::npos) << failed->message();
  auto failure = s.next(scheduler::Event::FAILURE);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->failure().executor_id().value(), "orphan");
}

// Mesos's own client libraries address the processes by id; those paths work too.
TEST(SchedulerApiTest, MesosLibraryPathsAreServed) {
  Cluster cluster;
  auto r = http::fetchSync(cluster.master(),
                           {.method = "POST",
                            .path = "/master/api/v1/scheduler",
                            .headers = {{"content-type", "application/json"}},
                            .body = R"({"type": "SUBSCRIBE"})"},
                           5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);  // reached the scheduler API, which wants 'subscribe'
  EXPECT_NE(r->body.find("subscribe"), std::string::npos) << r->body;
}

}  // namespace
}  // namespace plateau::testing
