// Nested containers outlive an agent restart (--recover=reconnect), as Mesos's do: launched
// under a checkpointing framework's task, they keep running while no agent runs; the restarted
// agent lists them, answers WAIT_NESTED_CONTAINER with their real exit status (also when they
// ended while it was down) and kills them. Sessions end with the agent; --recover=cleanup kills
// them all. Real master, agent and processes.

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>

#include "nested_fixture.h"

namespace plateau::testing {
namespace {

namespace agent_api = mesos::v1::agent;
namespace fs = std::filesystem;

// Whether `pid` has ended (a zombie waiting for init counts as ended).
bool ended(pid_t pid) {
  std::error_code ec;
  return fs::read_symlink(fmt::format("/proc/{}/cwd", pid), ec).empty();
}

class NestedRecovery : public SleeperTask {
 protected:
  bool checkpointing() const override { return true; }

  // LAUNCH_NESTED_CONTAINER of `value` under the task's container, running `shell`.
  int launch(const std::string& value, const std::string& shell) {
    agent_api::Call c;
    c.set_type(agent_api::Call::LAUNCH_NESTED_CONTAINER);
    *c.mutable_launch_nested_container()->mutable_container_id() = child(value);
    c.mutable_launch_nested_container()->mutable_command()->set_value(shell);
    auto answer = call(c);
    EXPECT_EQ(answer.status, 200) << answer.body;
    return answer.status;
  }
  // The nested containers GET_CONTAINERS lists: value -> the pid it shows.
  std::map<std::string, pid_t> listed() {
    agent_api::Call c;
    c.set_type(agent_api::Call::GET_CONTAINERS);
    c.mutable_get_containers()->set_show_nested(true);
    std::map<std::string, pid_t> out;
    auto answer = call(c);
    for (const auto& entry : answer.response.get_containers().containers()) {
      if (entry.container_id().has_parent()) {
        out[entry.container_id().value()] =
            static_cast<pid_t>(entry.container_status().executor_pid());
      }
    }
    return out;
  }
  agent_api::Response::WaitNestedContainer waited(const std::string& value) {
    return waitFor(child(value), /*nested_call=*/true).wait_nested_container();
  }
  int kill(const std::string& value, int signal) {
    agent_api::Call c;
    c.set_type(agent_api::Call::KILL_NESTED_CONTAINER);
    *c.mutable_kill_nested_container()->mutable_container_id() = child(value);
    c.mutable_kill_nested_container()->set_signal(signal);
    return call(c).status;
  }
  // The nested container's sandbox: containers/<value> in the task's.
  std::string sandboxOf(const std::string& value) const {
    for (const auto& e : fs::recursive_directory_iterator(cluster_.dir())) {
      if (e.is_directory() && e.path().filename() == value &&
          e.path().parent_path().filename() == "containers") {
        return e.path().string();
      }
    }
    return {};
  }
  std::string meta(const std::string& value) const {
    return cluster_.dir() + "/agent0/meta/nested/" + parent_.value() + "." + value;
  }
};

TEST_F(NestedRecovery, AKill9dAgentTakesThemOverWithTheirRealStatus) {
  ASSERT_EQ(launch("keeper", "exec sleep 1000"), 200);
  // Each ends once told to, through a file in its sandbox: one while no agent runs, one after.
  ASSERT_EQ(launch("ender", "while [ ! -e containers/ender/go ]; do sleep 0.05; done; exit 3"),
            200);
  ASSERT_EQ(launch("later", "while [ ! -e containers/later/go ]; do sleep 0.05; done; exit 5"),
            200);
  auto talk = open(session(child("talk"), "sleep 1000"), http::ContentType::kJson);
  ASSERT_TRUE(talk);
  std::map<std::string, pid_t> before;
  ASSERT_TRUE(eventually([&] { return (before = listed()).size() == 4; }));
  ASSERT_TRUE(fs::exists(meta("keeper") + "/container"));
  std::string ender = sandboxOf("ender");
  ASSERT_FALSE(ender.empty());

  cluster_.agent(0).kill(SIGKILL);
  cluster_.agent(0).wait();
  std::ofstream(ender + "/go") << "";
  ASSERT_TRUE(eventually([&] { return ended(before["ender"]); }));
  EXPECT_FALSE(ended(before["keeper"]));
  cluster_.restartAgent(0, SIGKILL);

  // The session ended with the agent; the others are known again, the running ones listed.
  EXPECT_TRUE(eventually([&] { return ended(before["talk"]); }));
  auto now = listed();
  EXPECT_EQ(now, (std::map<std::string, pid_t>{{"keeper", before["keeper"]},
                                               {"later", before["later"]}}));
  EXPECT_FALSE(fs::exists(meta("talk")));
  auto ender_status = waited("ender");
  ASSERT_TRUE(ender_status.has_exit_status()) << ender_status.DebugString();
  EXPECT_TRUE(WIFEXITED(ender_status.exit_status()));
  EXPECT_EQ(WEXITSTATUS(ender_status.exit_status()), 3);
  std::ofstream(sandboxOf("later") + "/go") << "";
  auto later_status = waited("later");
  ASSERT_TRUE(WIFEXITED(later_status.exit_status())) << later_status.DebugString();
  EXPECT_EQ(WEXITSTATUS(later_status.exit_status()), 5);

  // KILL reaches a container that is no child of this agent; its status comes back.
  ASSERT_EQ(kill("keeper", SIGTERM), 200);
  auto keeper_status = waited("keeper");
  ASSERT_TRUE(WIFSIGNALED(keeper_status.exit_status())) << keeper_status.DebugString();
  EXPECT_EQ(WTERMSIG(keeper_status.exit_status()), SIGTERM);
  EXPECT_TRUE(ended(before["keeper"]));
  removeAndCheckGone(child("keeper"), /*nested_call=*/true);
  EXPECT_FALSE(fs::exists(meta("keeper")));

  // What was not removed is still known after one more restart.
  cluster_.restartAgent(0, SIGKILL);
  EXPECT_EQ(WEXITSTATUS(waited("ender").exit_status()), 3);
  // New nested containers run under the recovered task.
  ASSERT_EQ(launch("fresh", "exit 6"), 200);
  EXPECT_EQ(WEXITSTATUS(waited("fresh").exit_status()), 6);
}

TEST_F(NestedRecovery, AStoppedAgentLeavesThemRunningUnlessToldToCleanUp) {
  ASSERT_EQ(launch("lasting", "exec sleep 1000"), 200);
  std::map<std::string, pid_t> before;
  ASSERT_TRUE(eventually([&] { return (before = listed()).size() == 1; }));
  cluster_.restartAgent(0, SIGTERM);
  EXPECT_FALSE(ended(before["lasting"]));
  EXPECT_EQ(listed(), before);
  // A SIGKILL leaves no recorded status: the agent knows what it sent.
  ASSERT_EQ(kill("lasting", SIGKILL), 200);
  auto status = waited("lasting");
  ASSERT_TRUE(WIFSIGNALED(status.exit_status())) << status.DebugString();
  EXPECT_EQ(WTERMSIG(status.exit_status()), SIGKILL);

  ASSERT_EQ(launch("doomed", "exec sleep 1000"), 200);
  pid_t doomed = 0;
  ASSERT_TRUE(eventually([&] { return (doomed = listed()["doomed"]) > 0; }));
  cluster_.restartAgent(0, SIGKILL, {"--recover=cleanup"});
  EXPECT_TRUE(eventually([&] { return ended(doomed); }));
  EXPECT_FALSE(fs::exists(meta("doomed")));
}

TEST_F(NestedRecovery, OnesWhoseParentEndedWhileNoAgentRanAreKilled) {
  ASSERT_EQ(launch("orphan", "exec sleep 1000"), 200);
  std::map<std::string, pid_t> before;
  ASSERT_TRUE(eventually([&] { return (before = listed()).size() == 1; }));
  agent_api::Call list;
  list.set_type(agent_api::Call::GET_CONTAINERS);
  auto containers = call(list);
  ASSERT_EQ(containers.response.get_containers().containers_size(), 1) << containers.body;
  pid_t executor = static_cast<pid_t>(
      containers.response.get_containers().containers(0).container_status().executor_pid());
  ASSERT_GT(executor, 0);

  cluster_.agent(0).kill(SIGKILL);
  cluster_.agent(0).wait();
  ::kill(executor, SIGKILL);
  ASSERT_TRUE(eventually([&] { return ended(executor); }));
  EXPECT_FALSE(ended(before["orphan"]));
  cluster_.restartAgent(0, SIGKILL);
  EXPECT_TRUE(eventually([&] { return ended(before["orphan"]); }));
  EXPECT_TRUE(listed().empty());
  EXPECT_FALSE(fs::exists(meta("orphan")));
}

}  // namespace
}  // namespace plateau::testing
