// The container launcher and the process-tree reader, on real child processes.

#include "agent/containerizer/launcher.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "agent/containerizer/proc_tree.h"

namespace plateau::agent {
namespace {

namespace fs = std::filesystem;

class LauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/plateau-launcher-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  LaunchSpec spec(const std::string& script) {
    LaunchSpec s;
    s.path = "sh";
    s.argv = {"sh", "-c", script};
    s.env = {"PATH=/usr/bin:/bin", "MARK=ok"};
    s.working_dir = dir_;
    s.stdout_path = dir_ + "/stdout";
    s.stderr_path = dir_ + "/stderr";
    return s;
  }
  std::string read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static int waitFor(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
  }
  std::string dir_;
};

TEST_F(LauncherTest, ChildWaitsForPlacementThenExecsInItsSandbox) {
  ChildSpec child;
  child.process =
      spec("echo $MARK; pwd; echo sid=$(cut -d' ' -f6 /proc/$$/stat) pid=$$; cat placed");
  // The child has not exec'd while `place` runs: a file written now is there when it starts.
  auto pid = launchChild(child, [&](pid_t p) -> Status {
    std::ofstream(dir_ + "/placed") << "placed-" << p << "\n";
    return {};
  });
  ASSERT_TRUE(pid.has_value()) << pid.error().message();
  int status = waitFor(*pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read("stderr");
  std::string out = read("stdout");
  EXPECT_NE(out.find("ok\n"), std::string::npos) << out;
  EXPECT_NE(out.find(fs::canonical(dir_).string()), std::string::npos) << out;
  // It leads its own session.
  EXPECT_NE(out.find("sid=" + std::to_string(*pid) + " pid=" + std::to_string(*pid)),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("placed-" + std::to_string(*pid)), std::string::npos) << out;
}

TEST_F(LauncherTest, FailedPlacementKillsTheChild) {
  ChildSpec child;
  child.process = spec("echo ran > ran");
  auto pid = launchChild(child, [](pid_t) -> Status {
    return {StatusCode::kUnavailable, "no cgroup for you"};
  });
  ASSERT_FALSE(pid.has_value());
  EXPECT_EQ(pid.error().message(), "no cgroup for you");
  EXPECT_FALSE(fs::exists(dir_ + "/ran"));
}

TEST_F(LauncherTest, ErrorsBeforeExecNameWhatFailed) {
  ChildSpec missing;
  missing.process = spec("");
  missing.process.path = "/no/such/program";
  auto pid = launchChild(missing, [](pid_t) { return Status(); });
  ASSERT_FALSE(pid.has_value());
  EXPECT_NE(pid.error().message().find("/no/such/program"), std::string::npos)
      << pid.error().message();

  ChildSpec bad_dir;
  bad_dir.process = spec("true");
  bad_dir.process.working_dir = dir_ + "/absent";
  pid = launchChild(bad_dir, [](pid_t) { return Status(); });
  ASSERT_FALSE(pid.has_value());
  EXPECT_NE(pid.error().message().find("absent"), std::string::npos) << pid.error().message();
}

TEST_F(LauncherTest, UnknownUserIsNamed) {
  auto ids = lookupUser("no-such-user-plateau");
  ASSERT_FALSE(ids.has_value());
  EXPECT_EQ(ids.error().code(), StatusCode::kNotFound);
  EXPECT_NE(ids.error().message().find("no-such-user-plateau"), std::string::npos);
  auto root = lookupUser("root");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->uid, 0u);
}

TEST_F(LauncherTest, ProcessTreeFollowsDescendants) {
  ChildSpec child;
  child.process = spec("sleep 30 & sleep 30 & echo started > started; wait");
  auto pid = launchChild(child, [](pid_t) { return Status(); });
  ASSERT_TRUE(pid.has_value());
  std::vector<pid_t> tree;
  for (int i = 0; i < 500 && tree.size() < 3; i++) {
    tree = processTree(*pid);
    ::usleep(10000);
  }
  EXPECT_EQ(tree.size(), 3u);
  EXPECT_EQ(tree.front(), *pid);
  TreeUsage usage = treeUsage(*pid);
  EXPECT_EQ(usage.processes, 3u);
  EXPECT_GE(usage.threads, 3u);
  EXPECT_GT(usage.rss_bytes, 0u);
  killTree(*pid);
  int status = waitFor(*pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(processTree(*pid).empty());
}

}  // namespace
}  // namespace plateau::agent
