// plateau-jobs end to end: a real master, an agent and plateau-jobs, driven over Chronos's REST
// API as a client would. Tasks append "<job> <scheduled epoch> <start epoch>" to a file, so the
// test sees what ran and when from the tasks themselves.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"
#include "jobs_runs.h"

namespace plateau::testing {
namespace {

class JobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.addAgent("cpus:4;mem:4096;disk:4096");
    startJobs();
  }

  void startJobs() {
    std::vector<std::string> argv = {
        std::string(PLATEAU_BIN_DIR) + "/plateau-jobs",
        fmt::format("--master=127.0.0.1:{}", cluster_.master().port),
        "--http_address=127.0.0.1",
        port_ == 0 ? "--http_port=0" : fmt::format("--http_port={}", port_),
        "--work_dir=" + cluster_.dir() + "/jobs",
        "--failure_retry=1000",
        "--reconciliation_interval=5",
        "--mesos_task_mem=32",
        "--mesos_task_disk=0"};
    jobs_ = std::make_unique<Process>("jobs", argv,
                                      fmt::format("{}/jobs.{}.log", cluster_.dir(), starts_++));
    port_ = jobs_->reportedPort("jobs_started");
    ASSERT_NE(port_, 0) << jobs_->log();
  }

  http::Response call(const std::string& method, const std::string& path,
                      const std::string& body = "") {
    auto r = callJobs(port_, method, path, body);
    EXPECT_NE(r.status, 0) << method << " " << path;
    return r;
  }

  json::Value getJson(const std::string& path) {
    auto r = call("GET", path);
    auto v = json::parse(r.body);
    EXPECT_TRUE(v.has_value()) << path << ": " << r.body;
    return v ? *v : json::Value();
  }

  json::Value job(const std::string& name) { return getJson("/v1/scheduler/job/" + name); }

  std::string record(const std::string& what) const { return runs_.record(what); }
  std::vector<Line> lines(const std::string& job, const std::string& what) const {
    return runs_.lines(job, what);
  }

  Cluster cluster_;
  std::unique_ptr<Process> jobs_;
  uint16_t port_ = 0;
  int starts_ = 0;
  RunLog runs_{cluster_.dir() + "/runs.txt"};
};

TEST_F(JobsTest, AJobEveryFiveSecondsRunsOnTimeAndItsDependentAfterIt) {
  auto [start, first] = startIn(3);
  auto posted = call("POST", "/v1/scheduler/iso8601",
                     fmt::format(R"({{"name": "tick", "command": {}, "epsilon": "PT4S",
                                     "cpus": 0.1, "schedule": "R/{}/PT5S"}})",
                                 quoted(record("start")), start));
  ASSERT_EQ(posted.status, 204) << posted.body;
  posted = call("POST", "/v1/scheduler/dependency",
                fmt::format(R"({{"name": "after", "command": {}, "parents": ["tick"]}})",
                            quoted(record("start"))));
  ASSERT_EQ(posted.status, 204) << posted.body;

  constexpr size_t kRuns = 5;
  ASSERT_TRUE(eventually([&] { return lines("after", "start").size() >= kRuns; }, 60s))
      << jobs_->log();
  auto ticks = lines("tick", "start");
  auto afters = lines("after", "start");
  ASSERT_GE(ticks.size(), kRuns);
  std::vector<double> lateness;
  for (size_t i = 0; i < ticks.size(); ++i) {
    EXPECT_DOUBLE_EQ(ticks[i].scheduled, first + 5.0 * static_cast<double>(i))
        << "each scheduled time once, in order";
    lateness.push_back(ticks[i].at - ticks[i].scheduled);
  }
  for (size_t i = 0; i < kRuns; ++i) {
    EXPECT_GT(afters[i].at, ticks[i].at) << "the dependent runs after its parent";
    if (i + 1 < ticks.size()) {
      EXPECT_LT(afters[i].at, ticks[i + 1].at) << "once per parent run";
    }
  }
  std::sort(lateness.begin(), lateness.end());
  // Lateness is from the scheduled time to the task's first command on the agent (launch,
  // executor start, fork). Measured on a loaded 2-core machine: see docs/performance.md.
  fmt::print("jobs_lateness_seconds runs={} min={:.3f} median={:.3f} max={:.3f}\n", lateness.size(),
             lateness.front(), lateness[lateness.size() / 2], lateness.back());
  EXPECT_GE(lateness.front(), 0.0) << "never early";
  EXPECT_LT(lateness.back(), 2.0) << "within the bound measured (typically ~0.1 s)";

  auto tick = job("tick");
  EXPECT_GE(tick["successCount"].toInt64().value_or(0), static_cast<int64_t>(kRuns));
  EXPECT_FALSE(tick["lastSuccess"].asString().empty());
  auto stat = getJson("/v1/scheduler/job/stat/tick");
  EXPECT_GE(stat["lateness"]["count"].toInt64().value_or(0), static_cast<int64_t>(kRuns));
  auto csv = call("GET", "/v1/scheduler/graph/csv");
  EXPECT_NE(csv.body.find("link,tick,after"), std::string::npos) << csv.body;
}

TEST_F(JobsTest, AFailingJobIsRetriedThenRecordsTheError) {
  auto posted = call("POST", "/scheduler/iso8601",
                     fmt::format(R"({{"name": "flaky", "command": {}, "retries": 2,
                                     "schedule": "R1//PT1H"}})",
                                 quoted(record("start") + "; exit 3")));
  ASSERT_EQ(posted.status, 204) << posted.body;
  ASSERT_TRUE(eventually([&] { return job("flaky")["errorCount"].toInt64() == 1; }, 30s))
      << jobs_->log();
  auto runs = lines("flaky", "start");
  ASSERT_EQ(runs.size(), 3u) << "the first try and two retries";
  for (size_t i = 1; i < runs.size(); ++i) {
    EXPECT_GE(runs[i].at - runs[i - 1].at, 1.0) << "--failure_retry=1000 between tries";
  }
  auto j = job("flaky");
  EXPECT_EQ(j["successCount"].toInt64(), 0);
  EXPECT_FALSE(j["lastError"].asString().empty());
  EXPECT_EQ(j["errorsSinceLastSuccess"].toInt64(), 1);
  auto history = getJson("/v1/scheduler/job/stat/flaky")["taskStatHistory"];
  int failed = 0;
  for (const auto& r : history.asArray()) {
    failed += r["state"].asString() == "FAILED" ? 1 : 0;
    EXPECT_FALSE(r["agentId"].asString().empty());
  }
  EXPECT_EQ(failed, 3);
  // No fourth try comes.
  EXPECT_FALSE(eventually([&] { return lines("flaky", "start").size() > 3; }, 2500ms));
}

TEST_F(JobsTest, KillNineDuringARunLosesNoScheduledTimeAndRunsNoneTwice) {
  auto [start, first] = startIn(2);
  auto posted = call("POST", "/v1/scheduler/iso8601",
                     fmt::format(R"({{"name": "steady", "command": {},
                                     "epsilon": "PT30S", "schedule": "R/{}/PT3S"}})",
                                 quoted(record("start") + "; sleep 2; " + record("end")), start));
  ASSERT_EQ(posted.status, 204) << posted.body;
  // kill -9 while the second run is in progress.
  ASSERT_TRUE(eventually(
      [&] { return lines("steady", "start").size() == 2 && lines("steady", "end").size() == 1; },
      30s))
      << jobs_->log();
  jobs_->kill(SIGKILL);
  jobs_->wait();
  double killed_at = wallNow();
  // Down past two scheduled times.
  ASSERT_TRUE(eventually([&] { return wallNow() - killed_at > 6.5; }, 10s));
  startJobs();
  ASSERT_TRUE(eventually([&] { return lines("steady", "end").size() >= 6; }, 60s)) << jobs_->log();
  jobs_->kill(SIGTERM);
  jobs_->wait();

  runs_.expectEachScheduledTimeOnce("steady", first, 3);
  // The run in progress at the kill finished on its agent and is in the history as such.
  EXPECT_EQ(lines("steady", "end").at(1).scheduled, first + 3);
}

TEST_F(JobsTest, AnAsyncJobSucceedsWhenItsTaskIsReportedNotWhenItEnds) {
  auto posted = call("POST", "/scheduler/iso8601",
                     R"({"name": "hadoop", "command": "true", "async": true,
                         "schedule": "R1//PT1H"})");
  ASSERT_EQ(posted.status, 204) << posted.body;
  std::string task;
  ASSERT_TRUE(eventually(
      [&] {
        auto history = getJson("/v1/scheduler/job/stat/hadoop")["taskStatHistory"];
        if (history.size() != 1 || history[size_t{0}]["state"].asString() != "REPORT_WAIT") {
          return false;
        }
        task = history[size_t{0}]["taskId"].asString();
        return true;
      },
      30s))
      << jobs_->log();
  EXPECT_EQ(job("hadoop")["successCount"].toInt64(), 0) << "the task's end is not the job's";
  auto bad = call("PUT", "/scheduler/task/" + task, R"({"status": "done"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("statusCode"), std::string::npos) << bad.body;
  EXPECT_EQ(call("PUT", "/scheduler/task/ct:1:0:ghost:1", R"({"statusCode": 0})").status, 400);
  auto reported = call("PUT", "/scheduler/task/" + task, R"({"statusCode": 0})");
  EXPECT_EQ(reported.status, 204) << reported.body;
  EXPECT_EQ(job("hadoop")["successCount"].toInt64(), 1);
}

TEST_F(JobsTest, BadInputIsAnswered400WithAMessageAndNothingIsStored) {
  ASSERT_EQ(call("POST", "/v1/scheduler/iso8601",
                 R"({"name": "a", "command": "true", "schedule": "R//PT1H"})")
                .status,
            204);
  ASSERT_EQ(call("POST", "/v1/scheduler/dependency",
                 R"({"name": "b", "command": "true", "parents": ["a"]})")
                .status,
            204);
  struct Case {
    const char* path;
    const char* body;
    const char* message;
  };
  for (const auto& c : std::initializer_list<Case>{
           {"iso8601", R"({"name": "x", "command": )", "malformed JSON"},
           {"iso8601", R"({"name": "x", "command": "true", "schedule": "every day"})", "schedule"},
           {"iso8601", R"({"name": "x/y", "command": "true", "schedule": "R//PT1H"})", "invalid"},
           {"iso8601", R"({"name": "x y", "command": "true", "schedule": "R//PT1H"})", "invalid"},
           {"dependency", R"({"name": "x", "command": "true", "parents": ["ghost"]})", "ghost"},
           {"dependency", R"({"name": "a", "command": "true", "parents": ["b"]})", "cycle"},
           {"dependency", R"({"name": "x", "command": "true"})", "parents"},
           {"iso8601", R"({"name": "x", "command": "true", "schedule": "R//PT1H",
                           "scheduleTimeZone": "Nowhere/Atlantis"})",
            "is not a time zone"},
       }) {
    auto r = call("POST", std::string("/v1/scheduler/") + c.path, c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_NE(r.body.find(c.message), std::string::npos) << c.body << " -> " << r.body;
  }
  auto jobs = getJson("/v1/scheduler/jobs");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[size_t{0}]["name"].asString(), "a");
  EXPECT_FALSE(jobs[size_t{0}]["schedule"].asString().empty()) << "a is still scheduled";
  EXPECT_EQ(call("PUT", "/v1/scheduler/job/ghost").status, 400);
  EXPECT_EQ(call("DELETE", "/v1/scheduler/job/ghost").status, 400);
  EXPECT_EQ(call("DELETE", "/v1/scheduler/task/kill/ghost").status, 400);

  // The rest of the surface, briefly.
  EXPECT_EQ(getJson("/v1/scheduler/jobs/search?name=B").size(), 1u);
  auto summary = getJson("/scheduler/jobs/summary")["jobs"];
  ASSERT_EQ(summary.size(), 2u);
  EXPECT_FALSE(summary[size_t{0}]["nextRun"].asString().empty()) << "a is scheduled: its next run";
  EXPECT_TRUE(summary[size_t{1}]["nextRun"].isNull()) << "b is dependent: no next run";
  EXPECT_EQ(getJson("/leader")["leader"].asString().empty(), false);
  EXPECT_EQ(call("GET", "/ping").body, "pong");
  EXPECT_NE(call("GET", "/v1/scheduler/graph/dot").body.find("\"a\" -> \"b\""), std::string::npos);
  EXPECT_EQ(call("DELETE", "/v1/scheduler/job/a").status, 204);
  auto b = job("b");
  EXPECT_FALSE(b["schedule"].asString().empty()) << "b takes over a's schedule, as in Chronos";
}

}  // namespace
}  // namespace plateau::testing
