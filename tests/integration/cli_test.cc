// The `plateau` command against a real cluster.

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "cli_run.h"
#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

CliRun plateau(const Cluster& cluster, std::vector<std::string> args) {
  return runPlateau(cluster, std::move(args));
}

TEST(Cli, ExecuteAndListCommands) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  std::string master = "--master=" + cluster.master().toString();

  auto ok = plateau(cluster, {"execute", master, "--name=hello", "--command=echo hi"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("TASK_RUNNING"), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("TASK_FINISHED"), std::string::npos) << ok.output;

  auto bad = plateau(cluster, {"execute", master, "--name=fails", "--command=exit 7"});
  EXPECT_NE(bad.exit_code, 0) << bad.output;
  EXPECT_NE(bad.output.find("TASK_FAILED"), std::string::npos) << bad.output;

  auto agents = plateau(cluster, {"agent", "list", master});
  EXPECT_EQ(agents.exit_code, 0) << agents.output;
  EXPECT_NE(agents.output.find("HOSTNAME"), std::string::npos) << agents.output;
  EXPECT_NE(agents.output.find("127.0.0.1"), std::string::npos) << agents.output;

  auto tasks = plateau(cluster, {"task", "list", master, "--json"});
  ASSERT_EQ(tasks.exit_code, 0) << tasks.output;
  auto parsed = json::parse(tasks.output);
  ASSERT_TRUE(parsed) << tasks.output;
  std::map<std::string, std::string> states;
  for (const auto& t : parsed->asArray()) {
    states[t["id"].asString()] = t["state"].asString();
  }
  EXPECT_EQ(states["hello"], "TASK_FINISHED");
  EXPECT_EQ(states["fails"], "TASK_FAILED");
  auto table = plateau(cluster, {"task", "list", master});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_TRUE(std::regex_search(table.output,
                                std::regex(R"(hello\s+hello\s+TASK_FINISHED\s+(now|\d+s ago) )")))
      << table.output;

  auto frameworks = plateau(cluster, {"framework", "list", master});
  EXPECT_EQ(frameworks.exit_code, 0) << frameworks.output;

  auto unreachable = plateau(cluster, {"agent", "list", "--master=127.0.0.1:1"});
  EXPECT_NE(unreachable.exit_code, 0);
  EXPECT_NE(unreachable.output.find("cannot reach"), std::string::npos) << unreachable.output;
}

TEST(Cli, DaemonsRejectBadFlagsNamingThem) {
  Cluster cluster;
  std::string log = cluster.dir() + "/flags.out";
  Process p("master",
            {std::string(PLATEAU_BIN_DIR) + "/plateau-master", "--allocation_interval=soon"}, log);
  int status = p.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_NE(p.log().find("allocation_interval"), std::string::npos) << p.log();

  Process re2(
      "master-re2",
      {std::string(PLATEAU_BIN_DIR) + "/plateau-master", "--offer_constraints_re2_max_mem=lots"},
      cluster.dir() + "/flags-re2.out");
  status = re2.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_NE(re2.log().find("--offer_constraints_re2_max_mem"), std::string::npos) << re2.log();

  Process a("agent",
            {std::string(PLATEAU_BIN_DIR) + "/plateau-agent", "--master=127.0.0.1:1",
             "--resources=cpus:-1"},
            cluster.dir() + "/agent-flags.out");
  status = a.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_NE(a.log().find("--resources"), std::string::npos) << a.log();
}

}  // namespace
}  // namespace plateau::testing

namespace plateau::testing {
namespace {

TEST(Examples, CppFrameworkRunsItsTasksOnTheCppExecutor) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:1024");
  Process framework("example-framework",
                    {std::string(PLATEAU_BIN_DIR) + "/plateau-example-framework",
                     cluster.master().toString(), "2"},
                    cluster.dir() + "/example-framework.out");
  ASSERT_TRUE(eventually([&] { return !framework.running(); }, 60s)) << framework.log();
  int status = framework.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << framework.log();
  EXPECT_NE(framework.log().find("TASK_FINISHED"), std::string::npos) << framework.log();
}

}  // namespace
}  // namespace plateau::testing

namespace plateau::testing {
namespace {

TEST(Cli, TaskLogWeightsTeardownAndClusterStatus) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  std::string master = "--master=" + cluster.master().toString();
  auto ran = plateau(cluster, {"execute", master, "--name=short", "--command=true"});
  ASSERT_EQ(ran.exit_code, 0) << ran.output;

  Scheduler talker(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo talker_info;
  talker_info.set_user("u");
  talker_info.set_name("talker");
  ASSERT_TRUE(talker.subscribe(talker_info));
  auto offers = talker.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  talker.launch(offers->offers().offers(0), "talker",
                "echo said-on-stdout; echo said-on-stderr >&2; sleep 1000", "cpus:0.5;mem:32");
  auto running = talker.nextUpdate();
  ASSERT_TRUE(running && running->state() == v1::TASK_RUNNING);
  auto out = plateau(cluster, {"task", "log", "talker", master});
  EXPECT_TRUE(eventually([&] {
    out = plateau(cluster, {"task", "log", "talker", master});
    return out.exit_code == 0 && out.output.find("said-on-stdout") != std::string::npos;
  })) << out.output;
  auto err = plateau(cluster, {"task", "log", "talker", "--stderr", master});
  EXPECT_NE(err.output.find("said-on-stderr"), std::string::npos) << err.output;
  auto missing = plateau(cluster, {"task", "log", "nope", master});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("plateau task list"), std::string::npos) << missing.output;

  auto set = plateau(cluster, {"weights", "set", "eng", "2.5", master});
  EXPECT_EQ(set.exit_code, 0) << set.output;
  auto get = plateau(cluster, {"weights", "get", master});
  EXPECT_NE(get.output.find("eng  2.5"), std::string::npos) << get.output;

  Scheduler s(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("to-tear-down");
  ASSERT_TRUE(s.subscribe(info));
  auto down = plateau(cluster, {"framework", "teardown", s.frameworkId(), master});
  EXPECT_EQ(down.exit_code, 0) << down.output;
  EXPECT_TRUE(eventually([&] {
    auto state = json::parse(cluster.get("/master/state"));
    if (!state) return false;
    for (const auto& f : (*state)["completed_frameworks"].asArray()) {
      if (f["id"].asString() == s.frameworkId()) return true;
    }
    return false;
  }));

  auto status = plateau(cluster, {"cluster", "status", master});
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("1 running"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("finished"), std::string::npos) << status.output;
}

}  // namespace
}  // namespace plateau::testing

namespace plateau::testing {
namespace {

TEST(Cli, ShowCommandsMaintenanceAndAFinishedTasksLog) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512", {"--hostname=cli-host"});
  std::string master = "--master=" + cluster.master().toString();
  auto ran = plateau(cluster, {"execute", master, "--name=said", "--command=echo kept-after-end"});
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  // Not a terminal: no spinner characters in the captured output.
  EXPECT_EQ(ran.output.find("\033[K"), std::string::npos) << ran.output;

  // A finished task's log, served from its completed executor's sandbox.
  auto log = plateau(cluster, {"task", "log", "said", master});
  EXPECT_EQ(log.exit_code, 0) << log.output;
  EXPECT_NE(log.output.find("kept-after-end"), std::string::npos) << log.output;

  auto task = plateau(cluster, {"task", "show", "said", master});
  EXPECT_EQ(task.exit_code, 0) << task.output;
  EXPECT_NE(task.output.find("TASK_FINISHED"), std::string::npos) << task.output;
  // Status times in local time with the zone and an age, never raw epoch seconds.
  EXPECT_TRUE(std::regex_search(
      task.output, std::regex(R"(TASK_FINISHED at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} )"
                              R"(\S+ \((now|\d+s ago)\))")))
      << task.output;
  auto task_json = plateau(cluster, {"task", "show", "said", master, "--json"});
  auto parsed = json::parse(task_json.output);
  ASSERT_TRUE(parsed) << task_json.output;
  EXPECT_EQ((*parsed)["id"].asString(), "said");
  const std::string framework_id = (*parsed)["framework_id"].asString();
  const std::string agent_id = (*parsed)["slave_id"].asString();

  auto agent = plateau(cluster, {"agent", "show", agent_id, master});
  EXPECT_EQ(agent.exit_code, 0) << agent.output;
  EXPECT_NE(agent.output.find("cli-host"), std::string::npos) << agent.output;
  EXPECT_TRUE(std::regex_search(
      agent.output, std::regex(R"(registered_time\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ \()")))
      << agent.output;
  auto framework = plateau(cluster, {"framework", "show", framework_id, master});
  EXPECT_EQ(framework.exit_code, 0) << framework.output;
  EXPECT_NE(framework.output.find(framework_id), std::string::npos) << framework.output;
  auto missing = plateau(cluster, {"agent", "show", "no-such-agent", master});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("plateau agent list"), std::string::npos) << missing.output;

  // Maintenance: schedule from a file, status, down, up.
  std::string file = cluster.dir() + "/schedule.json";
  std::ofstream(file) << R"({"windows":[{"machine_ids":[{"hostname":"cli-host","ip":"127.0.0.1"}],
      "unavailability":{"start":{"nanoseconds":1000000000000000000},
                        "duration":{"nanoseconds":3600000000000}}}]})";
  auto set = plateau(cluster, {"maintenance", "schedule", file, master});
  EXPECT_EQ(set.exit_code, 0) << set.output;
  auto get = plateau(cluster, {"maintenance", "schedule", master});
  EXPECT_NE(get.output.find("cli-host (127.0.0.1)"), std::string::npos) << get.output;
  EXPECT_NE(get.output.find("  1h"), std::string::npos) << get.output;      // the window's duration
  EXPECT_NE(get.output.find("2001-09-"), std::string::npos) << get.output;  // its start, 1e18 ns
  auto status = plateau(cluster, {"maintenance", "status", master});
  EXPECT_NE(status.output.find("cli-host (127.0.0.1)  DRAINING"), std::string::npos)
      << status.output;
  auto unknown = plateau(cluster, {"maintenance", "start", "elsewhere", master});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.output.find("plateau maintenance schedule"), std::string::npos)
      << unknown.output;
  auto down = plateau(cluster, {"maintenance", "start", "cli-host", master});
  EXPECT_EQ(down.exit_code, 0) << down.output;
  EXPECT_TRUE(eventually([&] { return cluster.registeredAgents() == 0; }));
  auto down_json = plateau(cluster, {"maintenance", "status", master, "--json"});
  auto st = json::parse(down_json.output);
  ASSERT_TRUE(st) << down_json.output;
  EXPECT_EQ((*st)["down_machines"][0]["hostname"].asString(), "cli-host");
  auto up = plateau(cluster, {"maintenance", "stop", "cli-host", master});
  EXPECT_EQ(up.exit_code, 0) << up.output;
  EXPECT_TRUE(eventually([&] { return cluster.registeredAgents() == 1; }, 30s));
  auto bad_file = plateau(cluster, {"maintenance", "schedule", cluster.dir() + "/nope", master});
  EXPECT_NE(bad_file.exit_code, 0);
  EXPECT_NE(bad_file.output.find("machine_ids"), std::string::npos) << bad_file.output;
}

}  // namespace
}  // namespace plateau::testing
