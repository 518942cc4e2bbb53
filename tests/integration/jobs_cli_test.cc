// `plateau job ...` against a real master, agent and plateau-jobs: add, list, show, run (with
// arguments), history and remove, and the errors a user sees (a refused job, an unknown one,
// plateau-jobs not running), each with a non-zero exit.

#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"
#include "jobs_runs.h"

namespace plateau::testing {
namespace {

class JobsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.addAgent("cpus:2;mem:1024;disk:1024");
    jobs_ = std::make_unique<Process>(
        "jobs",
        std::vector<std::string>{std::string(PLATEAU_BIN_DIR) + "/plateau-jobs",
                                 fmt::format("--master={}", cluster_.master().toString()),
                                 "--http_address=127.0.0.1", "--http_port=0", "--mesos_task_mem=32",
                                 "--mesos_task_disk=0"},
        cluster_.dir() + "/jobs.log");
    uint16_t port = jobs_->reportedPort("jobs_started");
    ASSERT_NE(port, 0) << jobs_->log();
    jobs_address_ = fmt::format("127.0.0.1:{}", port);
  }

  // The exit code and output of `plateau job ARGS --jobs=<plateau-jobs>`.
  std::pair<int, std::string> job(std::vector<std::string> args) {
    std::vector<std::string> argv{std::string(PLATEAU_BIN_DIR) + "/plateau", "job"};
    argv.insert(argv.end(), args.begin(), args.end());
    if (std::none_of(args.begin(), args.end(),
                     [](const std::string& a) { return a.starts_with("--jobs="); })) {
      argv.push_back("--jobs=" + jobs_address_);
    }
    std::string out = fmt::format("{}/cli.{}.out", cluster_.dir(), runs_of_cli_++);
    Process cli("plateau", argv, out);
    int status = cli.wait();
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, cli.log()};
  }

  std::string file(const std::string& name, const std::string& content) {
    std::string path = cluster_.dir() + "/" + name;
    std::ofstream(path) << content;
    return path;
  }

  Cluster cluster_;
  std::unique_ptr<Process> jobs_;
  std::string jobs_address_;
  int runs_of_cli_ = 0;
  RunLog runs_{cluster_.dir() + "/runs.txt"};
};

TEST_F(JobsCliTest, AddsListsRunsShowsAndRemovesJobs) {
  // An executable (shell: false) gets a run's arguments: it records its first one.
  std::string script = file("hello.sh", "#!/bin/sh\n" + runs_.record("${1:-scheduled}") + "\n");
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  auto [added, added_out] = job({"add", file("hello.json", fmt::format(R"({{
    "name": "hello", "command": {}, "shell": false, "schedule": "R1//PT1H"}})",
                                                                       testing::quoted(script)))});
  ASSERT_EQ(added, 0) << added_out;
  EXPECT_NE(added_out.find("Added job hello"), std::string::npos) << added_out;
  // A job with parents goes to Chronos's /dependency.
  auto [dep, dep_out] = job({"add", file("after.json", R"({
    "name": "after-hello", "command": "true", "parents": ["hello"]})")});
  ASSERT_EQ(dep, 0) << dep_out;
  ASSERT_TRUE(eventually([&] { return runs_.lines("hello", "scheduled").size() == 1; }, 30s))
      << jobs_->log();

  auto [listed, table] = job({"list"});
  ASSERT_EQ(listed, 0) << table;
  EXPECT_NE(table.find("NAME"), std::string::npos) << table;
  EXPECT_NE(table.find("after hello"), std::string::npos) << table;
  auto [listed_json, json_out] = job({"list", "--json"});
  auto parsed = json::parse(json_out);
  ASSERT_TRUE(parsed.has_value()) << json_out;
  EXPECT_EQ(parsed->size(), 2u);

  // A manual run with arguments: the command gets them as $1.
  auto [ran, ran_out] = job({"run", "hello", "--arguments", "manual"});
  ASSERT_EQ(ran, 0) << ran_out;
  ASSERT_TRUE(eventually([&] { return runs_.lines("hello", "manual").size() == 1; }, 30s))
      << jobs_->log();
  ASSERT_TRUE(eventually(
      [&] {
        auto shown = job({"show", "hello", "--json"});
        auto v = json::parse(shown.second);
        return v && (*v)["successCount"].toInt64().value_or(0) == 2;
      },
      30s));
  auto [shown, show_out] = job({"show", "hello"});
  ASSERT_EQ(shown, 0) << show_out;
  EXPECT_NE(show_out.find("successes    2"), std::string::npos) << show_out;
  auto [history, history_out] = job({"history", "hello"});
  ASSERT_EQ(history, 0) << history_out;
  size_t finished = 0;
  for (size_t at = history_out.find("FINISHED"); at != std::string::npos;
       at = history_out.find("FINISHED", at + 1)) {
    ++finished;
  }
  EXPECT_EQ(finished, 2u) << history_out;
  EXPECT_NE(history_out.find("manual"), std::string::npos) << "the trigger column";

  auto [removed, removed_out] = job({"remove", "after-hello"});
  ASSERT_EQ(removed, 0) << removed_out;
  auto after = json::parse(job({"list", "--json"}).second);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->size(), 1u);
}

TEST_F(JobsCliTest, RefusalsAndAnUnreachableServiceExitNonZeroWithTheReason) {
  auto [bad, bad_out] =
      job({"add", file("bad.json", R"({"name": "x", "command": "true", "schedule": "daily"})")});
  EXPECT_EQ(bad, 1);
  EXPECT_NE(bad_out.find("HTTP 400"), std::string::npos) << bad_out;
  EXPECT_NE(bad_out.find("schedule"), std::string::npos) << bad_out;
  auto [zone, zone_out] = job({"add", file("zone.json", R"({"name": "x", "command": "true",
    "schedule": "R//PT1H", "scheduleTimeZone": "Mars/Olympus_Mons"})")});
  EXPECT_EQ(zone, 1);
  EXPECT_NE(zone_out.find("'Mars/Olympus_Mons' is not a time zone"), std::string::npos) << zone_out;
  auto [ghost, ghost_out] = job({"show", "ghost"});
  EXPECT_EQ(ghost, 1);
  EXPECT_NE(ghost_out.find("Job 'ghost' not found"), std::string::npos) << ghost_out;
  EXPECT_EQ(job({"run", "ghost"}).first, 1);
  EXPECT_EQ(job({"remove", "ghost"}).first, 1);
  auto [missing, missing_out] = job({"add", cluster_.dir() + "/no-such-file.json"});
  EXPECT_EQ(missing, 1);
  EXPECT_NE(missing_out.find("cannot read"), std::string::npos) << missing_out;
  auto [down, down_out] = job({"list", "--jobs=127.0.0.1:1"});
  EXPECT_EQ(down, 1);
  EXPECT_NE(down_out.find("cannot reach plateau-jobs"), std::string::npos) << down_out;
  EXPECT_EQ(json::parse(job({"list", "--json"}).second)->size(), 0u) << "nothing was stored";
}

}  // namespace
}  // namespace plateau::testing
