#include "apps/orchestrator.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include "fakes/virtual_time.h"

namespace plateau::apps {
namespace {

using namespace std::chrono_literals;

class RecordingDriver final : public Driver {
 public:
  void launch(const OfferView& offer, const std::vector<LaunchSpec>& tasks) override {
    for (const auto& t : tasks) {
      launched.push_back({t.task_id, offer.agent_id});
    }
  }
  void decline(const std::string& offer_id, double) override { declined.push_back(offer_id); }
  void kill(const std::string& task_id, const std::string&, std::optional<int>) override {
    killed.push_back(task_id);
  }
  void wantOffers(bool w) override { wanted.push_back(w); }
  void reconcile(const std::vector<std::pair<std::string, std::string>>& tasks) override {
    reconciled += tasks.size();
  }

  std::vector<std::pair<std::string, std::string>> launched;
  std::vector<std::string> declined;
  std::vector<std::string> killed;
  std::vector<bool> wanted;
  size_t reconciled = 0;
};

// Probes answered by the test: each call waits in `pending` until answered.
class FakeProber final : public Prober {
 public:
  struct Call {
    std::string protocol, host;
    uint32_t port;
    std::function<void(ProbeResult)> done;
  };
  void probe(const HealthCheck& check, const std::string& host, uint32_t port,
             std::function<void(ProbeResult)> done) override {
    pending.push_back({check.protocol, host, port, std::move(done)});
  }
  // Answers every pending probe with `result`; returns how many there were.
  size_t answerAll(const ProbeResult& result) {
    auto calls = std::move(pending);
    pending.clear();
    for (auto& c : calls) c.done(result);
    return calls.size();
  }
  std::vector<Call> pending;
};

class OrchestratorTest : public ::testing::Test {
 protected:
  OrchestratorTest() { make(); }

  void make() {
    orchestrator_ = std::make_unique<Orchestrator>(
        time_, time_, *store_, driver_,
        [this](std::string_view type, std::string) { events_.emplace_back(type); },
        std::make_shared<spdlog::logger>("apps", std::make_shared<spdlog::sinks::null_sink_mt>()),
        7);
    orchestrator_->setProber(&prober_);
    ASSERT_TRUE(orchestrator_->recover().isOk());
    orchestrator_->onSubscribed("fw-1");
  }

  OfferView offer(const std::string& agent, double cpus = 4) {
    return {.id = "o" + std::to_string(++offers_),
            .agent_id = agent,
            .place = {agent, {}},
            .cpus = cpus,
            .mem = 4096,
            .disk = 0,
            .gpus = 0,
            .port_ranges = {{31000, 31100}}};
  }

  App app(const std::string& id, int instances) {
    App a;
    a.id = id;
    a.cmd = "sleep 1000";
    a.cpus = 0.5;
    a.mem = 32;
    a.instances = instances;
    return a;
  }

  void status(const std::string& task_id, const std::string& state,
              std::optional<bool> healthy = std::nullopt) {
    orchestrator_->onStatus({.task_id = task_id,
                             .agent_id = "a1",
                             .state = state,
                             .healthy = healthy,
                             .message = "",
                             .reason = ""});
  }

  testing::VirtualTime time_;
  std::unique_ptr<service::KvStore> store_ = service::makeMemoryStore();
  RecordingDriver driver_;
  FakeProber prober_;
  std::vector<std::string> events_;
  std::unique_ptr<Orchestrator> orchestrator_;
  int offers_ = 0;
};

TEST_F(OrchestratorTest, LaunchesOnOffersAndSuppressesOnceSettled) {
  ASSERT_EQ(driver_.wanted, (std::vector<bool>{false}));  // nothing to do: suppressed
  ASSERT_TRUE(orchestrator_->createApp(app("/web", 2)).has_value());
  EXPECT_EQ(driver_.wanted.back(), true);  // revived for the new work
  orchestrator_->onOffers({offer("a1")});
  ASSERT_EQ(driver_.launched.size(), 2u);
  EXPECT_EQ(driver_.wanted.back(), false);  // all launched: suppressed again
  EXPECT_EQ(orchestrator_->deployments().size(), 1u);
  for (const auto& [task, agent] : driver_.launched) {
    status(task, "TASK_RUNNING");
  }
  EXPECT_TRUE(orchestrator_->deployments().empty());
  EXPECT_NE(std::find(events_.begin(), events_.end(), "deployment_success"), events_.end());
}

TEST_F(OrchestratorTest, ReplacesFailedTasksAfterTheBackoff) {
  App a = app("/web", 1);
  a.backoff_seconds = 10;
  ASSERT_TRUE(orchestrator_->createApp(a).has_value());
  orchestrator_->onOffers({offer("a1")});
  ASSERT_EQ(driver_.launched.size(), 1u);
  status(driver_.launched[0].first, "TASK_RUNNING");
  status(driver_.launched[0].first, "TASK_FAILED");
  EXPECT_EQ(driver_.wanted.back(), false);  // waiting out the delay: no offers wanted
  orchestrator_->onOffers({offer("a1")});
  EXPECT_EQ(driver_.launched.size(), 1u);
  ASSERT_EQ(orchestrator_->queue().size(), 1u);
  EXPECT_GT(orchestrator_->queue()[0].delay_left_seconds, 0);
  time_.advance(11s);
  EXPECT_EQ(driver_.wanted.back(), true);
  orchestrator_->onOffers({offer("a1")});
  EXPECT_EQ(driver_.launched.size(), 2u);
}

TEST_F(OrchestratorTest, ChangesToAnAppInADeploymentAreRefusedUnlessForced) {
  auto created = orchestrator_->createApp(app("/web", 1));
  ASSERT_TRUE(created.has_value());
  auto refused = orchestrator_->putApp(app("/web", 3), false);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().status, 409);
  EXPECT_EQ(refused.error().deployment_ids, (std::vector<std::string>{created->deployment_id}));
  EXPECT_TRUE(orchestrator_->putApp(app("/web", 3), true).has_value());
  EXPECT_EQ(orchestrator_->app("/web")->instances, 3);
}

TEST_F(OrchestratorTest, RecoversAppsInstancesAndFrameworkIdFromTheStore) {
  ASSERT_TRUE(orchestrator_->createApp(app("/web", 2)).has_value());
  orchestrator_->onOffers({offer("a1")});
  ASSERT_EQ(driver_.launched.size(), 2u);
  status(driver_.launched[0].first, "TASK_RUNNING");
  orchestrator_.reset();
  driver_ = RecordingDriver();
  make();
  EXPECT_EQ(orchestrator_->frameworkId(), "fw-1");
  EXPECT_EQ(orchestrator_->instances().size(), 2u);
  EXPECT_EQ(driver_.reconciled, 2u);  // both known tasks reconciled
  orchestrator_->onOffers({offer("a1")});
  EXPECT_TRUE(driver_.launched.empty());  // nothing duplicated
  // A task the master reports that we never launched is killed.
  status("stranger.1", "TASK_RUNNING");
  EXPECT_EQ(driver_.killed, (std::vector<std::string>{"stranger.1"}));
}

TEST_F(OrchestratorTest, DeleteKillsEveryTaskAndEndsWhenTheyAreGone) {
  ASSERT_TRUE(orchestrator_->createApp(app("/web", 2)).has_value());
  orchestrator_->onOffers({offer("a1")});
  for (const auto& [task, agent] : driver_.launched) {
    status(task, "TASK_RUNNING");
  }
  ASSERT_TRUE(orchestrator_->deleteApp("/web", false).has_value());
  EXPECT_EQ(driver_.killed.size(), 2u);
  EXPECT_EQ(orchestrator_->app("/web"), nullptr);
  for (const auto& [task, agent] : driver_.launched) {
    status(task, "TASK_KILLED");
  }
  EXPECT_TRUE(orchestrator_->deployments().empty());
  EXPECT_NE(std::find(events_.begin(), events_.end(), "app_terminated_event"), events_.end());
}

TEST_F(OrchestratorTest, StagingPastTheLaunchTimeoutIsKilled) {
  ASSERT_TRUE(orchestrator_->createApp(app("/web", 1)).has_value());
  orchestrator_->onOffers({offer("a1")});
  ASSERT_EQ(driver_.launched.size(), 1u);
  time_.advance(301s);
  EXPECT_EQ(driver_.killed, (std::vector<std::string>{driver_.launched[0].first}));
}

TEST(TaskIdTest, NamesTheAppAndReadsBack) {
  std::string id = taskIdFor("/shop/web", "1234-5678");
  EXPECT_EQ(id, "shop_web.1234-5678");
  EXPECT_EQ(appIdOfTask(id), "/shop/web");
}

// A bulk change is one deployment over all its apps; cancelling it rolls all of them back, again
// in one deployment.
TEST_F(OrchestratorTest, BulkChangesAreOneDeploymentAndRollBackTogether) {
  auto change = orchestrator_->putApps({app("/a", 1), app("/b", 2)}, false);
  ASSERT_TRUE(change.has_value());
  ASSERT_EQ(orchestrator_->deployments().size(), 1u);
  const Deployment& d = orchestrator_->deployments().at(change->deployment_id);
  ASSERT_EQ(d.parts.size(), 2u);
  EXPECT_TRUE(d.affects("/a") && d.affects("/b"));
  EXPECT_EQ(d.steps(), 2u);  // StartApplication, then ScaleApplication, for both
  EXPECT_EQ(orchestrator_->deploymentsOf("/b"), (std::vector<std::string>{change->deployment_id}));
  orchestrator_->onOffers({offer("a1")});
  ASSERT_EQ(driver_.launched.size(), 3u);
  status(driver_.launched[0].first, "TASK_RUNNING");
  EXPECT_EQ(orchestrator_->deployments().size(), 1u);  // not until every app is there

  auto rollback = orchestrator_->cancelDeployment(change->deployment_id, false);
  ASSERT_TRUE(rollback.has_value() && rollback->has_value());
  ASSERT_EQ(orchestrator_->deployments().size(), 1u);
  const Deployment& back = orchestrator_->deployments().begin()->second;
  EXPECT_EQ(back.parts.size(), 2u);
  EXPECT_EQ(orchestrator_->apps().size(), 0u);  // both were new: both removed
  for (const auto& [task, agent] : driver_.launched) status(task, "TASK_KILLED");
  EXPECT_TRUE(orchestrator_->deployments().empty());
  EXPECT_EQ(std::count(events_.begin(), events_.end(), "app_terminated_event"), 2);
}

// A readiness check holds the deployment (and the old tasks of a rolling restart) until the new
// task answers one of its status codes.
TEST_F(OrchestratorTest, ReadinessChecksGateTheDeployment) {
  App a = app("/web", 1);
  a.port_definitions[0].name = "http-api";
  ReadinessCheck check;
  check.interval_seconds = 2;
  check.timeout_seconds = 1;
  check.status_codes = {200};
  a.readiness_checks = {check};
  a.minimum_health_capacity = 1;
  a.maximum_over_capacity = 1;
  ASSERT_TRUE(orchestrator_->createApp(a).has_value());
  orchestrator_->onOffers({offer("a1")});
  std::string first = driver_.launched.at(0).first;
  status(first, "TASK_RUNNING");
  time_.advance(1s);
  ASSERT_EQ(prober_.pending.size(), 1u);
  EXPECT_EQ(prober_.pending[0].port, 31000u);
  prober_.answerAll({.status = 503});
  EXPECT_EQ(orchestrator_->deployments().size(), 1u);  // not ready yet
  time_.advance(2s);
  prober_.answerAll({.ok = true, .status = 200});
  EXPECT_TRUE(orchestrator_->deployments().empty());

  // A restart: the old task stays until the new one is ready.
  ASSERT_TRUE(orchestrator_->restartApp("/web", false).has_value());
  orchestrator_->onOffers({offer("a1")});
  ASSERT_EQ(driver_.launched.size(), 2u);
  std::string second = driver_.launched[1].first;
  status(second, "TASK_RUNNING");
  time_.advance(1s);
  EXPECT_TRUE(driver_.killed.empty());
  prober_.answerAll({.ok = true, .status = 200});
  EXPECT_EQ(driver_.killed, (std::vector<std::string>{first}));
}

// After a restart (or a failover) a healthy task is neither unknown for ever nor killed for
// failing while the restarted service's checks had no chance yet.
TEST_F(OrchestratorTest, HealthIsKeptAndRelearnedAcrossARestart) {
  App a = app("/web", 1);
  HealthCheck agent;
  agent.protocol = "MESOS_TCP";
  HealthCheck tcp;
  tcp.protocol = "TCP";
  tcp.interval_seconds = 1;
  tcp.grace_period_seconds = 5;
  tcp.max_consecutive_failures = 3;
  a.health_checks = {agent, tcp};
  ASSERT_TRUE(orchestrator_->createApp(a).has_value());
  orchestrator_->onOffers({offer("a1")});
  std::string task = driver_.launched.at(0).first;
  status(task, "TASK_RUNNING", true);
  time_.advance(1s);
  prober_.answerAll({.ok = true});
  ASSERT_EQ(orchestrator_->instances().at(task).healthy, true);

  orchestrator_.reset();
  prober_.pending.clear();
  make();
  // The stored verdict stands until checks answer again; a repeated agent verdict is learned.
  EXPECT_EQ(orchestrator_->instances().at(task).healthy, true);
  status(task, "TASK_RUNNING", true);
  // Failures right after the restart fall in the grace period: not counted, nothing killed.
  time_.advance(1s);
  prober_.answerAll({.cause = "refused"});
  EXPECT_EQ(orchestrator_->instances().at(task).healthy, true);
  EXPECT_TRUE(driver_.killed.empty());
  // Once the service's check passed, one failure makes the task unhealthy, and the next pass
  // healthy again: the agent's half of the verdict is known, not waited for.
  time_.advance(1s);
  prober_.answerAll({.ok = true});
  time_.advance(1s);
  prober_.answerAll({.cause = "refused"});
  EXPECT_EQ(orchestrator_->instances().at(task).healthy, false);
  time_.advance(1s);
  prober_.answerAll({.ok = true});
  EXPECT_EQ(orchestrator_->instances().at(task).healthy, true);
  EXPECT_TRUE(driver_.killed.empty());
  // The agent's check failing is heard too.
  status(task, "TASK_RUNNING", false);
  EXPECT_EQ(orchestrator_->instances().at(task).healthy, false);
}

namespace plateau::apps {
namespace {

TEST_F(OrchestratorTest, ServiceHealthChecksAllCountAndKillAfterMaxConsecutiveFailures) {
  App a = app("/web", 1);
  HealthCheck http;
  http.protocol = "HTTP";
  http.path = "/health";
  http.interval_seconds = 5;
  http.grace_period_seconds = 10;
  http.max_consecutive_failures = 2;
  HealthCheck tcp = http;
  tcp.protocol = "TCP";
  a.health_checks = {http, tcp};
  ASSERT_TRUE(orchestrator_->createApp(a).has_value());
  orchestrator_->onOffers({offer("a1")});
  ASSERT_EQ(driver_.launched.size(), 1u);
  std::string task = driver_.launched[0].first;
  status(task, "TASK_RUNNING");
  time_.advance(1s);
  ASSERT_EQ(prober_.pending.size(), 2u);  // both checks probe, on the task's host and port
  EXPECT_EQ(prober_.pending[0].host, "a1");
  EXPECT_EQ(prober_.pending[0].port, 31000u);
  // Failing within the grace period: not counted, the task is neither healthy nor killed.
  prober_.answerAll({.cause = "refused"});
  EXPECT_FALSE(orchestrator_->instances().at(task).healthy.has_value());
  time_.advance(5s);
  // Both succeed: healthy, and the deployment (which waits for health) is done.
  EXPECT_EQ(prober_.answerAll({.ok = true}), 2u);
  EXPECT_EQ(orchestrator_->instances().at(task).healthy, true);
  EXPECT_TRUE(orchestrator_->deployments().empty());
  EXPECT_NE(std::find(events_.begin(), events_.end(), "health_status_changed_event"),
            events_.end());
  // One check failing makes the task unhealthy; twice in a row kills and replaces it.
  time_.advance(5s);
  ASSERT_EQ(prober_.pending.size(), 2u);
  prober_.pending[0].done({.ok = true});
  prober_.pending[1].done({.cause = "refused"});
  prober_.pending.clear();
  EXPECT_EQ(orchestrator_->instances().at(task).healthy, false);
  EXPECT_TRUE(driver_.killed.empty());
  time_.advance(5s);
  ASSERT_EQ(prober_.pending.size(), 2u);
  prober_.answerAll({.cause = "refused"});
  ASSERT_EQ(driver_.killed, (std::vector<std::string>{task}));
  EXPECT_NE(std::find(events_.begin(), events_.end(), "unhealthy_instance_kill_event"),
            events_.end());
  status(task, "TASK_KILLED");
  orchestrator_->onOffers({offer("a1")});
  EXPECT_EQ(driver_.launched.size(), 2u);  // replaced, without a launch delay
}

TEST_F(OrchestratorTest, ZeroMaxConsecutiveFailuresOnlyMarksUnhealthy) {
  App a = app("/web", 1);
  HealthCheck tcp;
  tcp.protocol = "TCP";
  tcp.interval_seconds = 1;
  tcp.grace_period_seconds = 0;
  tcp.max_consecutive_failures = 0;
  a.health_checks = {tcp};
  ASSERT_TRUE(orchestrator_->createApp(a).has_value());
  orchestrator_->onOffers({offer("a1")});
  std::string task = driver_.launched.at(0).first;
  status(task, "TASK_RUNNING");
  for (int k = 0; k < 20; ++k) {
    time_.advance(1s);
    prober_.answerAll({.cause = "refused"});
  }
  EXPECT_EQ(orchestrator_->instances().at(task).healthy, false);
  EXPECT_EQ(orchestrator_->instances().at(task).checks.at(0).consecutive_failures, 20);
  EXPECT_TRUE(driver_.killed.empty());
}

}  // namespace
}  // namespace plateau::apps

namespace plateau::apps {
namespace {

TEST_F(OrchestratorTest, AnExpungedUnreachableInstanceThatReturnsIsKeptWithinTheCount) {
  App a = app("/web", 2);
  a.unreachable_inactive_after_seconds = 10;
  a.unreachable_expunge_after_seconds = 20;
  ASSERT_TRUE(orchestrator_->createApp(a).has_value());
  orchestrator_->onOffers({offer("a1")});
  ASSERT_EQ(driver_.launched.size(), 2u);
  std::string lost = driver_.launched[0].first;
  std::string other = driver_.launched[1].first;
  status(lost, "TASK_RUNNING");
  status(other, "TASK_RUNNING");
  status(lost, "TASK_UNREACHABLE");
  time_.advance(21s);  // inactive, then expunged: forgotten
  EXPECT_FALSE(orchestrator_->instances().contains(lost));
  driver_.killed.clear();
  // Comes back before its replacement launched: the app has room, so it is kept as it was.
  status(lost, "TASK_RUNNING");
  ASSERT_TRUE(orchestrator_->instances().contains(lost));
  EXPECT_EQ(orchestrator_->instances().at(lost).state, "TASK_RUNNING");
  EXPECT_TRUE(driver_.killed.empty());
  orchestrator_->onOffers({offer("a1")});
  EXPECT_EQ(driver_.launched.size(), 2u);  // no replacement needed any more
  // A task that comes back when the app is full is killed.
  status(other, "TASK_UNREACHABLE");
  time_.advance(21s);
  orchestrator_->onOffers({offer("a1")});
  ASSERT_EQ(driver_.launched.size(), 3u);  // replaced
  status(driver_.launched[2].first, "TASK_RUNNING");
  driver_.killed.clear();
  status(other, "TASK_RUNNING");
  EXPECT_EQ(driver_.killed, (std::vector<std::string>{other}));
  EXPECT_FALSE(orchestrator_->instances().contains(other));
}

}  // namespace
}  // namespace plateau::apps

TEST_F(OrchestratorTest, AnEventPlansOnlyTheAppsItConcerns) {
  ASSERT_TRUE(orchestrator_->createApp(app("/a", 1)).has_value());
  ASSERT_TRUE(orchestrator_->createApp(app("/b", 2)).has_value());
  orchestrator_->onOffers({offer("a1")});
  ASSERT_EQ(driver_.launched.size(), 3u);
  std::string a_task;
  for (const auto& [task, agent] : driver_.launched) {
    status(task, "TASK_RUNNING");
    if (task.starts_with("a.")) {
      a_task = task;
    }
  }
  ASSERT_TRUE(orchestrator_->deployments().empty());
  EXPECT_EQ(orchestrator_->countsOf("/b").running, 2);
  orchestrator_->evaluate();  // the apps the finished deployments held, planned once more
  uint64_t before = orchestrator_->appsPlanned();
  orchestrator_->evaluate();
  EXPECT_EQ(orchestrator_->appsPlanned(), before);  // nothing changed: nothing planned

  status(a_task, "TASK_FAILED");
  EXPECT_EQ(orchestrator_->appsPlanned(), before + 1);  // /a alone, not /b
  EXPECT_EQ(orchestrator_->countsOf("/a").running, 0);
  EXPECT_EQ(orchestrator_->countsOf("/b").running, 2);
  ASSERT_EQ(orchestrator_->queue().size(), 1u);
  EXPECT_EQ(orchestrator_->queue().front().app_id, "/a");
}

}  // namespace
}  // namespace plateau::apps
