#include "jobs/scheduler.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include "fakes/virtual_time.h"

namespace plateau::jobs {
namespace {

using namespace std::chrono_literals;

// The scheduler connection, recorded.
class FakeDriver final : public Driver {
 public:
  struct Launch {
    std::string offer_id;
    std::vector<LaunchSpec> tasks;
    double at = 0;
  };
  explicit FakeDriver(const Clock& clock) : clock_(clock) {}
  bool launch(const std::string& offer_id, const std::vector<LaunchSpec>& tasks) override {
    launches.push_back({offer_id, tasks, clock_.wallSeconds()});
    return true;
  }
  void decline(const std::string& offer_id, double) override { declines.push_back(offer_id); }
  void kill(const std::string& task_id, const std::string&) override { kills.push_back(task_id); }
  void wantOffers(bool wanted) override { wants.push_back(wanted); }
  void reconcile(const std::vector<std::pair<std::string, std::string>>& tasks) override {
    reconciled.push_back(tasks);
  }

  std::vector<Launch> launches;
  std::vector<std::string> declines;
  std::vector<std::string> kills;
  std::vector<bool> wants;
  std::vector<std::vector<std::pair<std::string, std::string>>> reconciled;

 private:
  const Clock& clock_;
};

class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerTest() : store_(service::makeMemoryStore()), driver_(time_) {}

  void start() {
    scheduler_ = std::make_unique<Scheduler>(
        time_, time_, *store_, driver_,
        std::make_shared<spdlog::logger>("jobs", std::make_shared<spdlog::sinks::null_sink_mt>()),
        options_);
    ASSERT_TRUE(scheduler_->recover().isOk());
    scheduler_->onSubscribed("fw-1");
  }

  double now() const { return time_.wallSeconds(); }
  // Seconds from now as an ISO 8601 start.
  std::string at(double seconds) const { return formatTimestamp(now() + seconds); }

  void add(const std::string& json) {
    auto job = parseJob(json, JobKind::kEither, {}, now());
    ASSERT_TRUE(job.has_value()) << job.error().message();
    Status s = scheduler_->putJob(std::move(*job));
    ASSERT_TRUE(s.isOk()) << s.message();
  }

  void offer(const std::string& id = "", double cpus = 4) {
    std::string offer_id = id.empty() ? "o" + std::to_string(++offers_) : id;
    scheduler_->onOffers({OfferView{.id = offer_id,
                                    .agent_id = "agent-1",
                                    .hostname = "host-1",
                                    .cpus = cpus,
                                    .mem = 4096,
                                    .disk = 4096}});
  }

  void status(const std::string& task_id, const std::string& state) {
    scheduler_->onStatus({.task_id = task_id, .agent_id = "agent-1", .state = state});
  }

  std::string lastTask() const { return driver_.launches.back().tasks.back().task_id; }

  std::vector<const jobs::Run*> runs(const std::string& job, RunState state) const {
    std::vector<const jobs::Run*> out;
    for (const jobs::Run* r : scheduler_->runsOf(job)) {
      if (r->state == state) {
        out.push_back(r);
      }
    }
    return out;
  }

  testing::VirtualTime time_;
  std::unique_ptr<service::KvStore> store_;
  FakeDriver driver_;
  SchedulerOptions options_{.failure_retry = 1000ms, .offer_lead = 2000ms};
  std::unique_ptr<Scheduler> scheduler_;
  int offers_ = 0;
};

TEST_F(SchedulerTest, LaunchesAtEachScheduledTimeOnOffersHeldSinceTheLead) {
  start();
  add(R"({"name": "tick", "command": "true", "schedule": "R/)" + at(10) + R"(/PT5S"})");
  ASSERT_FALSE(driver_.wants.empty());
  EXPECT_FALSE(driver_.wants.back()) << "nothing is due: offers suppressed";
  double first = now() + 10;

  time_.advance(8s);
  EXPECT_TRUE(driver_.wants.back()) << "revived at the lead before the scheduled time";
  time_.advance(500ms);
  offer();
  EXPECT_TRUE(driver_.launches.empty());
  EXPECT_TRUE(driver_.declines.empty()) << "held for the run due in 1.5 s";
  time_.advance(1500ms);
  ASSERT_EQ(driver_.launches.size(), 1u);
  EXPECT_DOUBLE_EQ(driver_.launches[0].at, first);
  const auto& spec = driver_.launches[0].tasks.at(0);
  EXPECT_EQ(spec.environment.at("PLATEAU_JOB_SCHEDULED_TIME"), formatTimestamp(first));
  status(spec.task_id, "TASK_RUNNING");
  status(spec.task_id, "TASK_FINISHED");
  EXPECT_FALSE(driver_.wants.back());

  // The next four scheduled times, each on an offer that arrives during its lead.
  for (int i = 1; i <= 4; ++i) {
    time_.advance(4s);
    offer();
    time_.advance(1s);
    ASSERT_EQ(driver_.launches.size(), static_cast<size_t>(i + 1));
    EXPECT_DOUBLE_EQ(driver_.launches.back().at, first + 5 * i);
    status(lastTask(), "TASK_FINISHED");
  }
  EXPECT_EQ(scheduler_->job("tick")->success_count, 5);
  EXPECT_FALSE(scheduler_->job("tick")->last_success.empty());
}

TEST_F(SchedulerTest, AMissedTimeWithinEpsilonRunsLateAndBeyondItIsSkipped) {
  start();
  add(R"({"name": "late", "command": "true", "epsilon": "PT60S", "schedule": "R2/)" + at(10) +
      R"(/PT120S"})");
  double first = now() + 10;
  time_.advance(40s);  // no offer comes until 30 s after the first time
  offer();
  ASSERT_EQ(driver_.launches.size(), 1u);
  EXPECT_NEAR(driver_.launches[0].at - first, 30, 1e-6);
  status(lastTask(), "TASK_FINISHED");

  // The second time (130 s) gets no offer at all: skipped once epsilon has passed.
  time_.advance(151s);
  EXPECT_EQ(driver_.launches.size(), 1u);
  auto skipped = runs("late", RunState::kSkipped);
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_NE(skipped[0]->message.find("epsilon"), std::string::npos);
  EXPECT_EQ(scheduler_->job("late")->skipped_count, 1);
  EXPECT_EQ(scheduler_->job("late")->next_due, 0) << "R2: both times are taken";
}

TEST_F(SchedulerTest, TimesMissedWhileDownBeyondEpsilonAreRecordedAsSkipped) {
  start();
  add(R"({"name": "j", "command": "true", "epsilon": "PT10S", "schedule": "R/)" + at(5) +
      R"(/PT60S"})");
  scheduler_->onDisconnected();
  time_.advance(5s + 60s * 3 + 5s);  // times at 5, 65, 125 missed; 185 is 5 s late
  scheduler_->onSubscribed("fw-1");
  offer();
  EXPECT_EQ(runs("j", RunState::kSkipped).size(), 3u);
  ASSERT_EQ(driver_.launches.size(), 1u);
}

TEST_F(SchedulerTest, AFailedRunIsRetriedThenTheErrorIsRecorded) {
  start();
  add(R"({"name": "bad", "command": "false", "retries": 2, "schedule": "R1//PT1H"})");
  offer();
  ASSERT_EQ(driver_.launches.size(), 1u);
  for (int attempt = 0; attempt <= 2; ++attempt) {
    status(lastTask(), "TASK_FAILED");
    if (attempt < 2) {
      offer();
      EXPECT_EQ(driver_.launches.size(), static_cast<size_t>(attempt + 1))
          << "not before --failure_retry";
      time_.advance(1000ms);
      offer();
      ASSERT_EQ(driver_.launches.size(), static_cast<size_t>(attempt + 2));
    }
  }
  const Job* job = scheduler_->job("bad");
  EXPECT_EQ(job->error_count, 1);
  EXPECT_EQ(job->errors_since_last_success, 1);
  EXPECT_FALSE(job->last_error.empty());
  EXPECT_EQ(runs("bad", RunState::kFailed).size(), 3u);
  EXPECT_FALSE(driver_.wants.back());
}

TEST_F(SchedulerTest, ADependentRunsOnceAfterAllItsParentsSucceed) {
  start();
  add(R"({"name": "a", "command": "true", "schedule": "R1//PT1H"})");
  add(R"({"name": "b", "command": "true", "schedule": "R1//PT1H"})");
  add(R"({"name": "c", "command": "true", "parents": ["a", "b"]})");
  offer();
  ASSERT_EQ(driver_.launches.size(), 1u);
  ASSERT_EQ(driver_.launches[0].tasks.size(), 2u);
  status(driver_.launches[0].tasks[0].task_id, "TASK_FINISHED");
  offer();
  EXPECT_EQ(driver_.launches.size(), 1u) << "one parent is not enough";
  status(driver_.launches[0].tasks[1].task_id, "TASK_FINISHED");
  offer();
  ASSERT_EQ(driver_.launches.size(), 2u);
  EXPECT_EQ(driver_.launches[1].tasks.at(0).job.name, "c");
  EXPECT_EQ(driver_.launches[1].tasks.at(0).environment.at("PLATEAU_JOB_TRIGGER"), "dependency");
  status(lastTask(), "TASK_FINISHED");
  offer();
  EXPECT_EQ(driver_.launches.size(), 2u);
  EXPECT_EQ(scheduler_->job("c")->success_count, 1);
}

TEST_F(SchedulerTest, AnAsyncJobsRunEndsWithItsReportNotWithItsTask) {
  start();
  add(R"({"name": "hadoop", "command": "true", "async": true, "retries": 1,
          "schedule": "R1//PT1H"})");
  add(R"({"name": "after", "command": "true", "parents": ["hadoop"]})");
  add(R"({"name": "plain", "command": "true", "schedule": "R1//PT1H"})");
  offer();
  ASSERT_EQ(driver_.launches.size(), 1u);
  ASSERT_EQ(driver_.launches[0].tasks.size(), 2u);
  std::string task = driver_.launches[0].tasks[0].task_id;
  std::string plain = driver_.launches[0].tasks[1].task_id;
  ASSERT_EQ(driver_.launches[0].tasks[0].job.name, "hadoop");
  status(task, "TASK_RUNNING");
  status(task, "TASK_FINISHED");
  status(task, "TASK_FINISHED");  // a repeated update changes nothing
  ASSERT_EQ(runs("hadoop", RunState::kReportWait).size(), 1u);
  EXPECT_EQ(scheduler_->job("hadoop")->success_count, 0);
  offer();
  EXPECT_EQ(driver_.launches.size(), 1u) << "the dependent waits for the report";

  EXPECT_EQ(scheduler_->reportTask("ct:0:0:ghost:9", 0).code(), StatusCode::kNotFound);
  status(plain, "TASK_FINISHED");
  EXPECT_EQ(scheduler_->reportTask(plain, 0).code(), StatusCode::kFailedPrecondition)
      << "not an async job";
  ASSERT_TRUE(scheduler_->reportTask(task, 0).isOk());
  EXPECT_EQ(scheduler_->job("hadoop")->success_count, 1);
  EXPECT_EQ(runs("hadoop", RunState::kFinished).size(), 1u);
  EXPECT_EQ(scheduler_->reportTask(task, 0).code(), StatusCode::kFailedPrecondition)
      << "reported once";
  offer();
  ASSERT_EQ(driver_.launches.size(), 2u);
  EXPECT_EQ(driver_.launches[1].tasks.at(0).job.name, "after");

  // A failure report fails the run, which is retried as a failed task would be.
  ASSERT_TRUE(scheduler_->runNow("hadoop", std::nullopt).isOk());
  offer();
  ASSERT_EQ(driver_.launches.size(), 3u);
  status(lastTask(), "TASK_FINISHED");
  ASSERT_TRUE(scheduler_->reportTask(lastTask(), 3).isOk());
  EXPECT_EQ(runs("hadoop", RunState::kFailed).size(), 1u);
  EXPECT_EQ(runs("hadoop", RunState::kRetryWait).size(), 1u);
  EXPECT_NE(runs("hadoop", RunState::kFailed)[0]->message.find("statusCode 3"), std::string::npos);
}

TEST_F(SchedulerTest, ARunningJobIsNotStartedAgainUnlessConcurrent) {
  start();
  add(R"({"name": "slow", "command": "sleep 60", "epsilon": "PT2S", "schedule": "R/)" + at(1) +
      R"(/PT5S"})");
  add(R"({"name": "par", "command": "sleep 60", "concurrent": true, "schedule": "R/)" + at(1) +
      R"(/PT5S"})");
  time_.advance(1s);
  offer();
  ASSERT_EQ(driver_.launches.size(), 1u);
  for (const auto& t : driver_.launches[0].tasks) {
    status(t.task_id, "TASK_RUNNING");
  }
  time_.advance(5s);
  offer();
  ASSERT_EQ(driver_.launches.size(), 2u);
  ASSERT_EQ(driver_.launches[1].tasks.size(), 1u);
  EXPECT_EQ(driver_.launches[1].tasks[0].job.name, "par");
  time_.advance(2500ms);
  auto skipped = runs("slow", RunState::kSkipped);
  EXPECT_EQ(skipped.size(), 1u) << "the time it could not take within epsilon";
}

TEST_F(SchedulerTest, ARestartReconcilesSentTasksAndNeverRunsAScheduledTimeTwice) {
  start();
  add(R"({"name": "once", "command": "true", "schedule": "R/)" + at(1) + R"(/PT1H"})");
  time_.advance(1s);
  offer();
  ASSERT_EQ(driver_.launches.size(), 1u);
  std::string task = lastTask();

  // kill -9: a new scheduler over the same store.
  scheduler_.reset();
  driver_.launches.clear();
  start();
  ASSERT_FALSE(driver_.reconciled.empty());
  EXPECT_EQ(driver_.reconciled.back().at(0).first, task);
  offer();
  EXPECT_TRUE(driver_.launches.empty()) << "the sent task is never sent again";
  status(task, "TASK_FINISHED");
  EXPECT_EQ(scheduler_->job("once")->success_count, 1);
  EXPECT_EQ(scheduler_->frameworkId(), "fw-1");
}

TEST_F(SchedulerTest, AQueuedRunSurvivesARestartAndLaunchesOnce) {
  start();
  add(R"({"name": "q", "command": "true", "schedule": "R1//PT1H"})");
  ASSERT_EQ(runs("q", RunState::kQueued).size(), 1u);
  scheduler_.reset();
  start();
  offer();
  offer();
  ASSERT_EQ(driver_.launches.size(), 1u);
}

TEST_F(SchedulerTest, BadGraphsAreRefusedAndNothingIsStored) {
  start();
  add(R"({"name": "a", "command": "true", "schedule": "R//PT1H"})");
  add(R"({"name": "b", "command": "true", "parents": ["a"]})");
  auto unknown = parseJob(R"({"name": "c", "command": "true", "parents": ["nope"]})",
                          JobKind::kEither, {}, now());
  Status s = scheduler_->putJob(*unknown);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("nope"), std::string::npos);
  // a <- b, then a made a child of b: a cycle.
  auto cycle = parseJob(R"({"name": "a", "command": "true", "parents": ["b"]})", JobKind::kEither,
                        {}, now());
  s = scheduler_->putJob(*cycle);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("cycle"), std::string::npos);
  EXPECT_EQ(scheduler_->jobs().size(), 2u);
  EXPECT_TRUE(scheduler_->job("a")->scheduled());
  auto stored = store_->load("jobs/");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->size(), 2u);
}

TEST_F(SchedulerTest, DeletingAParentHandsItsScheduleToTheChildren) {
  start();
  add(R"({"name": "a", "command": "true", "schedule": "R/)" + at(60) + R"(/PT1H"})");
  add(R"({"name": "b", "command": "true", "parents": ["a"]})");
  ASSERT_TRUE(scheduler_->removeJob("a").isOk());
  ASSERT_NE(scheduler_->job("b"), nullptr);
  EXPECT_TRUE(scheduler_->job("b")->scheduled());
  EXPECT_DOUBLE_EQ(scheduler_->job("b")->next_due, now() + 60);
  EXPECT_EQ(scheduler_->removeJob("a").code(), StatusCode::kNotFound);
}

TEST_F(SchedulerTest, KillTasksKillsRunningTasksWithoutRetrying) {
  start();
  add(R"({"name": "k", "command": "sleep 100", "retries": 3, "schedule": "R1//PT1H"})");
  offer();
  std::string task = lastTask();
  status(task, "TASK_RUNNING");
  ASSERT_TRUE(scheduler_->killTasks("k").isOk());
  ASSERT_EQ(driver_.kills.size(), 1u);
  status(task, "TASK_KILLED");
  time_.advance(5s);
  offer();
  EXPECT_EQ(driver_.launches.size(), 1u);
  EXPECT_EQ(scheduler_->job("k")->error_count, 1);
}

TEST_F(SchedulerTest, ManualRunsTakeArgumentsAndConstraintsPickTheAgent) {
  start();
  add(R"({"name": "m", "command": "/bin/echo", "shell": false, "schedule": "R0//PT1H",
          "constraints": [["hostname", "LIKE", "host-[2-3]"]]})");
  ASSERT_TRUE(scheduler_->runNow("m", std::vector<std::string>{"-n", "hi"}).isOk());
  offer();
  EXPECT_TRUE(driver_.launches.empty()) << "host-1 does not match the constraint";
  scheduler_->onOffers({OfferView{.id = "x",
                                  .agent_id = "agent-2",
                                  .hostname = "host-2",
                                  .cpus = 1,
                                  .mem = 1024,
                                  .disk = 1024}});
  ASSERT_EQ(driver_.launches.size(), 1u);
  EXPECT_EQ(driver_.launches[0].tasks[0].arguments, (std::vector<std::string>{"-n", "hi"}));
  EXPECT_EQ(scheduler_->runNow("nope", std::nullopt).code(), StatusCode::kNotFound);
}

TEST_F(SchedulerTest, OnlyTheOffersTheDueRunsNeedAreHeld) {
  start();
  add(R"({"name": "small", "command": "true", "cpus": 1, "schedule": "R/)" + at(10) + R"(/PT1H"})");
  time_.advance(9s);
  offer("big", 4);
  offer("spare", 4);
  EXPECT_EQ(scheduler_->heldOffers(), 1u);
  EXPECT_EQ(driver_.declines, (std::vector<std::string>{"spare"}));
  time_.advance(1s);
  ASSERT_EQ(driver_.launches.size(), 1u);
  EXPECT_EQ(driver_.launches[0].offer_id, "big");
}

TEST_F(SchedulerTest, ADisabledJobDoesNotLaunchItsScheduledRuns) {
  start();
  add(R"({"name": "d", "command": "true", "schedule": "R1//PT1H"})");
  auto job = parseJob(R"({"name": "d", "command": "true", "schedule": "R1//PT1H",
                          "disabled": true})",
                      JobKind::kEither, {}, now());
  ASSERT_TRUE(scheduler_->putJob(*job).isOk());
  offer();
  EXPECT_TRUE(driver_.launches.empty());
  ASSERT_TRUE(scheduler_->runNow("d", std::nullopt).isOk());
  offer();
  ASSERT_EQ(driver_.launches.size(), 1u) << "a manual run of a disabled job still runs";
  EXPECT_EQ(driver_.launches[0].tasks.size(), 1u);
}

TEST_F(SchedulerTest, ACronJobRunsAtEachMatchingMinute) {
  start();
  time_.advance(30s);  // 00:00:30
  add(R"({"name": "c", "command": "true", "schedule": "cron:*/2 * * * *"})");
  for (int i = 1; i <= 3; ++i) {
    time_.advance(i == 1 ? 89s : 119s);
    offer();
    time_.advance(1s);
    ASSERT_EQ(driver_.launches.size(), static_cast<size_t>(i));
    EXPECT_EQ(driver_.launches.back().tasks.at(0).environment.at("PLATEAU_JOB_SCHEDULED_TIME"),
              fmt::format("2026-01-01T00:0{}:00.000Z", 2 * i));
    status(lastTask(), "TASK_FINISHED");
  }
}

TEST_F(SchedulerTest, HistoryIsBounded) {
  options_.history_limit = 3;
  start();
  add(R"({"name": "h", "command": "true", "schedule": "R//PT10S"})");
  for (int i = 0; i < 6; ++i) {
    offer();
    status(lastTask(), "TASK_FINISHED");
    time_.advance(10s);
  }
  EXPECT_EQ(scheduler_->runsOf("h").size(), 4u) << "3 finished plus the one queued now";
  EXPECT_EQ(scheduler_->job("h")->success_count, 6);
}

}  // namespace
}  // namespace plateau::jobs
