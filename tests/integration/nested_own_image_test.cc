// A nested container with an image of its own (LAUNCH_NESTED_CONTAINER with
// `container.mesos.image`, as Mesos allows) runs its command in that image's root filesystem,
// beside a task that has none, with its own sandbox at --sandbox_directory; its root filesystem
// goes when it ends. An agent that runs no images refuses it (400).

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <optional>

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

// A task without an image ("bare") on an agent that runs busybox:<tag>, the parent of the
// nested containers the tests launch.
class NestedImage : public ImageTest {
 protected:
  void startParent(const std::string& tag, bool checkpoint) {
    ASSERT_NO_FATAL_FAILURE(
        addImageAgent(cluster_, tag, "NAME=\"Plateau\"\nID=plateau-" + tag + "\n"));
    scheduler_.emplace(cluster_.master(), http::ContentType::kJson);
    v1::FrameworkInfo info = framework();
    info.set_checkpoint(checkpoint);  // the task outlives the agent
    auto running = startTask(*scheduler_, {.id = "bare", .image = "", .value = "sleep 1000"}, info);
    ASSERT_TRUE(running);
    parent_ = running->container_status().container_id();
  }
  v1::ContainerID child(const std::string& value) const {
    v1::ContainerID id;
    id.set_value(value);
    *id.mutable_parent() = parent_;
    return id;
  }
  ApiAnswer<agent_api::Response> call(const agent_api::Call& c) {
    return callApi<agent_api::Response>(cluster_.agentEndpoint(0), c, http::ContentType::kJson);
  }
  ApiAnswer<agent_api::Response> wait(const v1::ContainerID& id) {
    agent_api::Call c;
    c.set_type(agent_api::Call::WAIT_NESTED_CONTAINER);
    *c.mutable_wait_nested_container()->mutable_container_id() = id;
    return call(c);
  }

  Cluster cluster_;
  MountGuard guard_{cluster_.dir()};
  std::optional<Scheduler> scheduler_;
  v1::ContainerID parent_;
};

TEST_F(NestedImage, NestedContainerRunsInAnImageOfItsOwn) {
  ASSERT_NO_FATAL_FAILURE(startParent("nested", false));
  auto launched = call(launchInImage(child("boxed"), "busybox:nested",
                                     "cat /etc/os-release; echo $MESOS_SANDBOX; pwd; exit 7"));
  ASSERT_EQ(launched.status, 200) << launched.body;
  auto waited = wait(child("boxed"));
  ASSERT_EQ(waited.status, 200) << waited.body;
  EXPECT_EQ(WEXITSTATUS(waited.response.wait_nested_container().exit_status()), 7);
  std::string out = agentFile(cluster_.dir(), "/containers/boxed", "stdout");
  EXPECT_NE(out.find("ID=plateau-nested"), std::string::npos) << out;
  EXPECT_NE(out.find("/mnt/mesos/sandbox\n/mnt/mesos/sandbox\n"), std::string::npos) << out;
  // Its root filesystem went with it; the task runs on.
  EXPECT_TRUE(eventually([&] { return MountGuard::mountsUnder(cluster_.dir()).empty(); }));
  // An image that cannot be had fails the launch, naming it; the id stays free.
  auto refused = call(launchInImage(child("missing"), "busybox:nowhere", "true"));
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("busybox:nowhere"), std::string::npos) << refused.body;
  EXPECT_EQ(wait(child("missing")).status, 404);
}

// Taken over by a restarted agent, it keeps its root filesystem until it ends.
TEST_F(NestedImage, NestedContainerInAnImageOutlivesTheAgent) {
  ASSERT_NO_FATAL_FAILURE(startParent("kept", true));
  ASSERT_EQ(call(launchInImage(child("kept"), "busybox:kept",
                               "while [ ! -e $MESOS_SANDBOX/go ]; do sleep 0.05; done; "
                               "grep -q plateau-kept /etc/os-release && exit 9"))
                .status,
            200);
  ASSERT_FALSE(MountGuard::mountsUnder(cluster_.dir()).empty());

  cluster_.restartAgent(0, SIGKILL);
  ASSERT_FALSE(MountGuard::mountsUnder(cluster_.dir()).empty());
  std::ofstream(agentDir(cluster_.dir(), "/containers/kept") + "/go") << "";
  auto waited = wait(child("kept"));
  ASSERT_EQ(waited.status, 200) << waited.body;
  EXPECT_EQ(WEXITSTATUS(waited.response.wait_nested_container().exit_status()), 9);
  EXPECT_TRUE(eventually([&] { return MountGuard::mountsUnder(cluster_.dir()).empty(); }));
}

class NestedWithoutImages : public SleeperTask {};

TEST_F(NestedWithoutImages, AnImageNeedsAnAgentThatRunsImages) {
  auto refused = call(launchInImage(child("boxed"), "busybox", "true"));
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("--image_providers=docker"), std::string::npos) << refused.body;
}

}  // namespace
}  // namespace plateau::testing
