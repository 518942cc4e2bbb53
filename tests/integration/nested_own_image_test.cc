// A nested container with an image of its own (LAUNCH_NESTED_CONTAINER with
// `container.mesos.image`, as Mesos allows) runs its command in that image's root filesystem,
// beside a task that has none, with its own sandbox at --sandbox_directory; its root filesystem
// goes when it ends. An agent that runs no images refuses it (400).

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>

#include "api_call.h"
#include "fakes/docker_save_writer.h"
#include "harness.h"
#include "images_helpers.h"
#include "nested_fixture.h"

namespace plateau::testing {
namespace {

namespace agent_api = mesos::v1::agent;

// The folder under agent 0 whose path ends with `tail` (the provisioner's aside).
std::string agentDir(const std::string& root, const std::string& tail) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root + "/agent0", ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string path = it->path().string();
    if (path.find("/provisioner/") != std::string::npos) {
      it.disable_recursion_pending();
    } else if (it->is_directory() && path.ends_with(tail)) {
      return path;
    }
  }
  return {};
}

agent_api::Call launchInImage(const v1::ContainerID& id, const std::string& image,
                              const std::string& shell) {
  agent_api::Call c;
  c.set_type(agent_api::Call::LAUNCH_NESTED_CONTAINER);
  auto* launch = c.mutable_launch_nested_container();
  *launch->mutable_container_id() = id;
  launch->mutable_command()->set_value(shell);
  setMesosImage(launch->mutable_container(), image, "");
  return c;
}

TEST_F(ImageTest, NestedContainerRunsInAnImageOfItsOwn) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  ASSERT_NO_FATAL_FAILURE(
      addImageAgent(cluster, "nested", "NAME=\"Plateau Nested\"\nID=plateau-nested\n"));
  Scheduler s(cluster.master(), http::ContentType::kJson);
  auto running = startTask(s, {.id = "bare", .image = "", .value = "sleep 1000"});
  ASSERT_TRUE(running);
  auto call = [&](const agent_api::Call& c) {
    return callApi<agent_api::Response>(cluster.agentEndpoint(0), c, http::ContentType::kJson);
  };
  v1::ContainerID id;
  id.set_value("boxed");
  *id.mutable_parent() = running->container_status().container_id();

  auto launched = call(
      launchInImage(id, "busybox:nested", "cat /etc/os-release; echo $MESOS_SANDBOX; pwd; exit 7"));
  ASSERT_EQ(launched.status, 200) << launched.body;
  agent_api::Call wait;
  wait.set_type(agent_api::Call::WAIT_NESTED_CONTAINER);
  *wait.mutable_wait_nested_container()->mutable_container_id() = id;
  auto waited = call(wait);
  ASSERT_EQ(waited.status, 200) << waited.body;
  EXPECT_EQ(WEXITSTATUS(waited.response.wait_nested_container().exit_status()), 7);
  std::string out = agentFile(cluster.dir(), "/containers/boxed", "stdout");
  EXPECT_NE(out.find("ID=plateau-nested"), std::string::npos) << out;
  EXPECT_NE(out.find("/mnt/mesos/sandbox\n/mnt/mesos/sandbox\n"), std::string::npos) << out;
  // Its root filesystem went with it; the task runs on.
  EXPECT_TRUE(eventually([&] { return MountGuard::mountsUnder(cluster.dir()).empty(); }));
  // An image that cannot be had fails the launch, naming it; the id stays free.
  v1::ContainerID missing = id;
  missing.set_value("missing");
  auto refused = call(launchInImage(missing, "busybox:nowhere", "true"));
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("busybox:nowhere"), std::string::npos) << refused.body;
  agent_api::Call wait_missing;
  wait_missing.set_type(agent_api::Call::WAIT_NESTED_CONTAINER);
  *wait_missing.mutable_wait_nested_container()->mutable_container_id() = missing;
  EXPECT_EQ(call(wait_missing).status, 404);
}

// Taken over by a restarted agent, it keeps its root filesystem until it ends.
TEST_F(ImageTest, NestedContainerInAnImageOutlivesTheAgent) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  ASSERT_NO_FATAL_FAILURE(
      addImageAgent(cluster, "kept", "NAME=\"Plateau Kept\"\nID=plateau-kept\n"));
  Scheduler s(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info = framework();
  info.set_checkpoint(true);  // its task outlives the agent
  auto running = startTask(s, {.id = "bare", .image = "", .value = "sleep 1000"}, info);
  ASSERT_TRUE(running);
  auto call = [&](const agent_api::Call& c) {
    return callApi<agent_api::Response>(cluster.agentEndpoint(0), c, http::ContentType::kJson);
  };
  v1::ContainerID id;
  id.set_value("kept");
  *id.mutable_parent() = running->container_status().container_id();
  ASSERT_EQ(call(launchInImage(id, "busybox:kept",
                               "while [ ! -e $MESOS_SANDBOX/go ]; do sleep 0.05; done; "
                               "grep -q plateau-kept /etc/os-release && exit 9"))
                .status,
            200);
  ASSERT_FALSE(MountGuard::mountsUnder(cluster.dir()).empty());

  cluster.restartAgent(0, SIGKILL);
  ASSERT_FALSE(MountGuard::mountsUnder(cluster.dir()).empty());
  std::ofstream(agentDir(cluster.dir(), "/containers/kept") + "/go") << "";
  agent_api::Call wait;
  wait.set_type(agent_api::Call::WAIT_NESTED_CONTAINER);
  *wait.mutable_wait_nested_container()->mutable_container_id() = id;
  auto waited = call(wait);
  ASSERT_EQ(waited.status, 200) << waited.body;
  EXPECT_EQ(WEXITSTATUS(waited.response.wait_nested_container().exit_status()), 9);
  EXPECT_TRUE(eventually([&] { return MountGuard::mountsUnder(cluster.dir()).empty(); }));
}

class NestedWithoutImages : public SleeperTask {};

TEST_F(NestedWithoutImages, AnImageNeedsAnAgentThatRunsImages) {
  auto refused = call(launchInImage(child("boxed"), "busybox", "true"));
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("--image_providers=docker"), std::string::npos) << refused.body;
}

}  // namespace
}  // namespace plateau::testing
