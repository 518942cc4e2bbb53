// plateau-sim --generate-trace and --replay --virtual as a user runs them: the binary, its files
// and its exit codes (the replay itself is unit-tested in tests/unit/sim/replay).

#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

class SimReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/plateau-replay-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs plateau-sim with `args`; its exit code, and its output (stdout and stderr) in `out`.
  int sim(std::vector<std::string> args, std::string& out) {
    args.insert(args.begin(), PLATEAU_BIN_DIR "/plateau-sim");
    Process p("sim", args, dir_ + "/sim-" + std::to_string(runs_++) + ".out");
    EXPECT_TRUE(eventually([&] { return !p.running(); }, 120s)) << p.log();
    int status = p.wait();
    out = p.log();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string dir_;
  int runs_ = 0;
};

TEST_F(SimReplayTest, GeneratedTraceReplaysToTheSameJsonTwice) {
  const std::string trace = dir_ + "/trace.csv";
  std::string out;
  ASSERT_EQ(sim({"--generate-trace", trace, "--seed=4", "--span=30mins", "--roles=a=0.2,b=0.1",
                 "--tasks_mean=5", "--duration_median=2mins"},
                out),
            0)
      << out;
  EXPECT_NE(out.find("jobs to " + trace), std::string::npos) << out;
  std::vector<std::string> replay = {
      "--replay",    trace,           "--virtual", "--json",
      "--agents=20", "--weights=a=2", "--seed=9",  "--decline_fraction=0.1"};
  std::string first;
  std::string second;
  ASSERT_EQ(sim(replay, first), 0) << first;
  ASSERT_EQ(sim(replay, second), 0) << second;
  EXPECT_EQ(first, second);
  auto report = json::parse(first);
  ASSERT_TRUE(report && report->isObject()) << first;
  EXPECT_GT((*report)["tasks_launched"].asDouble(), 100);
  EXPECT_EQ((*report)["tasks_launched"].asDouble(), (*report)["tasks_finished"].asDouble());
  EXPECT_EQ((*report)["roles"][size_t{0}]["role"].asString(), "a");
  EXPECT_DOUBLE_EQ((*report)["roles"][size_t{0}]["weight"].asDouble(), 2.0);
}

TEST_F(SimReplayTest, BadInputIsRefusedWithTheLineOrTheFlag) {
  const std::string trace = dir_ + "/bad.csv";
  std::ofstream(trace) << "arrival,role,tasks,cpus,mem,duration\n0,a,1,1,64,5\n3,a,1,-2,64,5\n";
  std::string out;
  EXPECT_EQ(sim({"--replay", trace, "--virtual"}, out), 1);
  EXPECT_NE(out.find(trace + ":3: cpus must be"), std::string::npos) << out;
  EXPECT_EQ(sim({"--replay", trace}, out), 1);
  EXPECT_NE(out.find("--replay needs --virtual"), std::string::npos) << out;
  EXPECT_EQ(sim({"--replay", dir_ + "/missing.csv", "--virtual"}, out), 1);
  EXPECT_NE(out.find("cannot open the trace"), std::string::npos) << out;
  EXPECT_EQ(sim({"--generate-trace", dir_ + "/t.csv", "--roles=a=-1"}, out), 1);
  EXPECT_NE(out.find("--roles: '-1' is not a positive number"), std::string::npos) << out;
}

}  // namespace
}  // namespace plateau::testing
