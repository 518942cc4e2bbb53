// plateau-jobs in high availability: two instances with the same --zk_hosts/--zk_path (a real
// ZooKeeper) elect one leader, the standby proxies Chronos's API to it, and after kill -9 of the
// leader during a run the standby leads with the same jobs and framework id, running every
// scheduled time once: none twice, none lost (within the job's epsilon).

#include <signal.h>

#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"
#include "jobs_runs.h"
#include "zookeeper_server.h"

namespace plateau::testing {
namespace {

class JobsHaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.addAgent("cpus:4;mem:4096;disk:4096");
    for (int i = 0; i < 2; ++i) {
      start(i);
    }
  }

  void start(int i) {
    jobs_[i] = std::make_unique<Process>(
        fmt::format("jobs{}", i),
        std::vector<std::string>{std::string(PLATEAU_BIN_DIR) + "/plateau-jobs",
                                 fmt::format("--master=127.0.0.1:{}", cluster_.master().port),
                                 "--zk_hosts=" + zk_.connectString(), "--zk_path=/plateau-jobs",
                                 "--zk_timeout=2000", "--http_address=127.0.0.1", "--http_port=0",
                                 "--hostname=127.0.0.1", "--reconciliation_interval=5",
                                 "--mesos_task_mem=32", "--mesos_task_disk=0"},
        fmt::format("{}/jobs{}.log", cluster_.dir(), i));
    ports_[i] = jobs_[i]->reportedPort("jobs_started");
    ASSERT_NE(ports_[i], 0) << jobs_[i]->log();
  }

  http::Response call(int i, const std::string& method, const std::string& path,
                      const std::string& body = "") {
    return callJobs(ports_[i], method, path, body);
  }

  // The instance whose address every running instance names in /leader, or -1.
  int leader() {
    std::set<std::string> named;
    for (int i = 0; i < 2; ++i) {
      if (jobs_[i] && jobs_[i]->running()) {
        auto answer = call(i, "GET", "/leader");
        auto parsed = json::parse(answer.body);
        named.insert(answer.status == 200 && parsed ? (*parsed)["leader"].asString() : "?");
      }
    }
    for (int i = 0; named.size() == 1 && i < 2; ++i) {
      if (*named.begin() == fmt::format("127.0.0.1:{}", ports_[i])) return i;
    }
    return -1;
  }

  // The ids of the frameworks named plateau-jobs that the master knows (active or not).
  std::vector<std::string> frameworkIds() {
    std::vector<std::string> ids;
    auto state = json::parse(cluster_.get("/master/state"));
    if (!state) return ids;
    for (const auto& f : (*state)["frameworks"].asArray()) {
      if (f["name"].asString() == "plateau-jobs") ids.push_back(f["id"].asString());
    }
    return ids;
  }

  ZooKeeperServer zk_;
  Cluster cluster_;
  std::unique_ptr<Process> jobs_[2];
  uint16_t ports_[2] = {0, 0};
  RunLog runs_{cluster_.dir() + "/runs.txt"};
};

TEST_F(JobsHaTest, StandbyProxiesAndTakesOverAfterKillNineWithoutDuplicatingARun) {
  int lead = -1;
  ASSERT_TRUE(eventually([&] { return (lead = leader()) >= 0; }, 20s))
      << jobs_[0]->log() << jobs_[1]->log();
  int standby = 1 - lead;

  // Jobs are added through the standby: it proxies to the leader.
  auto [start_text, first] = startIn(3);
  auto posted = call(
      standby, "POST", "/v1/scheduler/iso8601",
      fmt::format(R"({{"name": "steady", "command": {}, "epsilon": "PT30S",
                                     "schedule": "R/{}/PT3S"}})",
                  quoted(runs_.record("start") + "; sleep 2; " + runs_.record("end")), start_text));
  ASSERT_EQ(posted.status, 204) << posted.body;
  posted = call(standby, "POST", "/scheduler/dependency",
                R"({"name": "after", "command": "true", "parents": ["steady"]})");
  ASSERT_EQ(posted.status, 204) << posted.body;
  auto listed = call(standby, "GET", "/v1/scheduler/jobs");
  EXPECT_EQ(json::parse(listed.body).value_or(json::Value()).size(), 2u) << listed.body;
  EXPECT_EQ(call(standby, "GET", "/ping").body, "pong") << "answered by the standby itself";

  ASSERT_TRUE(eventually([&] { return frameworkIds().size() == 1; }, 20s));
  std::string framework_id = frameworkIds().front();

  // kill -9 of the leader while the second run is in progress.
  ASSERT_TRUE(eventually(
      [&] {
        return runs_.lines("steady", "start").size() == 2 &&
               runs_.lines("steady", "end").size() == 1;
      },
      30s))
      << jobs_[lead]->log();
  jobs_[lead]->kill(SIGKILL);
  jobs_[lead]->wait();
  double killed_at = wallNow();

  ASSERT_TRUE(eventually([&] { return leader() == standby; }, 20s)) << jobs_[standby]->log();
  fmt::print("jobs_failover_seconds={:.2f}\n", wallNow() - killed_at);
  ASSERT_TRUE(eventually([&] { return runs_.lines("steady", "end").size() >= 6; }, 60s))
      << jobs_[standby]->log();

  // The same jobs, the same framework (one, with the id the first leader registered).
  auto job = call(standby, "GET", "/v1/scheduler/job/steady");
  ASSERT_EQ(job.status, 200) << job.body;
  EXPECT_GE(json::parse(job.body).value_or(json::Value())["successCount"].toInt64().value_or(0), 5);
  EXPECT_EQ(call(standby, "GET", "/v1/scheduler/job/after").status, 200);
  EXPECT_EQ(frameworkIds(), std::vector<std::string>{framework_id});

  jobs_[standby]->kill(SIGTERM);
  jobs_[standby]->wait();
  runs_.expectEachScheduledTimeOnce("steady", first, 3);
  // The run in progress at the kill finished on its agent, and was not started again.
  EXPECT_EQ(runs_.lines("steady", "end").at(1).scheduled, first + 3);
}

}  // namespace
}  // namespace plateau::testing
