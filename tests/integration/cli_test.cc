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
