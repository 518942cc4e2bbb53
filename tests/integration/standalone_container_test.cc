// Standalone containers (LAUNCH_CONTAINER without a parent) against a real agent: listed by
// GET_CONTAINERS only when asked (show_standalone), as nested containers are (show_nested), and
// taken over by a restarted agent: still listed, waited for (also when they ended while no agent
// ran), killed and removed.

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

// LAUNCH_CONTAINER of `id` running `shell`, with resources when it is standalone.
agent_api::Call launchCall(const v1::ContainerID& id, const std::string& shell) {
  agent_api::Call c;
  c.set_type(agent_api::Call::LAUNCH_CONTAINER);
  auto* launch = c.mutable_launch_container();
  *launch->mutable_container_id() = id;
  launch->mutable_command()->set_value(shell);
  if (!id.has_parent()) {
    for (auto [name, value] : {std::pair{"cpus", 0.1}, std::pair{"mem", 32.0}}) {
      auto* r = launch->add_resources();
      r->set_name(name);
      r->set_type(v1::Value::SCALAR);
      r->mutable_scalar()->set_value(value);
    }
  }
  return c;
}

v1::ContainerID standaloneId(const std::string& value) {
  v1::ContainerID id;
  id.set_value(value);
  return id;
}

agent_api::Call listCall(bool nested, bool standalone) {
  agent_api::Call c;
  c.set_type(agent_api::Call::GET_CONTAINERS);
  c.mutable_get_containers()->set_show_nested(nested);
  c.mutable_get_containers()->set_show_standalone(standalone);
  return c;
}

// "parent.value" for each container listed.
std::set<std::string> idsOf(const agent_api::Response& listed) {
  std::set<std::string> ids;
  for (const auto& c : listed.get_containers().containers()) {
    const auto& id = c.container_id();
    ids.insert(id.has_parent() ? id.parent().value() + "." + id.value() : id.value());
  }
  return ids;
}

class Standalone : public SleeperTask {};

TEST_F(Standalone, GetContainersListsStandaloneAndNestedOnlyWhenAsked) {
  auto alone = standaloneId("alone");
  ASSERT_EQ(call(launchCall(alone, "sleep 1000")).status, 200);
  ASSERT_EQ(call(launchCall(child("inner"), "sleep 1000")).status, 200);
  ASSERT_EQ(call(launchCall(child("under", &alone), "sleep 1000")).status, 200);
  const std::string task = parent_.value();

  auto plain = call(callOfType<agent_api::Call>(agent_api::Call::GET_CONTAINERS));
  EXPECT_EQ(idsOf(plain.response), (std::set<std::string>{task})) << plain.body;
  EXPECT_EQ(idsOf(call(listCall(false, false)).response), (std::set<std::string>{task}));
  EXPECT_EQ(idsOf(call(listCall(true, false)).response),
            (std::set<std::string>{task, task + ".inner"}));
  EXPECT_EQ(idsOf(call(listCall(false, true)).response), (std::set<std::string>{task, "alone"}));
  auto all = call(listCall(true, true));
  ASSERT_EQ(idsOf(all.response),
            (std::set<std::string>{task, task + ".inner", "alone", "alone.under"}))
      << all.body;
  for (const auto& c : all.response.get_containers().containers()) {
    SCOPED_TRACE(c.DebugString());
    bool under_task = c.container_id().value() == task ||
                      (c.container_id().has_parent() && c.container_id().parent().value() == task);
    // As Mesos: a standalone container (and one under it) has no framework or executor.
    EXPECT_EQ(c.has_framework_id(), under_task);
    EXPECT_EQ(c.has_executor_id(), under_task);
    EXPECT_EQ(c.container_status().container_id().value(), c.container_id().value());
    EXPECT_GT(c.container_status().executor_pid(), 0u);
    EXPECT_GT(c.resource_statistics().timestamp(), 0);
    if (c.container_id().value() == "alone") {
      // Its own container, with its own limits (posix/mem reports the memory limit).
      EXPECT_EQ(c.resource_statistics().mem_limit_bytes(), 32u << 20);
    }
  }
  // Mesos's /containers lists the executors' containers only.
  auto json = http::fetchSync(agent(), {.method = "GET", .path = "/containers"}, 10s);
  ASSERT_TRUE(json);
  EXPECT_EQ(json->body.find("alone"), std::string::npos) << json->body;
}

// A standalone container launched by an agent that is then killed (or stopped) and started again
// on the same work directory.
class StandaloneRestart : public ::testing::Test {
 protected:
  void SetUp() override { cluster_.addAgent("cpus:2;mem:512"); }

  ApiAnswer<agent_api::Response> call(const agent_api::Call& c) {
    return callApi<agent_api::Response>(cluster_.agentEndpoint(0), c, http::ContentType::kJson);
  }
  agent_api::Call simple(agent_api::Call::Type type, const std::string& value, int signal = 0) {
    agent_api::Call c;
    c.set_type(type);
    v1::ContainerID id = standaloneId(value);
    if (type == agent_api::Call::WAIT_CONTAINER) {
      *c.mutable_wait_container()->mutable_container_id() = id;
    } else if (type == agent_api::Call::KILL_CONTAINER) {
      *c.mutable_kill_container()->mutable_container_id() = id;
      c.mutable_kill_container()->set_signal(signal);
    } else {
      *c.mutable_remove_container()->mutable_container_id() = id;
    }
    return c;
  }
  // WAIT_CONTAINER's answer for `value`.
  agent_api::Response::WaitContainer waited(const std::string& value) {
    auto answer = call(simple(agent_api::Call::WAIT_CONTAINER, value));
    EXPECT_EQ(answer.status, 200) << answer.body;
    return answer.response.wait_container();
  }
  std::set<std::string> listed() { return idsOf(call(listCall(true, true)).response); }
  // The pid GET_CONTAINERS shows for `value` (0 when not listed).
  pid_t pidOf(const std::string& value) {
    auto listed = call(listCall(false, true));
    for (const auto& c : listed.response.get_containers().containers()) {
      if (c.container_id().value() == value) {
        return static_cast<pid_t>(c.container_status().executor_pid());
      }
    }
    return 0;
  }
  std::string meta(const std::string& value) const {
    return cluster_.dir() + "/agent0/meta/containers/" + value;
  }
  std::string sandbox(const std::string& value) const {
    return cluster_.dir() + "/agent0/containers/" + value;
  }

  Cluster cluster_;
};

// Whether `pid` has ended (a zombie waiting for init counts as ended).
bool ended(pid_t pid) {
  std::error_code ec;
  return fs::read_symlink(fmt::format("/proc/{}/cwd", pid), ec).empty();
}

TEST_F(StandaloneRestart, ContainersAreTakenOverAfterAKill9) {
  ASSERT_EQ(call(launchCall(standaloneId("keeper"), "exec sleep 1000")).status, 200);
  // It ends once told to, through a file in its sandbox: while no agent runs.
  ASSERT_EQ(call(launchCall(standaloneId("ender"),
                            "while [ ! -e go ]; do sleep 0.05; done; echo bye; exit 3"))
                .status,
            200);
  ASSERT_EQ(call(launchCall(standaloneId("early"), "exit 4")).status, 200);
  EXPECT_EQ(WEXITSTATUS(waited("early").exit_status()), 4);
  pid_t ender = pidOf("ender");
  ASSERT_GT(ender, 0);
  ASSERT_TRUE(fs::exists(meta("keeper") + "/container"));

  cluster_.agent(0).kill(SIGKILL);
  cluster_.agent(0).wait();
  std::ofstream(sandbox("ender") + "/go") << "";
  ASSERT_TRUE(eventually([&] { return ended(ender); }));
  cluster_.restartAgent(0, SIGKILL);

  EXPECT_EQ(listed(), (std::set<std::string>{"keeper"}));
  auto ender_status = waited("ender");
  ASSERT_TRUE(ender_status.has_exit_status()) << ender_status.DebugString();
  EXPECT_TRUE(WIFEXITED(ender_status.exit_status()));
  EXPECT_EQ(WEXITSTATUS(ender_status.exit_status()), 3);
  EXPECT_EQ(WEXITSTATUS(waited("early").exit_status()), 4);
  // Nested containers run under it again.
  v1::ContainerID under;
  under.set_value("under");
  *under.mutable_parent() = standaloneId("keeper");
  ASSERT_EQ(call(launchCall(under, "exit 6")).status, 200);
  agent_api::Call wait_under;
  wait_under.set_type(agent_api::Call::WAIT_CONTAINER);
  *wait_under.mutable_wait_container()->mutable_container_id() = under;
  EXPECT_EQ(WEXITSTATUS(call(wait_under).response.wait_container().exit_status()), 6);

  // Killed after the restart: its status comes back although it is no child of this agent.
  ASSERT_EQ(call(simple(agent_api::Call::KILL_CONTAINER, "keeper", SIGTERM)).status, 200);
  auto keeper_status = waited("keeper");
  ASSERT_TRUE(WIFSIGNALED(keeper_status.exit_status())) << keeper_status.DebugString();
  EXPECT_EQ(WTERMSIG(keeper_status.exit_status()), SIGTERM);
  EXPECT_EQ(call(simple(agent_api::Call::REMOVE_CONTAINER, "keeper")).status, 200);
  EXPECT_FALSE(fs::exists(meta("keeper")));
  EXPECT_EQ(call(simple(agent_api::Call::WAIT_CONTAINER, "keeper")).status, 404);

  // What was not removed is still known after one more restart.
  cluster_.restartAgent(0, SIGKILL);
  EXPECT_EQ(WEXITSTATUS(waited("ender").exit_status()), 3);
  EXPECT_EQ(call(simple(agent_api::Call::WAIT_CONTAINER, "keeper")).status, 404);
}

TEST_F(StandaloneRestart, AStoppedAgentLeavesThemRunningUnlessToldToCleanUp) {
  ASSERT_EQ(call(launchCall(standaloneId("lasting"), "exec sleep 1000")).status, 200);
  pid_t first = pidOf("lasting");
  ASSERT_GT(first, 0);
  cluster_.restartAgent(0, SIGTERM);
  EXPECT_FALSE(ended(first));
  EXPECT_EQ(pidOf("lasting"), first);
  // A waiter is answered when it ends, found by watching it.
  ASSERT_EQ(call(simple(agent_api::Call::KILL_CONTAINER, "lasting", SIGKILL)).status, 200);
  auto status = waited("lasting");
  ASSERT_TRUE(WIFSIGNALED(status.exit_status())) << status.DebugString();
  EXPECT_EQ(WTERMSIG(status.exit_status()), SIGKILL);

  ASSERT_EQ(call(launchCall(standaloneId("doomed"), "exec sleep 1000")).status, 200);
  pid_t doomed = pidOf("doomed");
  ASSERT_GT(doomed, 0);
  cluster_.restartAgent(0, SIGKILL, {"--recover=cleanup"});
  EXPECT_TRUE(eventually([&] { return ended(doomed); }));
  EXPECT_EQ(call(simple(agent_api::Call::WAIT_CONTAINER, "doomed")).status, 404);
  EXPECT_FALSE(fs::exists(meta("doomed")));
}

TEST_F(StandaloneRestart, AContainerWithAnImageNeedsAnAgentThatRunsImages) {
  agent_api::Call launch = launchCall(standaloneId("boxed"), "true");
  auto* image = launch.mutable_launch_container()->mutable_container();
  image->set_type(v1::ContainerInfo::MESOS);
  image->mutable_mesos()->mutable_image()->set_type(v1::Image::DOCKER);
  image->mutable_mesos()->mutable_image()->mutable_docker()->set_name("busybox");
  auto answer = call(launch);
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.body,
            "Failed to launch container boxed: the container names image 'busybox', but this "
            "agent runs no images (start it with --image_providers=docker)");
  EXPECT_EQ(call(simple(agent_api::Call::WAIT_CONTAINER, "boxed")).status, 404);
  EXPECT_FALSE(fs::exists(meta("boxed")));
}

// As Mesos: the launch succeeds (200) and the failure is the container's; its status is 127, as
// the shell reports a command it cannot find (Mesos's launcher aborts instead when `shell` is
// false), with the reason in its stderr.
TEST_F(StandaloneRestart, AProgramThatDoesNotExistEndsTheContainerWith127) {
  agent_api::Call launch = launchCall(standaloneId("nowhere"), "");
  auto* command = launch.mutable_launch_container()->mutable_command();
  command->set_shell(false);
  command->set_value("/no/such/program");
  command->add_arguments("program");
  ASSERT_EQ(call(launch).status, 200);
  auto status = waited("nowhere");
  ASSERT_TRUE(WIFEXITED(status.exit_status())) << status.DebugString();
  EXPECT_EQ(WEXITSTATUS(status.exit_status()), 127);
  std::ifstream in(sandbox("nowhere") + "/stderr");
  std::string err((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(err.find("Failed to execute '/no/such/program'"), std::string::npos) << err;
  // The same through the shell (Mesos's default), in both.
  ASSERT_EQ(call(launchCall(standaloneId("shelled"), "/no/such/program")).status, 200);
  EXPECT_EQ(WEXITSTATUS(waited("shelled").exit_status()), 127);
}

}  // namespace
}  // namespace plateau::testing
