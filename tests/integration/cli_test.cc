// The `plateau` command against a real cluster.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

struct Run {
  int exit_code;
  std::string output;
};

Run plateau(const Cluster& cluster, std::vector<std::string> args) {
  std::string log = cluster.dir() + "/cli.out";
  std::remove(log.c_str());
  args.insert(args.begin(), std::string(PLATEAU_BIN_DIR) + "/plateau");
  Process p("plateau", args, log);
  int status = p.wait();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, p.log()};
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

  auto frameworks = plateau(cluster, {"framework", "list", master});
  EXPECT_EQ(frameworks.exit_code, 0) << frameworks.output;

  auto unreachable = plateau(cluster, {"agent", "list", "--master=127.0.0.1:1"});
  EXPECT_NE(unreachable.exit_code, 0);
  EXPECT_NE(unreachable.output.find("cannot reach"), std::string::npos) << unreachable.output;
}

TEST(Cli, DaemonsRejectBadFlagsNamingThem) {
  Cluster cluster;
  std::string log = cluster.dir() + "/flags.out";
  Process p("master", {std::string(PLATEAU_BIN_DIR) + "/plateau-master",
                       "--allocation_interval=soon"}, log);
  int status = p.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_NE(p.log().find("allocation_interval"), std::string::npos) << p.log();

  Process a("agent", {std::string(PLATEAU_BIN_DIR) + "/plateau-agent", "--master=127.0.0.1:1",
                      "--resources=cpus:-1"}, cluster.dir() + "/agent-flags.out");
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
